import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import tar from "tar-stream";
import { beforeAll, describe, expect, it } from "vitest";
import type { ToolResult } from "../../src/findings/finding.js";
import { gitleaks } from "../../src/tools/gitleaks.js";
import { parseTrivyVersion, trivy } from "../../src/tools/trivy.js";
import { reportOf, run, tempDir } from "../cli/cli-harness.js";
import { closedPort, project, read, realTool, runTool } from "./real-tool.js";
import { trivyCacheWithDb } from "./trivy-db.js";

/**
 * The real trivy (the pinned 0.74) with the adapter's argv, offline: vulnerabilities come from a
 * small DB the test builds (trivy-db.ts), misconfigurations from trivy's built-in checks.
 */

const tool = await realTool("trivy");
const gitleaksTool = await realTool("gitleaks");

/** An AWS access key id trivy's secret rules recognise (not a real credential), assembled at run time. */
const AWS_KEY = ["AKIA", "QYLPMN5HHHFPZAM2"].join("");

const LOCKFILE = JSON.stringify({
  name: "planted",
  version: "1.0.0",
  lockfileVersion: 3,
  packages: {
    "": { name: "planted", version: "1.0.0", dependencies: { lodash: "4.17.11", "gpl-lib": "1.0.0" } },
    "node_modules/lodash": { version: "4.17.11", license: "MIT" },
    "node_modules/gpl-lib": { version: "1.0.0", license: "GPL-3.0-only" },
  },
});

const PLANTED = {
  "package.json": JSON.stringify({
    name: "planted",
    version: "1.0.0",
    dependencies: { lodash: "4.17.11", "gpl-lib": "1.0.0" },
  }),
  "package-lock.json": LOCKFILE,
  "node_modules/lodash/package.json": JSON.stringify({ name: "lodash", version: "4.17.11", license: "MIT" }),
  "node_modules/gpl-lib/package.json": JSON.stringify({ name: "gpl-lib", version: "1.0.0", license: "GPL-3.0-only" }),
  Dockerfile: 'FROM alpine:3.10\nRUN apk add --no-cache curl\nCMD ["curl", "--version"]\n',
  "deploy/credentials.sh": `export AWS_ACCESS_KEY_ID=${AWS_KEY}\n`,
};

let cache = "";

beforeAll(() => {
  if (tool.file !== undefined) cache = trivyCacheWithDb(new Date());
}, 600_000);

function output(name: string): string {
  return path.join(tempDir("portcullis-trivy-out-"), name);
}

describe.runIf(tool.runs)("trivy (real)", () => {
  it("finds vulnerabilities, misconfigurations, secrets and licences in a folder, offline", async () => {
    const dir = project("portcullis-trivy-", PLANTED);
    const report = output("trivy.fs.json");
    const outcome = await runTool(tool.file, trivy.argv.fs({ dir: ".", output: report, cacheDir: cache }), {
      cwd: dir,
      timeoutMs: 300_000,
    });
    expect(outcome.exitCode, outcome.outputTail.join("\n")).toBe(0);
    const raw = read(report);
    expect(raw).not.toContain(AWS_KEY);
    const result = trivy.parse(raw);
    const ids = (kind: string) =>
      result.findings.filter((finding) => finding.kind === kind).map((finding) => finding.ruleId);
    expect(ids("vulnerability")).toEqual(["CVE-2019-10744"]);
    expect(result.findings.find((finding) => finding.kind === "vulnerability")).toMatchObject({
      severity: "critical",
      package: { name: "lodash", installed: "4.17.11", fixed: ["4.17.12"] },
    });
    expect(ids("misconfiguration")).toContain("DS-0002");
    expect(ids("secret")).toEqual(["aws-access-key-id"]);
    expect(result.findings.find((finding) => finding.kind === "secret")?.snippet).toContain("REDACTED");
    expect(result.findings.filter((finding) => finding.kind === "license").map((finding) => finding.title)).toEqual(
      expect.arrayContaining([expect.stringContaining("GPL-3.0")]),
    );
    expect(JSON.stringify(result)).not.toContain(AWS_KEY);
  }, 600_000);

  it("never lets the scanned tree's trivy.yaml or trivy-secret.yaml narrow the scan", async () => {
    const dir = project("portcullis-trivy-config-", {
      ...PLANTED,
      // What a pull request could add to pass the gates with no waiver: only criticals, no Dockerfile,
      "trivy.yaml": "severity:\n  - CRITICAL\nscan:\n  skip-files:\n    - Dockerfile\n",
      // and every secret allowed.
      "trivy-secret.yaml": 'allow-rules:\n  - id: all\n    regex: ".*"\n',
    });
    const report = output("trivy.fs.json");
    const outcome = await runTool(
      tool.file,
      trivy.argv.fs({ dir: ".", output: report, cacheDir: cache, scanners: ["misconfig", "secret"] }),
      { cwd: dir, timeoutMs: 300_000 },
    );
    expect(outcome.exitCode, outcome.outputTail.join("\n")).toBe(0);
    const findings = trivy.parse(read(report)).findings;
    const misconfigurations = findings.filter((finding) => finding.kind === "misconfiguration");
    expect(misconfigurations.map((finding) => finding.ruleId)).toContain("DS-0002");
    expect(misconfigurations.some((finding) => finding.severity !== "critical")).toBe(true);
    expect(findings.filter((finding) => finding.kind === "secret").map((finding) => finding.ruleId)).toEqual([
      "aws-access-key-id",
    ]);
  }, 600_000);

  it.runIf(gitleaksTool.runs)(
    "one private key found by gitleaks (BEGIN to END line) and by trivy (its body) counts once",
    async () => {
      const dir = project("portcullis-trivy-key-", {});
      // Generated here, so that no key is kept in the repository.
      execFileSync("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "key.pem"], {
        cwd: dir,
        stdio: "ignore",
      });
      const reports = tempDir("portcullis-trivy-key-reports-");
      const leaks = await runTool(
        gitleaksTool.file,
        gitleaks.argv.dir({ source: ".", reportPath: path.join(reports, "gitleaks.json") }),
        { cwd: dir },
      );
      expect(leaks.exitCode).toBe(gitleaks.exitCodes.leaks);
      const scan = await runTool(
        tool.file,
        trivy.argv.fs({
          dir: ".",
          output: path.join(reports, "trivy.nodb.json"),
          cacheDir: cache,
          scanners: ["secret"],
        }),
        { cwd: dir },
      );
      expect(scan.exitCode).toBe(0);
      const lines = (file: string, parse: (raw: string) => ToolResult) =>
        parse(read(path.join(reports, file))).findings.map((finding) => [
          finding.location?.startLine,
          finding.location?.endLine,
        ]);
      const gitleaksLines = lines("gitleaks.json", (raw) => gitleaks.parse(raw));
      const trivyLines = lines("trivy.nodb.json", (raw) => trivy.parse(raw));
      // The two tools do not agree on the lines: that is why overlapping lines are one secret.
      expect(gitleaksLines).toHaveLength(1);
      expect(trivyLines).toHaveLength(1);
      expect(trivyLines).not.toEqual(gitleaksLines);

      const judged = await run(["evaluate", "--env", "development", "--reports", reports, "--format", "json"], {
        cwd: dir,
      });
      const report = reportOf(judged);
      expect(report.findings.filter((finding) => finding.kind === "secret").map((finding) => finding.tool)).toEqual([
        "gitleaks",
      ]);
    },
  );

  it("says, as the report's warnings, what trivy skipped and logged only: an IaC file it could not parse", async () => {
    const dir = project("portcullis-trivy-skipped-", {
      ...PLANTED,
      // trivy skips it, exit 0, and says so only in its log.
      "infra/main.tf": 'resource "aws_s3_bucket" "b" {\n  acl = "public-read"\n\nresource "x" {\n',
    });
    const reports = tempDir("portcullis-trivy-skipped-reports-");
    const outcome = await runTool(
      tool.file,
      trivy.argv.fs({ dir: ".", output: path.join(reports, "trivy.fs.json"), cacheDir: cache }),
      { cwd: dir, timeoutMs: 300_000, stderrFile: path.join(reports, "trivy.fs.log") },
    );
    expect(outcome.exitCode, outcome.outputTail.join("\n")).toBe(0);
    writeFileSync(path.join(reports, "trivy.fs.exitcode"), "0\n");
    const judged = await run(["evaluate", "--env", "development", "--reports", reports, "--format", "json"], {
      cwd: dir,
    });
    const report = reportOf(judged);
    const warnings = report.tools.find((entry) => entry.kind === "trivy")?.toolErrors ?? [];
    expect(warnings).toContainEqual(
      expect.objectContaining({
        level: "warning",
        message: expect.stringMatching(
          /^trivy: \[terraform parser\] Error parsing file: .*Unclosed configuration block/,
        ) as unknown,
      }),
    );
    // What it did read is still judged: the partial scan warns, it does not hide what it found.
    expect(report.findings.some((finding) => finding.ruleId === "CVE-2019-10744")).toBe(true);
    expect(report.verdicts.find((verdict) => verdict.gate === "sast")?.status).not.toBe("pass");
  }, 600_000);

  it("writes a CycloneDX SBOM listing the packages", async () => {
    const dir = project("portcullis-trivy-", PLANTED);
    const sbom = output("sbom.cdx.json");
    const outcome = await runTool(tool.file, trivy.argv.sbom({ dir: ".", output: sbom, cacheDir: cache }), {
      cwd: dir,
      timeoutMs: 300_000,
    });
    expect(outcome.exitCode).toBe(0);
    const document = JSON.parse(read(sbom)) as { bomFormat: string; components: { name: string; version: string }[] };
    expect(document.bomFormat).toBe("CycloneDX");
    expect(document.components.map((component) => `${component.name}@${component.version}`)).toEqual(
      expect.arrayContaining(["lodash@4.17.11", "gpl-lib@1.0.0"]),
    );
  }, 600_000);

  it("scans an image tarball with `trivy image --input`, no daemon or registry", async () => {
    const input = output("image.tar");
    writeFileSync(input, await alpineImageTarball());
    const report = output("trivy.image.json");
    const outcome = await runTool(
      tool.file,
      trivy.argv.image({ input, output: report, cacheDir: cache, scanners: ["vuln"] }),
      {
        cwd: path.dirname(input),
        timeoutMs: 300_000,
      },
    );
    expect(outcome.exitCode, outcome.outputTail.join("\n")).toBe(0);
    const result = trivy.parse(read(report));
    expect(result.findings.map((finding) => [finding.ruleId, finding.package?.name, finding.severity])).toEqual([
      ["CVE-2019-1549", "openssl", "medium"],
    ]);
  }, 600_000);

  it("a scan whose DB is older than max_db_age makes the vulnerabilities gate error", async () => {
    const updatedAt = new Date(Date.now() - 30 * 86_400_000);
    const old = trivyCacheWithDb(updatedAt);
    const dir = project("portcullis-trivy-", PLANTED);
    const reports = path.join(dir, "reports");
    mkdirSync(path.join(reports, "versions"), { recursive: true });
    const scan = await runTool(
      tool.file,
      trivy.argv.fs({ dir: ".", output: path.join(reports, "trivy.json"), cacheDir: old }),
      {
        cwd: dir,
        timeoutMs: 300_000,
      },
    );
    expect(scan.exitCode, scan.outputTail.join("\n")).toBe(0);
    // What the runners record next to the reports: trivy's own account of the DB the scan used.
    const versionFile = path.join(reports, "versions", "trivy.txt");
    writeFileSync(versionFile, execFileSync(tool.file ?? "trivy", trivy.argv.version(old), { encoding: "utf8" }));
    const info = parseTrivyVersion(read(versionFile));
    expect(info.version).toBe(trivy.image.version);
    expect(Date.parse(info.vulnerabilityDb?.updatedAt ?? "")).toBe(updatedAt.getTime());
    const environment = path.join(dir, "env.yml");
    writeFileSync(environment, "name: dbcheck\ngates:\n  vulnerabilities:\n    max_db_age: 168h\n");
    const result = await run(["evaluate", "--env", environment, "--reports", "reports", "--format", "json"], {
      cwd: dir,
    });
    const verdict = reportOf(result).verdicts.find((candidate) => candidate.gate === "vulnerabilities");
    expect(verdict?.status).toBe("error");
    expect(verdict?.reason).toMatch(/older than max_db_age 168h/);
  }, 600_000);

  it("fails (never a clean exit) when it has no DB and cannot download one", async () => {
    const closed = await closedPort();
    const dir = project("portcullis-trivy-", PLANTED);
    const report = output("trivy.fs.json");
    const args = trivy.argv.fs({
      dir: ".",
      output: report,
      cacheDir: tempDir("portcullis-trivy-empty-"),
      dbRepository: `127.0.0.1:${closed}/trivy-db`,
    });
    const outcome = await runTool(tool.file, args, { cwd: dir, timeoutMs: 300_000 });
    expect(outcome.exitCode).not.toBe(0);
    expect(trivy.exitMeaning(outcome.exitCode)).toBe("error");
  }, 600_000);
});

/** A `docker save` archive of a one-layer Alpine 3.10 image with a vulnerable openssl installed. */
async function alpineImageTarball(): Promise<Buffer> {
  const layer = await tarOf({
    "etc/alpine-release": "3.10.9\n",
    "lib/apk/db/installed": "P:openssl\nV:1.1.1c-r0\nA:x86_64\nL:OpenSSL\no:openssl\n\n",
  });
  const diffId = `sha256:${createHash("sha256").update(layer).digest("hex")}`;
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: {},
      rootfs: { type: "layers", diff_ids: [diffId] },
      history: [{ created: "2026-01-01T00:00:00Z", created_by: "portcullis test" }],
    }),
  );
  const configName = `${createHash("sha256").update(config).digest("hex")}.json`;
  const manifest = JSON.stringify([
    { Config: configName, RepoTags: ["portcullis/planted:1"], Layers: ["layer/layer.tar"] },
  ]);
  return tarOf({ "manifest.json": manifest, [configName]: config, "layer/layer.tar": layer });
}

async function tarOf(files: Readonly<Record<string, string | Buffer>>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mtime: new Date(0) }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
