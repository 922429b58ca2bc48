import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Report } from "../../src/model/report.js";
import { GATEKEEPER, REPO_ROOT, fixture, tempDir } from "./cli-harness.js";

/** The built CLI, as users run it (`npm test` builds first). */
const BIN = path.join(REPO_ROOT, "gates", "bin", "portcullis.js");
const DIST = path.join(REPO_ROOT, "gates", "dist", "cli", "main.js");

function portcullis(args: readonly string[], cwd: string) {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` first (npm test does)`);
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env["PATH"], NO_COLOR: "1" },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the portcullis binary", () => {
  it.each([[["--help"]], [["evaluate", "--help"]], [["ci", "--help"]]])("%j exits 0 with usage", (args) => {
    const result = portcullis(args, REPO_ROOT);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: portcullis/);
  });

  it("evaluates a reports directory end to end: table, files, exit 1 when blocked", () => {
    const dir = tempDir();
    const reports = path.join(dir, "reports");
    mkdirSync(reports);
    copyFileSync(fixture("validate.clean.json"), path.join(reports, "validate.json"));
    copyFileSync(fixture("gitleaks.leak.json"), path.join(reports, "gitleaks.json"));
    copyFileSync(fixture("trivy.clean.json"), path.join(reports, "trivy.fs.json"));
    copyFileSync(fixture("semgrep.clean.json"), path.join(reports, "semgrep.json"));
    copyFileSync(fixture("k6.pass.json"), path.join(reports, "k6.json"));
    const result = portcullis(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--out", "out"], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^secrets +FAIL ✗ +mandatory/m);
    expect(result.stdout).not.toContain("\u001b[");
    expect(result.stdout).not.toContain("ghp_Zq8vK2mWx4Rt6Yu1Io3Pa5Sd7Fg9Hj0Kl2Nb");
    const written = portcullis(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--format", "json"], dir);
    expect(Report.parse(JSON.parse(written.stdout)).passed).toBe(false);
    for (const name of ["report.json", "report.sarif", "summary.md", "junit.xml", "report.html"])
      expect(existsSync(path.join(dir, "out", name))).toBe(true);
  });

  it("exits 2 on a usage error", () => {
    const result = portcullis(["evaluate", "--env", GATEKEEPER, "--report", "nmap=x.json"], REPO_ROOT);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown report kind "nmap"');
  });
});
