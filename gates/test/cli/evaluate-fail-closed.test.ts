import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ADVISORY, GATEKEEPER, fixture, reportOf, run, statuses, tempDir } from "./cli-harness.js";

/**
 * The fail-closed matrix at the CLI: for each tool, a report that is missing, empty, truncated, of
 * another tool, or left by a run whose exit code says it crashed makes the tool's gate `error`,
 * blocking (exit 1) when the gate is mandatory and only warning (exit 0) when it is advisory.
 */

const TOOLS = [
  { kind: "gitleaks", gate: "secrets", good: "gitleaks.clean.json", other: "semgrep.clean.json", crash: 1 },
  { kind: "trivy", gate: "vulnerabilities", good: "trivy.clean.json", other: "gitleaks.leak.json", crash: 2 },
  { kind: "semgrep", gate: "sast", good: "semgrep.clean.json", other: "trivy.clean.json", crash: 7 },
  { kind: "k6", gate: "performance", good: "k6.pass.json", other: "validate.clean.json", crash: 107 },
] as const;

type Tool = (typeof TOOLS)[number];

/** Each case lays out a reports directory and says which error code the tool's report must carry. */
const CASES: readonly { name: string; code: string; setup: (dir: string, tool: Tool) => void }[] = [
  {
    name: "missing (only the exit code was left)",
    code: "REPORT_MISSING",
    setup: (dir, tool) => exitCode(dir, tool, 0),
  },
  { name: "empty", code: "REPORT_EMPTY", setup: (dir, tool) => writeFileSync(reportPath(dir, tool), "") },
  {
    name: "truncated",
    code: "REPORT_MALFORMED",
    setup: (dir, tool) => {
      const text = readFileSync(fixture(tool.good), "utf8");
      writeFileSync(reportPath(dir, tool), text.slice(0, Math.floor(text.length / 2)));
    },
  },
  {
    name: "of another tool",
    code: "REPORT_WRONG_TOOL",
    setup: (dir, tool) => copyFileSync(fixture(tool.other), reportPath(dir, tool)),
  },
  {
    name: "left by a crashed run",
    code: "TOOL_FAILED",
    setup: (dir, tool) => {
      copyFileSync(fixture(tool.good), reportPath(dir, tool));
      exitCode(dir, tool, tool.crash);
    },
  },
  { name: "absent after a crash", code: "TOOL_FAILED", setup: (dir, tool) => exitCode(dir, tool, tool.crash) },
  {
    name: "next to an unreadable exit code",
    code: "TOOL_FAILED",
    setup: (dir, tool) => {
      copyFileSync(fixture(tool.good), reportPath(dir, tool));
      writeFileSync(path.join(dir, `${tool.kind}.exitcode`), "segfault\n");
    },
  },
];

describe.each(TOOLS)("$kind report", (tool) => {
  it("is judged when it is sound (the control case)", async () => {
    const dir = tempDir();
    copyFileSync(fixture(tool.good), reportPath(dir, tool));
    exitCode(dir, tool, 0);
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", dir, "--format", "json"], { cwd: dir });
    const report = reportOf(result);
    expect(statuses(report)[tool.gate]).toBe("pass");
    expect(report.tools.find((entry) => entry.kind === tool.kind)?.error).toBeUndefined();
  });

  it.each(CASES)("$name: the gate is `error` and blocks when mandatory", async ({ code, setup }) => {
    const dir = tempDir();
    setup(dir, tool);
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", dir, "--format", "json"], { cwd: dir });
    expect(result.code).toBe(1);
    const report = reportOf(result);
    const verdict = report.verdicts.find((entry) => entry.gate === tool.gate);
    expect(verdict).toMatchObject({ status: "error", blocking: true });
    expect(verdict?.fix).toBeTruthy();
    expect(report.tools.find((entry) => entry.kind === tool.kind)?.error?.code).toBe(code);
  });

  it.each(CASES)("$name: the gate is `error` but only warns when advisory", async ({ setup }) => {
    const dir = tempDir();
    setup(dir, tool);
    const result = await run(["evaluate", "--env", ADVISORY, "--reports", dir, "--format", "json"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(reportOf(result).verdicts.find((entry) => entry.gate === tool.gate)).toMatchObject({
      status: "error",
      blocking: false,
    });
  });

  it("named with --report but not there: REPORT_MISSING, exit 1, never exit 2", async () => {
    const dir = tempDir();
    const result = await run(
      ["evaluate", "--env", GATEKEEPER, "--report", `${tool.kind}=nowhere/${tool.kind}.json`, "--format", "json"],
      {
        cwd: dir,
      },
    );
    expect(result.code).toBe(1);
    const entry = reportOf(result).tools.find((candidate) => candidate.kind === tool.kind);
    expect(entry).toMatchObject({ file: `nowhere/${tool.kind}.json`, error: { code: "REPORT_MISSING" } });
  });
});

describe("exit codes that are not crashes", () => {
  it.each([
    ["gitleaks", "gitleaks.leak.json", 42, "secrets", "fail"],
    ["semgrep", "semgrep.finding.json", 1, "sast", "fail"],
    ["k6", "k6.pass.json", 99, "performance", "fail"],
  ])("%s exiting %i (its 'findings' code) is judged on the report", async (kind, file, code, gate, status) => {
    const dir = tempDir();
    const text = readFileSync(fixture(file), "utf8");
    // k6 exits 99 with a threshold failed: the same run's summary says so.
    writeFileSync(
      path.join(dir, `${kind}.json`),
      kind === "k6" ? text.replace('"p(95)<200": false', '"p(95)<200": true') : text,
    );
    writeFileSync(path.join(dir, `${kind}.exitcode`), `${code}\n`);
    const report = reportOf(
      await run(["evaluate", "--env", GATEKEEPER, "--reports", dir, "--format", "json"], { cwd: dir }),
    );
    expect(statuses(report)[gate]).toBe(status);
    expect(report.tools.find((entry) => entry.kind === kind)).toMatchObject({ exitCode: code });
  });

  it.each([
    { kind: "gitleaks", file: "gitleaks.clean.json", code: 42, gate: "secrets" },
    { kind: "semgrep", file: "semgrep.clean.json", code: 1, gate: "sast" },
    { kind: "validate", file: "validate.clean.json", code: 1, gate: "framework_integrity" },
    // k6 re-evaluates its thresholds after one aborted the run, so its summary may pass them all.
    { kind: "k6", file: "k6.pass.json", code: 99, gate: "performance" },
  ])(
    "$kind exiting $code (it found something) beside a report that holds nothing: not that run's report, `error`",
    async ({ kind, file, code, gate }) => {
      const dir = tempDir();
      copyFileSync(fixture(file), path.join(dir, `${kind}.json`));
      writeFileSync(path.join(dir, `${kind}.exitcode`), `${code}\n`);
      const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", dir, "--format", "json"], { cwd: dir });
      const report = reportOf(result);
      expect(result.code).toBe(1);
      expect(statuses(report)[gate]).toBe("error");
      const error = report.tools.find((entry) => entry.kind === kind)?.error;
      expect(error?.code).toBe("REPORT_INVALID");
      expect(error?.message).toContain(
        kind === "k6"
          ? "exited with code 99, which it does only when a threshold failed (at the end, or one that aborted the run), but the summary shows every threshold passing"
          : `exited with code ${code}, which it does only when it found something, but the report holds no finding`,
      );
    },
  );

  it("a trivy scan without its vulnerability scanner (`trivy.nodb.json`) is no evidence for the vulnerabilities gate", async () => {
    const dir = tempDir();
    copyFileSync(fixture("trivy.clean.json"), path.join(dir, "trivy.nodb.json"));
    copyFileSync(fixture("gitleaks.clean.json"), path.join(dir, "gitleaks.json"));
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", dir, "--format", "json"], { cwd: dir });
    const verdict = reportOf(result).verdicts.find((entry) => entry.gate === "vulnerabilities");
    expect(result.code).toBe(1);
    expect(verdict).toMatchObject({ status: "error", blocking: true });
    expect(statuses(reportOf(result)).secrets).toBe("pass");
    // The same report, labelled as the full scan it is not, would be believed: the label says what ran.
    copyFileSync(path.join(dir, "trivy.nodb.json"), path.join(dir, "trivy.json"));
    const believed = await run(
      [
        "evaluate",
        "--env",
        GATEKEEPER,
        "--report",
        `trivy=${path.join(dir, "trivy.json")}`,
        "--gate",
        "vulnerabilities",
        "--format",
        "json",
      ],
      { cwd: dir },
    );
    expect(statuses(reportOf(believed)).vulnerabilities).toBe("pass");
  });

  it("127 says the tool was not found, with the fix", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "gitleaks.exitcode"), "127\n");
    const report = reportOf(
      await run(["evaluate", "--env", GATEKEEPER, "--reports", dir, "--format", "json"], { cwd: dir }),
    );
    expect(report.tools.find((entry) => entry.kind === "gitleaks")?.error).toEqual({
      code: "TOOL_NOT_FOUND",
      message: "gitleaks could not be started (exit code 127: command not found)",
      fix: "install gitleaks on PATH, or run `dagger call ci`, which brings every tool in its pinned image",
    });
  });
});

// --- helpers ---

function reportPath(dir: string, tool: Tool): string {
  return path.join(dir, `${tool.kind}.json`);
}

function exitCode(dir: string, tool: Tool, code: number): void {
  writeFileSync(path.join(dir, `${tool.kind}.exitcode`), `${code}\n`);
}
