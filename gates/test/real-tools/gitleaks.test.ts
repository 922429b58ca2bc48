import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Report } from "../../src/model/report.js";
import { gitleaks } from "../../src/tools/gitleaks.js";
import { reportOf, run, statuses, tempDir } from "../cli/cli-harness.js";
import { git, project, read, realTool, runTool, writeFiles } from "./real-tool.js";

/**
 * The real gitleaks (the pinned 8.30) on small repositories with planted secrets, run with the
 * adapter's argv. The secrets are assembled at run time so that this file holds none.
 */

const tool = await realTool("gitleaks");

/** An AWS access key id and a GitHub token gitleaks' default rules recognise (not real credentials). */
const AWS_KEY = ["AKIA", "QYLPMN5HHHFPZAM2"].join("");
const GITHUB_TOKEN = ["ghp_", "x7Kq2mZp9Lr4Tv8Wn3Bc6Yd1Hf5Js0GaPe2U"].join("");

function repository(): string {
  const dir = project("portcullis-gitleaks-", { "README.md": "# demo\n" });
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", ".");
  git(dir, "commit", "-qm", "initial");
  return dir;
}

async function scan(dir: string, mode: "dir" | "git", extra: { baselinePath?: string; configPath?: string } = {}) {
  const reportPath = path.join(tempDir("portcullis-gitleaks-out-"), "gitleaks.json");
  const args =
    mode === "dir"
      ? gitleaks.argv.dir({ source: ".", reportPath, ...extra })
      : gitleaks.argv.git({ repo: ".", reportPath, ...extra });
  const outcome = await runTool(tool.file, args, { cwd: dir });
  return { outcome, reportPath, meaning: gitleaks.exitMeaning(outcome.exitCode) };
}

describe.runIf(tool.runs)("gitleaks (real)", () => {
  it("finds a secret in the working tree, honours gitleaks:allow, and writes it redacted", async () => {
    const dir = repository();
    writeFiles(dir, {
      "config.py": `aws_access_key_id = "${AWS_KEY}"\n`,
      "notes.md": `token = "${GITHUB_TOKEN}" # gitleaks:allow\n`,
    });
    const { outcome, reportPath, meaning } = await scan(dir, "dir");
    expect([outcome.exitCode, meaning]).toEqual([gitleaks.exitCodes.leaks, "findings"]);
    const raw = read(reportPath);
    expect(raw).not.toContain(AWS_KEY);
    const result = gitleaks.parse(raw, { file: reportPath });
    expect(
      result.findings.map((finding) => [finding.ruleId, finding.location?.path, finding.location?.startLine]),
    ).toEqual([["aws-access-token", "config.py", 1]]);
    expect(result.findings[0]?.snippet).toContain("REDACTED");
    expect(JSON.stringify(result)).not.toContain(AWS_KEY);
  });

  it("finds a secret committed and then removed in the history, not in the working tree", async () => {
    const dir = repository();
    writeFiles(dir, { "deploy.sh": `export GITHUB_TOKEN=${GITHUB_TOKEN}\n` });
    git(dir, "add", ".");
    git(dir, "commit", "-qm", "add deploy script");
    const leaked = git(dir, "rev-parse", "HEAD").trim();
    rmSync(path.join(dir, "deploy.sh"));
    git(dir, "commit", "-qam", "remove the token");

    const tree = await scan(dir, "dir");
    expect([tree.outcome.exitCode, read(tree.reportPath).trim()]).toEqual([0, "[]"]);
    const history = await scan(dir, "git");
    expect(history.meaning).toBe("findings");
    const result = gitleaks.parse(read(history.reportPath));
    expect(result.findings.map((finding) => [finding.ruleId, finding.location?.path, finding.commit])).toEqual([
      ["github-pat", "deploy.sh", leaked],
    ]);
    expect(read(history.reportPath)).not.toContain(GITHUB_TOKEN);

    // The report of this run as a baseline: the same leak is not reported again.
    const baselined = await scan(dir, "git", { baselinePath: history.reportPath });
    expect([baselined.outcome.exitCode, gitleaks.parse(read(baselined.reportPath)).findings]).toEqual([0, []]);
  });

  it("keeps the secret out of every output of evaluate", async () => {
    const dir = repository();
    writeFiles(dir, { "config.py": `aws_access_key_id = "${AWS_KEY}"\n` });
    const { reportPath } = await scan(dir, "dir");
    const out = tempDir("portcullis-gitleaks-evaluate-");
    const result = await run(
      ["evaluate", "--env", "development", "--report", `gitleaks=${reportPath}`, "--out", out, "--format", "json"],
      { cwd: path.resolve(import.meta.dirname, "../../..") },
    );
    expect(result.code).toBe(1);
    expect(statuses(reportOf(result)).secrets).toBe("fail");
    for (const name of readdirSync(out)) expect(readFileSync(path.join(out, name), "utf8")).not.toContain(AWS_KEY);
    expect(result.stdout + result.stderr).not.toContain(AWS_KEY);
  });

  it("a user's own run without --redact, whose secrets are words of the outputs (`pass`, `test`): scrubbed from the data, every output whole", async () => {
    const dir = repository();
    writeFiles(dir, {
      "settings.py": 'api_key = "pass"\ndb_key = "test"\n',
      "rules.toml": [
        'title = "short keys"',
        "[[rules]]",
        'id = "short-key"',
        'description = "A short key"',
        String.raw`regex = '''key\s*=\s*"([a-z]{4})"'''`,
        "secretGroup = 1",
        "",
      ].join("\n"),
    });
    const reportPath = path.join(tempDir("portcullis-gitleaks-out-"), "gitleaks.json");
    const args = gitleaks.argv.dir({ source: ".", reportPath, configPath: "rules.toml" });
    const outcome = await runTool(
      tool.file,
      args.filter((arg) => arg !== "--redact"),
      { cwd: dir },
    );
    expect(outcome.exitCode).toBe(gitleaks.exitCodes.leaks);
    expect(gitleaks.parse(read(reportPath)).secrets).toEqual(["pass", "test"]);
    const out = tempDir("portcullis-gitleaks-evaluate-");
    const result = await run(["evaluate", "--env", "development", "--report", `gitleaks=${reportPath}`, "--out", out], {
      cwd: path.resolve(import.meta.dirname, "../../.."),
      env: { GITHUB_ACTIONS: "true" },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^secrets +FAIL ✗ +mandatory +2 high/m);
    const report = Report.parse(JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")));
    expect(report.findings.map((finding) => finding.snippet)).toEqual(['key = "REDACTED"', 'key = "REDACTED"']);
    // One test case per gate and per compliance control.
    expect(readFileSync(path.join(out, "junit.xml"), "utf8").match(/<testcase /g)).toHaveLength(
      report.verdicts.length + (report.compliance?.controls.length ?? 0),
    );
    expect(JSON.parse(readFileSync(path.join(out, "report.sarif"), "utf8"))).toMatchObject({ version: "2.1.0" });
  });

  it("an evidence bundle never carries a report written without --redact: refused (exit 2), packed once redacted", async () => {
    const dir = repository();
    writeFiles(dir, { "config.py": `aws_access_key_id = "${AWS_KEY}"\n` });
    const work = tempDir("portcullis-gitleaks-evidence-");
    const reports = path.join(work, "reports");
    mkdirSync(reports);
    const gitleaksRun = async (redact: boolean, format: "json" | "sarif", file: string) => {
      const args = gitleaks.argv.dir({ source: ".", reportPath: path.join(reports, file) });
      const asked = args.map((arg) => (arg === "json" ? format : arg));
      const outcome = await runTool(tool.file, redact ? asked : asked.filter((arg) => arg !== "--redact"), {
        cwd: dir,
      });
      expect(outcome.exitCode).toBe(gitleaks.exitCodes.leaks);
    };
    const judgeAndPack = async () => {
      const judged = await run(
        [
          "evaluate",
          "--env",
          "development",
          "--report",
          "gitleaks=reports/gitleaks.json",
          "--report",
          "gitleaks=reports/gitleaks.sarif",
          "--out",
          "reports",
        ],
        { cwd: work },
      );
      expect(judged.code).toBe(1);
      return run(["evidence", "--from", "reports", "--source", dir, "--out", "evidence.tar.gz"], { cwd: work });
    };

    await gitleaksRun(false, "json", "gitleaks.json");
    await gitleaksRun(false, "sarif", "gitleaks.sarif");
    expect(read(path.join(reports, "gitleaks.json"))).toContain(AWS_KEY);
    const refused = await judgeAndPack();
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("reports/gitleaks.json (1 secret), reports/gitleaks.sarif (1 secret)");
    expect(refused.stderr).toContain("--redact");
    expect(refused.stdout + refused.stderr).not.toContain(AWS_KEY);
    expect(readdirSync(work)).not.toContain("evidence.tar.gz");

    await gitleaksRun(true, "json", "gitleaks.json");
    await gitleaksRun(true, "sarif", "gitleaks.sarif");
    const packed = await judgeAndPack();
    expect(packed.code, packed.stderr).toBe(0);
    // gitleaks' SARIF snippet is the secret alone: which part of the match it is cannot be told, and that is said.
    expect(packed.stderr).toMatch(/1 secret\(s\) gitleaks masked could not be read back .*a SARIF report/);
    const bundle = gunzipSync(readFileSync(path.join(work, "evidence.tar.gz")));
    expect(bundle.includes("reports/gitleaks.sarif")).toBe(true);
    expect(bundle.includes(AWS_KEY)).toBe(false);
  });

  it("its JSON and SARIF of one run give the same path and fingerprint, for files named with `%20`, `#` and spaces", async () => {
    const files = ["C#/x%20y.sh", "dir with space/conf file.sh"];
    const dir = repository();
    writeFiles(dir, Object.fromEntries(files.map((file) => [file, `export GITHUB_TOKEN=${GITHUB_TOKEN}\n`])));
    const out = tempDir("portcullis-gitleaks-out-");
    const run = async (format: "json" | "sarif") => {
      const reportPath = path.join(out, `gitleaks.${format}`);
      const args = gitleaks.argv.dir({ source: ".", reportPath }).map((arg) => (arg === "json" ? format : arg));
      expect((await runTool(tool.file, args, { cwd: dir })).exitCode).toBe(gitleaks.exitCodes.leaks);
      return gitleaks
        .parse(read(reportPath))
        .findings.map((finding) => [finding.location?.path, finding.fingerprint])
        .sort();
    };
    const json = await run("json");
    expect(await run("sarif")).toEqual(json);
    // gitleaks writes the path as it is (`%20` is part of the file's name).
    expect(read(path.join(out, "gitleaks.sarif"))).toContain('"uri": "C#/x%20y.sh"');
    expect(json.map(([where]) => where)).toEqual([...files].sort());
  });

  it("exits with its error code, not the leaks code, when it cannot run", async () => {
    const dir = repository();
    const { outcome, meaning } = await scan(dir, "dir", { configPath: path.join(dir, "missing.toml") });
    expect(outcome.exitCode).toBe(gitleaks.exitCodes.error);
    expect(meaning).toBe("error");
  });
});
