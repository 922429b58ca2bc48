import path from "node:path";
import { isPortcullisError, messageOf } from "../errors.js";
import type { ReportKind } from "../model/report.js";
import type { ExitMeaning } from "../tools/types.js";
import type { InProcessStage, PlannedStage, RunPlan, SpawnStage, StageId } from "./plan.js";
import type { ProgressSink } from "./progress.js";
import type { ProcessOutcome, ProcessSpec } from "./spawn.js";

/**
 * Executes a RunPlan: stages run concurrently up to `concurrency`, exclusive ones (the load test)
 * alone afterwards. Every stage ends in an outcome, never an exception: a tool that is missing,
 * crashes or times out is recorded and the run goes on. Each spawned tool's exit code is written
 * next to its report (`<stem>.exitcode`), so the reports directory alone tells `evaluate` what
 * happened.
 */

/** Why a stage's report cannot be trusted, beyond what its exit code says. */
export interface StageProblem {
  code: "TOOL_NOT_FOUND" | "TOOL_WRONG_VERSION" | "STAGE_UNAVAILABLE" | "TOOL_FAILED";
  message: string;
  fix: string;
}

export interface StageOutcome {
  id: StageId;
  status: "ok" | "findings" | "failed" | "skipped";
  exitCode?: number | undefined;
  durationMs?: number | undefined;
  /** Set when the stage did not run, or did not finish: its gates are `error` with this reason. */
  problem?: StageProblem | undefined;
}

/** The runner's edges, injected (tests pass fakes). */
export interface StageDeps {
  spawn(spec: ProcessSpec): Promise<ProcessOutcome>;
  writeFile(file: string, text: string): void;
  /** Runs the validate stage in-process and returns the findings document's JSON text. */
  validate(dir: string): Promise<string>;
  exitMeaning(kind: ReportKind, exitCode: number): ExitMeaning;
  progress: ProgressSink;
  /** Environment the tools inherit. */
  env: Readonly<Record<string, string | undefined>>;
  /** Where the scan runs (the validate stage's folder). */
  dir: string;
  outDir: string;
  concurrency: number;
  signal?: AbortSignal | undefined;
}

/** Runs every planned stage; returns one outcome per stage, in plan order. */
export async function runStages(plan: RunPlan, deps: StageDeps): Promise<StageOutcome[]> {
  const outcomes = new Map<StageId, StageOutcome>();
  const shared = plan.stages.filter((stage) => !(stage.action === "spawn" && stage.exclusive));
  const exclusive = plan.stages.filter((stage) => stage.action === "spawn" && stage.exclusive);
  await pool(shared, Math.max(1, deps.concurrency), async (stage) => {
    outcomes.set(stage.id, await runStage(stage, deps));
  });
  for (const stage of exclusive) outcomes.set(stage.id, await runStage(stage, deps));
  return plan.stages.map((stage) => outcomes.get(stage.id) ?? { id: stage.id, status: "skipped" });
}

// --- internal ---

async function runStage(stage: PlannedStage, deps: StageDeps): Promise<StageOutcome> {
  if (deps.signal?.aborted === true) {
    const problem: StageProblem = {
      code: "STAGE_UNAVAILABLE",
      message: "the run was interrupted before this stage started",
      fix: "run again",
    };
    deps.progress.finish(stage.id, "skipped", "interrupted");
    return { id: stage.id, status: "skipped", problem };
  }
  switch (stage.action) {
    case "unavailable": {
      if (stage.exitCode !== undefined && stage.exitCodeFile !== undefined) {
        deps.writeFile(path.join(deps.outDir, stage.exitCodeFile), `${stage.exitCode}\n`);
      }
      deps.progress.finish(stage.id, "skipped", stage.message);
      return {
        id: stage.id,
        status: "skipped",
        exitCode: stage.exitCode,
        problem: { code: stage.code, message: stage.message, fix: stage.fix },
      };
    }
    case "in-process":
      return runInProcess(stage, deps);
    case "spawn":
      return runTool(stage, deps);
  }
}

async function runInProcess(stage: InProcessStage, deps: StageDeps): Promise<StageOutcome> {
  deps.progress.start(stage.id);
  const started = performance.now();
  try {
    deps.writeFile(path.join(deps.outDir, stage.reportFile), await deps.validate(deps.dir));
    const durationMs = performance.now() - started;
    deps.progress.finish(stage.id, "ok");
    return { id: stage.id, status: "ok", durationMs };
  } catch (error) {
    // A bad portcullis.yml or an unreadable tree: the stage's gates are `error`, the run goes on.
    const where = isPortcullisError(error) && error.file !== undefined ? `${error.file}: ` : "";
    const message = `the ${stage.id} stage failed: ${where}${messageOf(error)}`;
    const fix = isPortcullisError(error) && error.fix !== undefined ? error.fix : "fix the cause shown and run again";
    deps.progress.finish(stage.id, "failed", message);
    return {
      id: stage.id,
      status: "failed",
      durationMs: performance.now() - started,
      problem: { code: "TOOL_FAILED", message, fix },
    };
  }
}

async function runTool(stage: SpawnStage, deps: StageDeps): Promise<StageOutcome> {
  deps.progress.start(stage.id);
  const inherited = Object.entries(deps.env).filter(([name]) => stage.inheritsEnvironment(name));
  const withheld = Object.keys(deps.env).filter((name) => !stage.inheritsEnvironment(name));
  if (withheld.length > 0)
    deps.progress.note(
      stage.id,
      `not passed to the tool: ${withheld.sort().join(", ")} (they would change what it reports)`,
    );
  const outcome = await deps.spawn({
    executable: stage.executable,
    args: stage.args,
    cwd: stage.cwd,
    env: { ...Object.fromEntries(inherited), ...stage.env },
    timeoutMs: stage.timeoutMs,
    signal: deps.signal,
    stderrFile: stage.logFile === undefined ? undefined : path.join(deps.outDir, stage.logFile),
  });
  if (stage.exitCodeFile !== undefined)
    deps.writeFile(path.join(deps.outDir, stage.exitCodeFile), `${outcome.exitCode}\n`);
  const base = { id: stage.id, exitCode: outcome.exitCode, durationMs: outcome.durationMs };
  const problem = runProblem(stage, outcome);
  if (problem !== undefined) {
    deps.progress.finish(stage.id, "failed", problem.message);
    for (const line of outcome.outputTail) deps.progress.note(stage.id, line);
    return { ...base, status: "failed", problem };
  }
  const meaning = deps.exitMeaning(stage.kind, outcome.exitCode);
  if (meaning === "error") {
    deps.progress.finish(stage.id, "failed", `exit ${outcome.exitCode}: ${stage.id} failed`);
    for (const line of outcome.outputTail) deps.progress.note(stage.id, line);
    const hint = stage.failureHint;
    if (hint === undefined) return { ...base, status: "failed" };
    const message = `exit ${outcome.exitCode}: ${hint.message}`;
    return { ...base, status: "failed", problem: { code: "TOOL_FAILED", message, fix: hint.fix } };
  }
  deps.progress.finish(
    stage.id,
    meaning === "findings" ? "findings" : "ok",
    `exit ${outcome.exitCode}${meaning === "findings" ? ": findings" : ""}`,
  );
  return { ...base, status: meaning === "findings" ? "findings" : "ok" };
}

/** A run that did not finish on its own: not started, timed out, interrupted. */
function runProblem(stage: SpawnStage, outcome: ProcessOutcome): StageProblem | undefined {
  if (outcome.startError !== undefined) {
    return {
      code: "TOOL_FAILED",
      message: `${stage.id} could not be started: ${outcome.startError}`,
      fix: `check the ${stage.id} installation (${stage.executable})`,
    };
  }
  if (outcome.timedOut) {
    return {
      code: "TOOL_FAILED",
      message: `${stage.id} did not finish within ${Math.round(stage.timeoutMs / 60_000)} minutes and was stopped`,
      fix: `find out why ${stage.id} hangs (network for its database or rules?), or run \`dagger call ci\``,
    };
  }
  if (outcome.signal !== undefined) {
    return {
      code: "TOOL_FAILED",
      message: `${stage.id} was stopped by ${outcome.signal}`,
      fix: "run again without interrupting it",
    };
  }
  return undefined;
}

/** Runs `work` on every item, at most `limit` at a time, in order of the list. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
