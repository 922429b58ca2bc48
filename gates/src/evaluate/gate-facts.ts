import type { FindingGatePolicy, GateName, PerformanceGatePolicy } from "../policy/schema.js";
import type { GateCheck } from "../model/checks.js";
import type { ReportedFinding } from "../model/report.js";
import { problemId } from "./classify.js";
import { assessFindingGate, emptyCounts } from "./finding-gate.js";
import { assessPerformance } from "./performance-gate.js";
import { REQUIRED_REPORTS } from "./routing.js";
import type { RunState } from "./runs.js";
import type { WaiverProblemInput, WaiverView } from "./types.js";
import { plural, type GateError, type GateFacts } from "./verdict.js";

/** The reports feeding a gate and what they say about being usable. */
export interface GateSources {
  gate: GateName;
  runs: readonly RunState[];
}

/** Facts of a finding gate: its reports' health, its broken waivers, its counted findings vs limits. */
export function findingGateFacts(
  sources: GateSources,
  policy: FindingGatePolicy,
  findings: readonly ReportedFinding[],
  brokenWaivers: readonly WaiverProblemInput<WaiverView>[],
): GateFacts {
  const assessment = assessFindingGate(sources.gate, policy, findings);
  const errors = [...sourceErrors(sources), ...brokenWaivers.map(waiverError)];
  const quiet = [
    assessment.waived > 0 ? `${assessment.waived} waived` : "",
    assessment.baseline > 0 ? `${assessment.baseline} in the baseline` : "",
    assessment.suppressed > 0 ? `${assessment.suppressed} suppressed` : "",
  ].filter((part) => part !== "");
  return {
    gate: sources.gate,
    mode: policy.mode,
    enabled: policy.enabled,
    errors,
    counted: assessment.countedTotal,
    warnings: warningsOf(sources),
    evidence: {
      counted: assessment.counted,
      waived: assessment.waived,
      baseline: assessment.baseline,
      suppressed: assessment.suppressed,
      ...(assessment.unfixable === undefined ? {} : { unfixable: assessment.unfixable }),
      checks: assessment.checks,
      worst: assessment.worst,
      sources: sources.runs.map((run) => run.id),
    },
    cleanReason: `no new findings in ${plural(sources.runs.length, "report")}${quiet.length > 0 ? ` (${quiet.join(", ")})` : ""}`,
  };
}

/** Facts of the performance gate: every usable k6 report compared with the policy. */
export function performanceGateFacts(sources: GateSources, policy: PerformanceGatePolicy): GateFacts {
  const errors = sourceErrors(sources);
  const gaps: GateError[] = [];
  const checks: GateCheck[] = [];
  const usable = sources.runs.filter((run) => run.problem === undefined && run.result !== undefined);
  for (const run of usable) {
    const source = usable.length > 1 ? run.id : undefined;
    const performance = run.result?.performance;
    if (performance === undefined) {
      errors.push({
        message: `${run.id} (${run.file}): no metrics in the k6 report`,
        fix: "give the --summary-export file or the handleSummary JSON of the k6 run",
      });
      continue;
    }
    const assessment = assessPerformance(policy, performance, source);
    checks.push(...assessment.checks);
    const located = (missing: { message: string; fix: string }): GateError => ({
      message: `${run.id} (${run.file}): ${missing.message}`,
      fix: missing.fix,
    });
    errors.push(...assessment.insufficient.map(located));
    gaps.push(...assessment.missing.map(located));
  }
  return {
    gate: "performance",
    mode: policy.mode,
    enabled: policy.enabled,
    errors,
    gaps,
    counted: 0,
    warnings: warningsOf(sources),
    evidence: {
      counted: emptyCounts(),
      waived: 0,
      baseline: 0,
      suppressed: 0,
      checks,
      worst: [],
      sources: sources.runs.map((run) => run.id),
    },
    cleanReason: `all ${plural(checks.length, "check")} within limits`,
  };
}

// --- internal ---

/** Absent required reports and reports that could not be used: the gate cannot be judged. */
function sourceErrors(sources: GateSources): GateError[] {
  const errors: GateError[] = [];
  for (const kind of REQUIRED_REPORTS[sources.gate]) {
    if (sources.runs.some((run) => run.kind === kind)) continue;
    errors.push({
      message: `no ${kind} report was given, and no report is not the same as no findings`,
      fix:
        `run ${kind} and pass its report with --report ${kind}=<file> (or as ${kind}.json in --reports <dir>); ` +
        `to judge without it, set gates.${sources.gate}.enabled: false for this environment`,
    });
  }
  for (const run of sources.runs) {
    if (run.problem === undefined) continue;
    errors.push({ message: `${run.id} report ${run.file}: ${run.problem.message}`, fix: run.problem.fix });
  }
  return errors;
}

function waiverError(problem: WaiverProblemInput<WaiverView>): GateError {
  const id = problemId(problem);
  return {
    message: `unusable waiver: ${problem.message.includes(id) ? problem.message : `${id}: ${problem.message}`}`,
    fix: problem.fix ?? "fix or remove the waiver in .portcullis/waivers.yml",
  };
}

function warningsOf(sources: GateSources): number {
  return sources.runs.reduce((sum, run) => sum + run.warnings, 0);
}
