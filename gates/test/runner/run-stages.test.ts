import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { EnvironmentPolicy } from "../../src/policy/schema.js";
import { planRun, type PlanInput } from "../../src/runner/plan.js";
import type { ProgressSink } from "../../src/runner/progress.js";
import { runStages, type StageDeps } from "../../src/runner/run-stages.js";
import type { ProcessOutcome, ProcessSpec } from "../../src/runner/spawn.js";
import { reportParsers } from "../../src/tools/index.js";

const TOOLS = { gitleaks: "/bin/gitleaks", trivy: "/bin/trivy", semgrep: "/bin/semgrep", k6: "/bin/k6" };

function plan(overrides: Partial<PlanInput> = {}) {
  return planRun({
    policy: EnvironmentPolicy.parse({ name: "test" }),
    dir: "/repo",
    outDir: "/out",
    executables: TOOLS,
    semgrepConfigs: ["p/default"],
    trivyCacheDir: "/cache",
    target: "http://127.0.0.1:8080",
    scenario: { file: "/repo/scenarios/smoke.js" },
    ...overrides,
  });
}

/** Fake edges: every spawn is recorded, exit codes and delays come from a table. */
function fakes(outcomes: Partial<Record<string, Partial<ProcessOutcome> & { delayMs?: number }>>) {
  const events: string[] = [];
  const files = new Map<string, string>();
  const spawned: ProcessSpec[] = [];
  let running = 0;
  let maxRunning = 0;
  const progress: ProgressSink = {
    start: (id) => events.push(`start ${id}`),
    finish: (id, status, detail) => events.push(`finish ${id} ${status}${detail === undefined ? "" : ` (${detail})`}`),
    note: (id, text) => events.push(`note ${id} ${text}`),
    close: () => events.push("close"),
  };
  const deps: StageDeps = {
    spawn: async (spec) => {
      spawned.push(spec);
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      const tool = spec.executable.split("/").pop() ?? "";
      // The SBOM is trivy too, told apart by its output format.
      const scanners = spec.args[spec.args.indexOf("--scanners") + 1];
      const name = spec.args.includes("cyclonedx")
        ? "sbom"
        : tool === "trivy" && scanners === "vuln"
          ? "trivy-vuln"
          : tool;
      const { delayMs = 5, ...outcome } = outcomes[name] ?? {};
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      running -= 1;
      return { exitCode: 0, timedOut: false, durationMs: delayMs, outputTail: [], ...outcome };
    },
    writeFile: (file, text) => files.set(file, text),
    validate: () => Promise.resolve('{"schema":"portcullis.findings/v1"}\n'),
    exitMeaning: reportParsers.exitMeaning,
    progress,
    env: { PATH: "/bin", HOME: "/home/me" },
    dir: "/repo",
    outDir: "/out",
    concurrency: 2,
  };
  return { deps, events, files, spawned, maxRunning: () => maxRunning };
}

describe("runStages", () => {
  it("withholds the caller's settings that would change what trivy, gitleaks or semgrep report, and says so", async () => {
    const { deps, spawned, events } = fakes({});
    const env = {
      PATH: "/bin",
      TRIVY_SEVERITY: "CRITICAL",
      TRIVY_SKIP_FILES: "**/requirements.txt",
      TRIVY_DB_REPOSITORY: "mirror.example/trivy-db",
      GITLEAKS_CONFIG: "/tmp/lax.toml",
      SEMGREP_APP_TOKEN: "t",
      SEMGREP_BASELINE_COMMIT: "abc123",
    };
    await runStages(plan(), { ...deps, env });
    const envOf = (tool: string) => spawned.find((spec) => spec.executable === `/bin/${tool}`)?.env ?? {};
    expect(Object.keys(envOf("trivy")).sort()).toEqual([
      "GITLEAKS_CONFIG",
      "PATH",
      "SEMGREP_APP_TOKEN",
      "SEMGREP_BASELINE_COMMIT",
      "TRIVY_DB_REPOSITORY",
    ]);
    expect(Object.keys(envOf("gitleaks")).sort()).toEqual([
      "PATH",
      "SEMGREP_APP_TOKEN",
      "SEMGREP_BASELINE_COMMIT",
      "TRIVY_DB_REPOSITORY",
      "TRIVY_SEVERITY",
      "TRIVY_SKIP_FILES",
    ]);
    expect(envOf("semgrep")).toMatchObject({ SEMGREP_APP_TOKEN: "t" });
    expect(envOf("semgrep")).not.toHaveProperty("SEMGREP_BASELINE_COMMIT");
    expect(events).toContain(
      "note semgrep not passed to the tool: SEMGREP_BASELINE_COMMIT (they would change what it reports)",
    );
    expect(events).toContain(
      "note trivy not passed to the tool: TRIVY_SEVERITY, TRIVY_SKIP_FILES (they would change what it reports)",
    );
    expect(events).toContain(
      "note gitleaks not passed to the tool: GITLEAKS_CONFIG (they would change what it reports)",
    );
  });

  it("runs every stage, writes each tool's exit code, and reads it through the adapter", async () => {
    const { deps, files, spawned } = fakes({
      gitleaks: { exitCode: 42 },
      trivy: { exitCode: 0 },
      semgrep: { exitCode: 1 },
      k6: { exitCode: 99 },
    });
    const outcomes = await runStages(plan(), deps);
    expect(outcomes.map((outcome) => [outcome.id, outcome.status, outcome.exitCode])).toEqual([
      ["validate", "ok", undefined],
      ["gitleaks", "findings", 42],
      ["trivy", "ok", 0],
      ["trivy-vuln", "ok", 0],
      ["semgrep", "findings", 1],
      ["sbom", "ok", 0],
      ["k6", "findings", 99],
    ]);
    expect(Object.fromEntries(files)).toEqual({
      "/out/validate.json": '{"schema":"portcullis.findings/v1"}\n',
      "/out/gitleaks.exitcode": "42\n",
      "/out/trivy.nodb.exitcode": "0\n",
      "/out/trivy.vuln.exitcode": "0\n",
      "/out/semgrep.exitcode": "1\n",
      "/out/k6.exitcode": "99\n",
    });
    // The SBOM leaves no exit-code file: it names no report.
    const k6Spec = spawned.find((spec) => spec.executable === "/bin/k6");
    expect(k6Spec?.env).toMatchObject({ PATH: "/bin", BASE_URL: "http://127.0.0.1:8080" });
    expect(spawned.every((spec) => spec.cwd === "/repo")).toBe(true);
  });

  it("runs at most `concurrency` tools at once and the load test alone, last", async () => {
    const { deps, events, maxRunning } = fakes({
      gitleaks: { delayMs: 30 },
      trivy: { delayMs: 30 },
      semgrep: { delayMs: 30 },
    });
    await runStages(plan(), deps);
    expect(maxRunning()).toBe(2);
    const k6Start = events.indexOf("start k6");
    const lastOtherFinish = Math.max(
      ...["validate", "gitleaks", "trivy", "trivy-vuln", "semgrep", "sbom"].map((id) =>
        events.findIndex((event) => event.startsWith(`finish ${id}`)),
      ),
    );
    expect(k6Start).toBeGreaterThan(lastOtherFinish);
    expect(events.filter((event) => event.startsWith("start"))).toHaveLength(7);
  });

  it.each([
    [
      "a crash exit code",
      { exitCode: 2, outputTail: ["FATAL: database download failed"] },
      undefined,
      "exit 2: trivy failed",
    ],
    [
      "a timeout",
      { exitCode: -1, timedOut: true, signal: "SIGTERM" as const },
      "trivy did not finish within 30 minutes and was stopped",
      undefined,
    ],
    [
      "a start failure",
      { exitCode: -1, startError: "spawn EACCES" },
      "trivy could not be started: spawn EACCES",
      undefined,
    ],
    ["a signal", { exitCode: -1, signal: "SIGKILL" as const }, "trivy was stopped by SIGKILL", undefined],
  ])("records %s as failed and still runs the other stages", async (_, outcome, problem, detail) => {
    const { deps, events, files } = fakes({ trivy: outcome });
    const outcomes = await runStages(plan(), deps);
    const trivy = outcomes.find((candidate) => candidate.id === "trivy");
    expect(trivy?.status).toBe("failed");
    expect(trivy?.problem?.message).toBe(problem);
    if (detail !== undefined) expect(events).toContain(`finish trivy failed (${detail})`);
    expect(files.get("/out/trivy.nodb.exitcode")).toBe(`${outcome.exitCode}\n`);
    expect(
      outcomes.filter((candidate) => candidate.id !== "trivy").every((candidate) => candidate.status === "ok"),
    ).toBe(true);
    for (const line of "outputTail" in outcome ? outcome.outputTail : [])
      expect(events).toContain(`note trivy ${line}`);
  });

  it("writes 127 for a tool that is not installed and never spawns it", async () => {
    const { deps, files, spawned } = fakes({});
    const { gitleaks: _gitleaks, ...executables } = TOOLS;
    const outcomes = await runStages(plan({ executables }), deps);
    expect(outcomes.find((outcome) => outcome.id === "gitleaks")).toMatchObject({
      status: "skipped",
      exitCode: 127,
      problem: { code: "TOOL_NOT_FOUND", message: "gitleaks not found on PATH or in the tools cache" },
    });
    expect(files.get("/out/gitleaks.exitcode")).toBe("127\n");
    expect(spawned.map((spec) => spec.executable)).not.toContain("/bin/gitleaks");
  });

  it("skips the load test without a target and writes nothing for it", async () => {
    const { deps, files } = fakes({});
    const outcomes = await runStages(plan({ target: undefined }), deps);
    expect(outcomes.find((outcome) => outcome.id === "k6")).toMatchObject({
      status: "skipped",
      problem: { code: "STAGE_UNAVAILABLE" },
    });
    expect([...files.keys()].some((file) => file.includes("k6"))).toBe(false);
  });

  it("turns a validate failure into a stage problem carrying its fix", async () => {
    const { deps } = fakes({});
    deps.validate = () =>
      Promise.reject(new ConfigError("CONFIG_INVALID", "unknown key", { file: "portcullis.yml", fix: "remove it" }));
    const outcomes = await runStages(plan(), deps);
    expect(outcomes[0]).toMatchObject({
      id: "validate",
      status: "failed",
      problem: {
        code: "TOOL_FAILED",
        message: "the validate stage failed: portcullis.yml: unknown key",
        fix: "remove it",
      },
    });
  });

  it("starts nothing more once the run is aborted", async () => {
    const { deps, spawned } = fakes({});
    const controller = new AbortController();
    controller.abort();
    const outcomes = await runStages(plan(), { ...deps, signal: controller.signal });
    expect(spawned).toEqual([]);
    expect(outcomes.every((outcome) => outcome.status === "skipped" && outcome.problem !== undefined)).toBe(true);
  });
});
