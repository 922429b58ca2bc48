import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/findings/finding.js";
import { gitleaks, maskedSecretsIn, scannedFile } from "../../src/tools/gitleaks.js";
import { trivy } from "../../src/tools/trivy.js";
import { reportOf, run, statuses, tempDir } from "../cli/cli-harness.js";
import { git, project, realTool, runTool } from "./real-tool.js";

/**
 * The secrets the real gitleaks masks (`--redact`, as every runner asks) read back from the
 * scanned tree, so that what other tools copy of the same lines is scrubbed: the real trivy's
 * misconfiguration findings quote a Dockerfile's lines. The secrets are assembled at run time so
 * that this file holds none.
 */

const gitleaksTool = await realTool("gitleaks");
const trivyTool = await realTool("trivy");

const GITHUB_TOKEN = ["ghp_", "R8fK2mQ9xLw3Zt7Vb1Nc5Hy6Jp4Ds0Ae2Gu9"].join("");
const AWS_KEY = ["AKIA", "QYLPMN5HHHFPZAM2"].join("");
const CURL_CREDENTIALS = ["admin:", "hunter2", "supersecret"].join("");
const DOCKERFILE = [
  "FROM alpine:latest",
  `ENV GITHUB_TOKEN=${GITHUB_TOKEN}`,
  `RUN apt-get update && apt-get install -y curl && curl -u ${CURL_CREDENTIALS} https://example.com`,
  "",
].join("\n");

function repository(files: Record<string, string>): string {
  const dir = project("portcullis-masked-", files);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", ".");
  git(dir, "commit", "-qm", "initial");
  return dir;
}

/** The real trivy over `dir` with one scanner, offline, its report at `output`. */
async function trivyReport(dir: string, output: string, scanner: "misconfig" | "secret"): Promise<void> {
  const args = trivy.argv.fs({ dir: ".", output, cacheDir: tempDir("portcullis-trivy-cache-"), scanners: [scanner] });
  const scan = await runTool(trivyTool.file, args, { cwd: dir, timeoutMs: 300_000 });
  expect(scan.exitCode, scan.outputTail.join("\n")).toBe(0);
}

async function gitleaksReport(dir: string, reports: string, mode: "dir" | "git"): Promise<void> {
  const reportPath = path.join(reports, mode === "dir" ? "gitleaks.json" : "gitleaks.history.json");
  const args =
    mode === "dir" ? gitleaks.argv.dir({ source: ".", reportPath }) : gitleaks.argv.git({ repo: ".", reportPath });
  expect(args).toContain("--redact");
  const outcome = await runTool(gitleaksTool.file, args, { cwd: dir });
  expect(outcome.exitCode).toBe(gitleaks.exitCodes.leaks);
  writeFileSync(reportPath.replace(/\.json$/, ".exitcode"), `${outcome.exitCode}\n`);
}

/** Every file of `out`, the terminal and the step summary: none may hold any of `secrets`. */
function expectNowhere(secrets: readonly string[], out: string, printed: string): void {
  const texts = [printed, ...readdirSync(out).map((name) => readFileSync(path.join(out, name), "utf8"))];
  for (const secret of secrets) for (const text of texts) expect(text.includes(secret), secret).toBe(false);
}

describe.runIf(gitleaksTool.runs)("masked secrets read back (real gitleaks)", () => {
  /** Each finding's readings: the planted secret must be among them, any other one byte off it. */
  function expectReadBack(
    findings: readonly Finding[],
    planted: Readonly<Record<string, string>>,
    show: (path: string, commit: string | undefined) => Buffer,
  ): void {
    expect(findings.map((finding) => finding.ruleId).sort()).toEqual(Object.keys(planted).sort());
    for (const finding of findings) {
      const secret = planted[finding.ruleId] ?? "";
      const readings = maskedSecretsIn(scannedFile(show(finding.location?.path ?? "", finding.commit)), finding);
      expect(
        readings,
        `${finding.ruleId} at ${finding.location?.startLine}:${finding.location?.startColumn}`,
      ).toContain(secret);
      expect(readings.length).toBeLessThanOrEqual(2);
      for (const reading of readings)
        expect(secret.includes(reading.slice(1, -1)) || reading.includes(secret), reading).toBe(true);
    }
  }

  it("finds each masked secret where gitleaks says it is: on line 1, after it, after a multi-byte character, inside a longer match", async () => {
    const dir = repository({
      "first.txt": `${AWS_KEY} is the first thing here\n`,
      "config.py": `x = 1\nvalue é = "${GITHUB_TOKEN}"\r\nRUN curl -u ${CURL_CREDENTIALS} https://example.com\n`,
    });
    const reports = tempDir("portcullis-masked-reports-");
    await gitleaksReport(dir, reports, "dir");
    const result = gitleaks.parse(readFileSync(path.join(reports, "gitleaks.json"), "utf8"));
    expect(result.secrets).toEqual([]);
    expect(result.findings.find((finding) => finding.ruleId === "curl-auth-user")?.snippet).toBe("curl -u REDACTED ");
    expectReadBack(
      result.findings,
      { "aws-access-token": AWS_KEY, "curl-auth-user": CURL_CREDENTIALS, "github-pat": GITHUB_TOKEN },
      (file) => readFileSync(path.join(dir, file)),
    );
    // A file changed since the scan no longer has a match of that shape there: nothing is guessed.
    const moved = readFileSync(path.join(dir, "config.py"), "utf8").replace("x = 1\n", "");
    const curl = result.findings.find((finding) => finding.ruleId === "curl-auth-user");
    expect(curl && maskedSecretsIn(scannedFile(Buffer.from(moved)), curl)).toEqual([]);
  });

  it("counts columns as gitleaks does where it starts scanning afresh: a hunk's first added line, a large file's later pieces", async () => {
    // Lines added to a committed file: gitleaks git scans each hunk from its first added line.
    const dir = repository({ "notes.txt": "one\ntwo\nthree\n", "big.txt": "" });
    writeFileSync(path.join(dir, "notes.txt"), `one\ntwo\nthree\n${AWS_KEY}\nkey: ${GITHUB_TOKEN}\n`);
    // And over 100 KB, which gitleaks dir reads in pieces.
    const filler = Array.from({ length: 9_000 }, (_, index) => `filler line ${index} with some padding`).join("\n");
    const big = Array.from({ length: 6 }, () => `${filler}\n${AWS_KEY}\nkey: ${GITHUB_TOKEN}`).join("\n");
    writeFileSync(path.join(dir, "big.txt"), `${big}\n`);
    git(dir, "commit", "-qam", "add keys");
    const reports = tempDir("portcullis-masked-reports-");
    await gitleaksReport(dir, reports, "git");
    const history = gitleaks.parse(readFileSync(path.join(reports, "gitleaks.history.json"), "utf8")).findings;
    const show = (file: string, commit: string | undefined) =>
      Buffer.from(git(dir, "show", `${commit ?? "HEAD"}:${file}`), "utf8");
    const inNotes = history.filter((finding) => finding.location?.path === "notes.txt");
    expectReadBack(inNotes, { "aws-access-token": AWS_KEY, "github-pat": GITHUB_TOKEN }, show);
    await gitleaksReport(dir, reports, "dir");
    const pieces = gitleaks
      .parse(readFileSync(path.join(reports, "gitleaks.json"), "utf8"))
      .findings.filter((finding) => finding.location?.path === "big.txt");
    expect(pieces.length).toBe(12);
    for (const finding of pieces)
      expect(maskedSecretsIn(scannedFile(readFileSync(path.join(dir, "big.txt"))), finding)).toContain(
        finding.ruleId === "aws-access-token" ? AWS_KEY : GITHUB_TOKEN,
      );
  });

  it.runIf(trivyTool.runs)(
    "evaluate scrubs them from trivy's misconfiguration findings in every output; from elsewhere it says it could not",
    async () => {
      const dir = repository({ Dockerfile: DOCKERFILE });
      const reports = tempDir("portcullis-masked-reports-");
      await gitleaksReport(dir, reports, "dir");
      await trivyReport(dir, path.join(reports, "trivy.json"), "misconfig");
      // What made this necessary: trivy quotes the lines, secrets and all.
      expect(readFileSync(path.join(reports, "trivy.json"), "utf8")).toContain(CURL_CREDENTIALS);

      const out = tempDir("portcullis-masked-out-");
      const summary = path.join(out, "..", `step-summary-${path.basename(out)}.md`);
      const judged = await run(
        ["evaluate", "--env", "development", "--reports", reports, "--source", dir, "--out", out],
        { cwd: dir, env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary } },
      );
      expect(judged.code, judged.stderr).toBe(1);
      expect(readFileSync(path.join(out, "report.json"), "utf8")).toMatch(/DS-?0029/);
      expectNowhere(
        [GITHUB_TOKEN, CURL_CREDENTIALS],
        out,
        judged.stdout + judged.stderr + readFileSync(summary, "utf8"),
      );
      expect(judged.stdout).not.toMatch(/could not be read back/);

      const elsewhere = tempDir("portcullis-masked-elsewhere-");
      const blind = await run(["evaluate", "--env", "development", "--reports", reports, "--out", elsewhere], {
        cwd: elsewhere,
      });
      expect(blind.stdout).toMatch(/2 secret\(s\) gitleaks masked could not be read back from \. .*pass --source/);
      expect(readFileSync(path.join(elsewhere, "report.json"), "utf8")).toContain(CURL_CREDENTIALS);

      // The evidence bundle packs trivy's own report too: its copy of the lines is scrubbed. Outputs
      // written by an evaluate that could not read the secrets back are refused, not packed.
      const bundle = path.join(out, "evidence.tar.gz");
      const judgedAway = await run(["evaluate", "--env", "development", "--reports", reports, "--out", reports], {
        cwd: elsewhere,
      });
      expect(judgedAway.code).toBe(1);
      const refused = await run(["evidence", "--from", reports, "--source", dir, "--out", bundle], { cwd: elsewhere });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /\/(junit\.xml|report\.html|report\.json|report\.sarif|summary\.md): holds secrets gitleaks masked, which evaluate could not read back/,
      );
      expect(refused.stdout + refused.stderr).not.toContain(CURL_CREDENTIALS);
      const judgedInPlace = await run(["evaluate", "--env", "development", "--reports", reports, "--out", reports], {
        cwd: dir,
      });
      expect(judgedInPlace.code).toBe(1);
      const packed = await run(["evidence", "--from", reports, "--out", bundle], { cwd: dir });
      expect([packed.code, packed.stderr]).toEqual([0, ""]);
      const tar = gunzipSync(readFileSync(bundle));
      for (const secret of [GITHUB_TOKEN, CURL_CREDENTIALS]) expect(tar.includes(secret), secret).toBe(false);
      expect(tar.toString("latin1")).toMatch(/"redacted": \[\s*"reports\/trivy\.json"\s*\]/);
      expect((await run(["evidence", "verify", bundle], { cwd: dir })).code).toBe(0);
    },
  );

  it.runIf(trivyTool.runs)(
    "writes no piece of a Slack token that trivy masks only in part, in the outputs or the evidence bundle",
    async () => {
      const slack = ["xoxb", "263594206564", "2343594206574", "FGqddMF8t7YFRFAyH2Ds2Ebb"].join("-");
      const dir = repository({ "notify.js": `const token = "${slack}";\n` });
      const reports = tempDir("portcullis-masked-reports-");
      await gitleaksReport(dir, reports, "dir");
      await trivyReport(dir, path.join(reports, "trivy.nodb.json"), "secret");
      // What the real trivy writes: part of the token masked, the rest in the clear.
      const raw = readFileSync(path.join(reports, "trivy.nodb.json"), "utf8");
      expect(raw).not.toContain(slack);
      expect(raw).toContain(slack.slice(-24));
      const judged = await run(["evaluate", "--env", "development", "--reports", reports, "--out", reports], {
        cwd: dir,
      });
      expect(judged.code, judged.stderr).toBe(1);
      const pieces = Array.from({ length: slack.length - 11 }, (_, at) => slack.slice(at, at + 12));
      // Portcullis' own outputs: trivy's snippet keeps none of the part it left unmasked, also when
      // its finding stands alone (with gitleaks' report, the two findings of one secret merge).
      const alone = tempDir("portcullis-masked-alone-");
      const trivyAlone = await run(
        [
          "evaluate",
          "--env",
          "development",
          "--report",
          `trivy=${path.join(reports, "trivy.nodb.json")}`,
          "--out",
          alone,
        ],
        { cwd: dir },
      );
      expect(trivyAlone.code, trivyAlone.stderr).toBe(1);
      expect(readFileSync(path.join(alone, "report.json"), "utf8")).toContain(
        '"snippet":"const token = \\"REDACTED\\";"',
      );
      for (const out of [reports, alone]) {
        for (const output of ["report.json", "report.sarif", "summary.md", "junit.xml", "report.html"]) {
          const text = readFileSync(path.join(out, output), "utf8");
          for (const piece of pieces) expect(text, `${output}: ${piece}`).not.toContain(piece);
        }
      }
      const bundle = path.join(tempDir("portcullis-masked-bundle-"), "evidence.tar.gz");
      const packed = await run(["evidence", "--from", reports, "--out", bundle], { cwd: dir });
      expect([packed.code, packed.stderr]).toEqual([0, ""]);
      const tar = gunzipSync(readFileSync(bundle)).toString("latin1");
      for (const piece of pieces) expect(tar, piece).not.toContain(piece);
    },
  );

  it.runIf(trivyTool.runs)(
    "a secret gitleaks was told to accept (gitleaks:allow, .gitleaksignore) is suppressed in trivy's report too; another still counts",
    async () => {
      const token = (tail: string) => `ghp_${tail}x7Kq2mZp9Lr4Tv8Wn3Bc6Yd1Hf5Js0`;
      const dir = repository({
        "allowed.js": `const t = "${token("AAAAAA")}"; // gitleaks:allow\n`,
        "ignored.js": `const t = "${token("BBBBBB")}";\n`,
        "leaked.js": `const t = "${token("CCCCCC")}";\n`,
        ".gitleaksignore": "ignored.js:github-pat:1\n",
      });
      const reports = tempDir("portcullis-masked-reports-");
      await gitleaksReport(dir, reports, "dir");
      await trivyReport(dir, path.join(reports, "trivy.nodb.json"), "secret");
      const judged = await run(["evaluate", "--env", "development", "--reports", reports, "--format", "json"], {
        cwd: dir,
      });
      const report = reportOf(judged);
      const secrets = report.findings
        .filter((finding) => finding.kind === "secret")
        .map((finding) => [finding.tool, finding.location?.path, finding.status, finding.suppression?.kind ?? "-"])
        .sort();
      expect(secrets).toEqual([
        ["gitleaks", "leaked.js", "new", "-"],
        ["trivy", "allowed.js", "suppressed", "inSource"],
        ["trivy", "ignored.js", "suppressed", "external"],
      ]);
      expect(statuses(report).secrets).toBe("fail");
    },
  );

  it("reads a secret found only in the history from the commit gitleaks names", async () => {
    const dir = repository({ "README.md": "# demo\n" });
    mkdirSync(path.join(dir, "deploy"));
    writeFileSync(path.join(dir, "deploy", "run.sh"), `export GITHUB_TOKEN=${GITHUB_TOKEN}\n`);
    git(dir, "add", ".");
    git(dir, "commit", "-qm", "add deploy script");
    rmSync(path.join(dir, "deploy", "run.sh"));
    git(dir, "commit", "-qam", "remove the token");
    const reports = tempDir("portcullis-masked-reports-");
    await gitleaksReport(dir, reports, "git");

    const out = tempDir("portcullis-masked-out-");
    const judged = await run(["evaluate", "--env", "development", "--reports", reports, "--out", out], { cwd: dir });
    expect(judged.stdout).not.toMatch(/could not be read back/);
    const report = readFileSync(path.join(out, "report.json"), "utf8");
    expect(report).toContain("deploy/run.sh");
    expect(report).not.toContain(GITHUB_TOKEN);
  });
});
