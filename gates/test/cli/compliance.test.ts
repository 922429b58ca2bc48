import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Report } from "../../src/model/report.js";
import { findOnPath } from "../../src/runner/spawn.js";
import { trivy } from "../../src/tools/trivy.js";
import { FIXTURES, GATEKEEPER, fixture, reportOf, run, statuses, tempDir } from "./cli-harness.js";

/**
 * The compliance gate at the CLI: `evaluate` and `ci` gather the controls' evidence (repository
 * files, the change set, workflows, the SBOM among the reports, the ledger) when the gate is
 * enabled, from the flags --source, --base, --controls and --ledger; `ci` also runs the SBOM stage.
 */

const COMPLIANCE = path.join(FIXTURES, "environments", "compliance.yml");

function control(report: Report, id: string) {
  return report.compliance?.controls.find((entry) => entry.id === id);
}

/** A reports dir with a clean trivy report (compliance needs it), and the SBOM unless told not to. */
function reports(dir: string, options: { sbom: boolean }): string {
  const out = path.join(dir, "reports");
  mkdirSync(out, { recursive: true });
  copyFileSync(fixture("trivy.clean.json"), path.join(out, "trivy.fs.json"));
  if (options.sbom) copyFileSync(fixture("sbom.cdx.json"), path.join(out, "sbom.cdx.json"));
  return out;
}

describe("evaluate gathers the compliance evidence", () => {
  it.each([
    [true, "pass"],
    [false, "fail"],
  ])("finds the SBOM among the reports (present: %s -> sbom-present %s)", async (sbom, status) => {
    const dir = tempDir();
    reports(dir, { sbom });
    const report = reportOf(
      await run(["evaluate", "--env", COMPLIANCE, "--reports", "reports", "--format", "json"], { cwd: dir }),
    );
    expect(control(report, "sbom-present")?.status).toBe(status);
  });

  it("reads the repository given by --source (default: the current directory)", async () => {
    const dir = tempDir();
    reports(dir, { sbom: true });
    const repo = path.join(dir, "repo");
    mkdirSync(repo);
    for (const file of ["README.md", "CHANGELOG.md", "SECURITY.md", "CODEOWNERS"])
      writeFileSync(path.join(repo, file), "x\n");
    const here = reportOf(
      await run(["evaluate", "--env", COMPLIANCE, "--reports", "reports", "--format", "json"], { cwd: dir }),
    );
    expect(control(here, "repository-files")).toMatchObject({
      status: "fail",
      details: "missing: README.md, CHANGELOG.md, SECURITY.md, CODEOWNERS",
    });
    const there = reportOf(
      await run(["evaluate", "--env", COMPLIANCE, "--reports", "reports", "--source", "repo", "--format", "json"], {
        cwd: dir,
      }),
    );
    // Files present; whether CHANGELOG.md changed cannot be told without a base ref.
    expect(control(there, "repository-files")).toMatchObject({ status: "error" });
    expect(control(there, "repository-files")?.details).toMatch(
      /^cannot tell whether CHANGELOG.md changed: no base ref given/,
    );
  });

  it("passes --base to the change-set lookup", async () => {
    const dir = tempDir();
    reports(dir, { sbom: true });
    for (const file of ["README.md", "CHANGELOG.md", "SECURITY.md", "CODEOWNERS"])
      writeFileSync(path.join(dir, file), "x\n");
    const report = reportOf(
      await run(
        ["evaluate", "--env", COMPLIANCE, "--reports", "reports", "--base", "no-such-ref", "--format", "json"],
        { cwd: dir },
      ),
    );
    expect(control(report, "repository-files")?.details).toMatch(/git diff no-such-ref\.\.\.HEAD failed/);
  });

  it("refuses a --base git could read as an option (exit 2), before anything runs git", async () => {
    const dir = tempDir();
    reports(dir, { sbom: true });
    const injected = path.join(dir, "INJECTED");
    const result = await run(
      ["evaluate", "--env", COMPLIANCE, "--reports", "reports", `--base=--output=${injected}`, "--format", "json"],
      { cwd: dir },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--base "--output=.*" is not a plain git revision/);
    expect(readdirSync(dir).filter((name) => name.startsWith("INJECTED"))).toEqual([]);
  });

  it("blocks when a mandatory compliance control does not pass", async () => {
    const dir = tempDir();
    reports(dir, { sbom: false });
    const result = await run(["evaluate", "--env", COMPLIANCE, "--reports", "reports", "--format", "json"], {
      cwd: dir,
    });
    expect(statuses(reportOf(result))["compliance"]).not.toBe("pass");
    expect(result.code).toBe(1);
  });

  it.each([
    ["--controls", /--controls "missing.yml": file not found/],
    ["--ledger", /--ledger "missing.yml": file not found/],
  ])("refuses a %s file that is not there, before reading any report (exit 2)", async (flag, message) => {
    const dir = tempDir();
    reports(dir, { sbom: true });
    const result = await run(["evaluate", "--env", COMPLIANCE, "--reports", "reports", flag, "missing.yml"], {
      cwd: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("gathers nothing when the compliance gate is disabled", async () => {
    const dir = tempDir();
    reports(dir, { sbom: true });
    const report = reportOf(
      await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--format", "json"], { cwd: dir }),
    );
    expect(report.compliance).toBeUndefined();
    expect(statuses(report)["compliance"]).toBe("disabled");
  });
});

describe("ci runs the SBOM stage for the compliance gate", () => {
  /** A fake trivy: the SBOM fixture for `--format cyclonedx`, the clean report otherwise. */
  function fakeTrivy(bin: string, log: string): void {
    const cat = findOnPath("cat", process.env) ?? "/usr/bin/cat";
    const script = [
      "#!/bin/sh",
      // The host runner asks for the version first: answer with the pinned one.
      `if [ "$1" = version ]; then echo '{"Version":"${trivy.image.version}"}'; exit 0; fi`,
      'out=""; prev=""; sbom=""',
      'for arg in "$@"; do if [ "$prev" = "--output" ]; then out="$arg"; fi; if [ "$arg" = "cyclonedx" ]; then sbom=1; fi; prev="$arg"; done',
      `if [ -n "$sbom" ]; then printf '%s\\n' "$@" > "${log}/sbom.argv"; "${cat}" "${fixture("sbom.cdx.json")}" > "$out"; else "${cat}" "${fixture("trivy.clean.json")}" > "$out"; fi`,
      "exit 0",
      "",
    ].join("\n");
    writeFileSync(path.join(bin, "trivy"), script);
    chmodSync(path.join(bin, "trivy"), 0o755);
  }

  function project(withTrivy: boolean) {
    const root = tempDir("portcullis-ci-");
    const dir = path.join(root, "project");
    const bin = path.join(root, "bin");
    const log = path.join(root, "log");
    for (const folder of [dir, bin, log]) mkdirSync(folder);
    if (withTrivy) fakeTrivy(bin, log);
    return { root, dir, bin, log, env: { PATH: bin, HOME: root } };
  }

  it("writes sbom.cdx.json with the adapter's argv, and the control finds it", async () => {
    const ws = project(true);
    const result = await run(["ci", "project", "--env", COMPLIANCE, "--format", "json"], { cwd: ws.root, env: ws.env });
    const out = path.join(ws.dir, "reports");
    expect(existsSync(path.join(out, "sbom.cdx.json"))).toBe(true);
    expect(existsSync(path.join(out, "sbom.exitcode"))).toBe(false);
    const argv = readFileSync(path.join(ws.log, "sbom.argv"), "utf8").trimEnd().split("\n");
    expect(argv).toEqual(
      trivy.argv.sbom({
        dir: ".",
        output: path.join(out, "sbom.cdx.json"),
        cacheDir: path.join(ws.root, ".cache", "trivy"),
      }),
    );
    expect(control(reportOf(result), "sbom-present")?.status).toBe("pass");
    expect(result.stderr).toMatch(/\] sbom ok in /);
  });

  it("removes a previous run's SBOM: without trivy the control fails instead of passing on a stale file", async () => {
    const ws = project(false);
    const out = path.join(ws.dir, "reports");
    mkdirSync(out);
    copyFileSync(fixture("sbom.cdx.json"), path.join(out, "sbom.cdx.json"));
    const result = await run(["ci", "project", "--env", COMPLIANCE, "--format", "json"], { cwd: ws.root, env: ws.env });
    expect(existsSync(path.join(out, "sbom.cdx.json"))).toBe(false);
    const report = reportOf(result);
    expect(control(report, "sbom-present")?.status).toBe("fail");
    expect(result.stderr).toMatch(/\] sbom skipped trivy not found on PATH/);
    expect(result.code).toBe(1);
  });
});
