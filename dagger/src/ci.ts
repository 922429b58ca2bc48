/**
 * `ci` and the gate checks: run the stages a policy needs, concurrently, and judge their reports
 * with `portcullis evaluate`. A stage that breaks loses only its own report (its gates become
 * `error`); bad input fails the call before anything starts.
 */
import { dag, type Directory, type Service } from "@dagger.io/dagger";
import { checkOperand } from "./argv.js";
import { checkPort, scenarioScript } from "./containers.js";
import { evaluateReports, type Result } from "./result.js";
import {
  historyRange,
  historyStage,
  loadRun,
  runStage,
  sastStage,
  sbomStage,
  secretsStage,
  semgrepConfigs,
  validateStage,
  vulnerabilitiesStage,
  type StageOutcome,
} from "./stages.js";
import type { Toolbox } from "./toolbox.js";

/** The arguments of `ci`, as index.ts declares them. */
export interface CiInput {
  source: Directory;
  env: string;
  target: Service | undefined;
  history: Directory | undefined;
  historyBase: string | undefined;
  historyHead: string | undefined;
  scenario: string;
  targetPort: number | undefined;
  semgrepConfig: string[] | undefined;
  commit: string | undefined;
}

/** Every stage the gates need, then one evaluation of all their reports. */
export async function runCi(tools: Toolbox, input: CiInput): Promise<Result> {
  const { source, target, history } = input;
  // Bad input fails the call here; past this point a stage that breaks only loses its own report.
  checkOperand("env", input.env);
  if (input.commit !== undefined) checkOperand("commit", input.commit);
  const range = historyRange(input.historyBase, input.historyHead);
  if (target !== undefined) scenarioScript(input.scenario);
  if (input.targetPort !== undefined) checkPort(input.targetPort);
  const configs = await semgrepConfigs(source, input.semgrepConfig);
  const stages: Promise<StageOutcome>[] = [
    validateStage(tools, source),
    secretsStage(tools, source),
    vulnerabilitiesStage(tools, source),
    sbomStage(tools, source),
    sastStage(tools, source, configs),
  ];
  if (history !== undefined) stages.push(historyStage(tools, history, range));
  const outcomes = await Promise.all(stages);
  // Alone, after the scans: a load test measures latency, and scanners on the same engine skew it.
  if (target !== undefined) {
    const load = { target, scenario: input.scenario, source, targetPort: input.targetPort, env: input.env };
    outcomes.push(await runStage("k6", () => loadRun(tools, load)));
  }
  return evaluateReports(tools, { ...judged(outcomes), env: input.env, source, commit: input.commit });
}

/** The stage each gate check runs, and the gates it judges (`portcullis evaluate --gate`). */
export const GATE_CHECKS = {
  secrets: { gates: ["secrets"], stage: secretsStage },
  vulnerabilities: { gates: ["vulnerabilities"], stage: vulnerabilitiesStage },
  sast: { gates: ["sast"], stage: sastStage },
  validate: { gates: ["framework_integrity", "documentation"], stage: validateStage },
} as const;

/** One gate check: its stage alone, judged by the environment's policy; fails when a mandatory gate blocks. */
export async function gateCheck(
  tools: Toolbox,
  check: keyof typeof GATE_CHECKS,
  input: { source: Directory; env: string },
): Promise<void> {
  const { gates, stage } = GATE_CHECKS[check];
  const outcome = await stage(tools, input.source);
  const notes = outcome.problem === undefined ? [] : [outcome.problem];
  const result = await evaluateReports(tools, { reports: outcome.reports, notes, ...input, commit: undefined, gates });
  result.assert();
}

// --- internal ---

/** The stages' reports in one folder, and a note for each stage that did not report. */
function judged(outcomes: readonly StageOutcome[]): { reports: Directory; notes: string[] } {
  return {
    reports: outcomes.reduce((all, outcome) => all.withDirectory(".", outcome.reports), dag.directory()),
    notes: outcomes.flatMap((outcome) => (outcome.problem === undefined ? [] : [outcome.problem])),
  };
}
