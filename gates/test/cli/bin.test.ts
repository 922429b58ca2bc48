import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Report } from "../../src/model/report.js";
import { findOnPath } from "../../src/runner/spawn.js";
import { TOOL_SOURCES } from "../../src/tools/install-sources.js";
import { ADVISORY, GATEKEEPER, REPO_ROOT, fixture, isRunning, tempDir } from "./cli-harness.js";

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

/**
 * The binary with its stdout or stderr a pipe whose reader is gone before it writes a byte, as in
 * `portcullis validate | head` once head has its lines: every write to that stream fails with EPIPE.
 */
function withClosedReader(stream: "stdout" | "stderr", args: readonly string[], cwd: string) {
  return new Promise<{ code: number | null; other: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env["PATH"], NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    child[stream].destroy();
    let other = "";
    child[stream === "stdout" ? "stderr" : "stdout"].on("data", (chunk: Buffer) => (other += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, other }));
  });
}

/**
 * `portcullis ci` in a repository whose gitleaks (a stand-in on PATH that answers the pinned version,
 * then records its pid and sleeps) is still running when `signal` arrives.
 */
async function interruptedCi(signal: "SIGINT" | "SIGTERM") {
  const dir = tempDir();
  writeFileSync(path.join(dir, "README.md"), "# App\n");
  const bin = path.join(dir, ".bin");
  mkdirSync(bin);
  const pidFile = path.join(dir, "gitleaks.pid");
  writeFileSync(
    path.join(bin, "gitleaks"),
    [
      "#!/bin/sh",
      `if [ "$1" = "version" ]; then echo '${TOOL_SOURCES.gitleaks.version}'; exit 0; fi`,
      `echo $$ > "${pidFile}"`,
      `exec "${findOnPath("sleep", process.env) ?? "/bin/sleep"}" 30`,
      "",
    ].join("\n"),
  );
  chmodSync(path.join(bin, "gitleaks"), 0o755);
  // An earlier run's verdict, which must not be left looking like this run's.
  mkdirSync(path.join(dir, "reports"));
  writeFileSync(path.join(dir, "reports", "report.json"), "{}\n");
  const child = spawn(process.execPath, [BIN, "ci", ".", "--env", "production"], {
    cwd: dir,
    env: { PATH: bin, HOME: dir, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
  let stderr = "";
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const code = await new Promise<number | null>((resolve, reject) => {
    const started = setInterval(() => {
      if (!existsSync(pidFile)) return;
      clearInterval(started);
      child.kill(signal);
    }, 50);
    child.once("error", reject);
    child.once("close", resolve);
  });
  const toolPid = Number(readFileSync(pidFile, "utf8"));
  return { code, stdout, stderr, dir, toolPid };
}

describe("the portcullis binary", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("ci stopped by %s judges nothing, stops the tools and exits %i", async (signal, exitCode) => {
    const result = await interruptedCi(signal);
    expect(result.code).toBe(exitCode);
    expect(result.stderr).toContain(
      `portcullis ci: interrupted (${signal}): the tools were stopped and nothing was judged`,
    );
    expect(result.stdout).not.toMatch(/PASSED|BLOCKED/);
    expect(existsSync(path.join(result.dir, "reports", "report.json"))).toBe(false);
    expect(isRunning(result.toolPid)).toBe(false);
  });

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

  describe("a reader that goes away changes no exit code and prints no stack", () => {
    it("--version, stdout closed: exit 0", async () => {
      const result = await withClosedReader("stdout", ["--version"], REPO_ROOT);
      expect(result).toEqual({ code: 0, other: "" });
    });

    it("a passing evaluate, stdout closed: exit 0, the files still written", async () => {
      const dir = tempDir();
      const reports = path.join(dir, "reports");
      mkdirSync(reports);
      copyFileSync(fixture("trivy.clean.json"), path.join(reports, "trivy.fs.json"));
      const args = ["evaluate", "--env", ADVISORY, "--reports", "reports", "--out", "out"];
      expect(portcullis(args, dir).code).toBe(0);
      const result = await withClosedReader("stdout", args, dir);
      expect(result).toEqual({ code: 0, other: "" });
      expect(existsSync(path.join(dir, "out", "report.html"))).toBe(true);
    });

    it("a stdout that cannot be written for another reason (a full disk) still fails, naming the cause", () => {
      const full = openSync("/dev/full", "w");
      try {
        const result = spawnSync(process.execPath, [BIN, "--version"], {
          cwd: REPO_ROOT,
          env: { PATH: process.env["PATH"], NO_COLOR: "1" },
          stdio: ["ignore", full, "pipe"],
          encoding: "utf8",
          timeout: 60_000,
        });
        expect(result.status).toBe(1);
        expect(result.stderr).toContain("ENOSPC");
      } finally {
        closeSync(full);
      }
    });

    it("a usage error, stderr closed: exit 2", async () => {
      const result = await withClosedReader("stderr", ["evaluate", "--report", "nmap=x.json"], REPO_ROOT);
      expect(result).toEqual({ code: 2, other: "" });
    });
  });

  it("exits 2 on a usage error", () => {
    const result = portcullis(["evaluate", "--env", GATEKEEPER, "--report", "nmap=x.json"], REPO_ROOT);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown report kind "nmap"');
  });
});
