import { redactDeep, scrubList } from "../findings/redact.js";
import { GATE_NAMES, type GateName } from "../policy/schema.js";
import { planSarif, sarifNotices } from "../report/sarif.js";
import { REPORT_SCHEMA_ID, type GateVerdict, type Report, type ReportedFinding } from "../report/schema.js";
import { sortFindings } from "../report/sort.js";
import { PORTCULLIS_VERSION } from "../version.js";
import { classifyFindings, problemId, type Classified } from "./classify.js";
import { findingGateFacts, performanceGateFacts } from "./gate-facts.js";
import { dedupeSecrets } from "./routing.js";
import { runStates, type RunState } from "./runs.js";
import type { EvaluateInput, EvaluateOutput, WaiverInput, WaiverView } from "./types.js";
import { applyBypasses, decideVerdict, plural } from "./verdict.js";

export type * from "./types.js";

/**
 * Judges every gate of the environment from the reports given: a pure function of its input.
 * Fails closed: a gate whose required report is absent, or fed by a report that could not be used,
 * crashed or reported its own failure, is `error`, never `pass`. The report is scrubbed of every
 * secret value the parsers saw, once, before it is returned.
 */
export function evaluate<W extends WaiverView>(input: EvaluateInput<W>): EvaluateOutput {
  const runs = runStates(input.runs, input.exitMeaning);
  const deduped = dedupeSecrets(runs.flatMap((run) => run.result?.findings ?? []));
  const classified = classifyFindings(deduped.findings, input.waivers, input.baseline);
  // Sorted once, worst first; every later list (per gate, per tool) keeps this order.
  const findingsByGate = groupByGate(sortFindings(classified.findings));
  const { verdicts, applied } = applyBypasses(
    judgeGates(input, runs, classified, findingsByGate),
    input.bypasses,
    input.policy,
  );

  const findings = GATE_NAMES.flatMap((gate) => findingsByGate.get(gate) ?? []);
  const tools = runs.map((run) => run.toolRun);
  const performance = runs.find(
    (run) => run.kind === "k6" && run.problem === undefined && run.result?.performance !== undefined,
  )?.result?.performance;
  const notices = [
    ...(deduped.dropped > 0
      ? [
          `${plural(deduped.dropped, "secret finding")} of other scanners merged into gitleaks' findings at the same file and line`,
        ]
      : []),
    ...sarifNotices(planSarif({ tools, findings })),
  ];
  const report: Report = {
    schema: REPORT_SCHEMA_ID,
    portcullisVersion: PORTCULLIS_VERSION,
    generatedAt: input.now.toISOString(),
    environment: input.environment,
    policyHash: input.policyHash,
    ...(input.commit === undefined ? {} : { commit: input.commit }),
    passed: verdicts.every((verdict) => !verdict.blocking),
    verdicts,
    findings,
    ...waiverEntries(input.waivers, classified),
    bypasses: applied,
    tools,
    ...(performance === undefined ? {} : { performance }),
    notices,
    timings: { ...input.timings },
  };
  const secrets = scrubList(runs.flatMap((run) => run.result?.secrets ?? []));
  return { report: redactDeep(report, secrets), secrets };
}

// --- internal ---

/** Every gate's verdict, before bypasses. */
function judgeGates<W extends WaiverView>(
  input: EvaluateInput<W>,
  runs: readonly RunState[],
  classified: Classified<W>,
  findingsByGate: ReadonlyMap<GateName, ReportedFinding[]>,
): GateVerdict[] {
  const { policy } = input;
  // A broken waiver nobody can match could have covered anything: every finding gate answers for it.
  const unmatchable = input.waivers.problems.filter((problem) => problem.waiver === undefined);
  return GATE_NAMES.map((gate) => {
    const sources = { gate, runs: runs.filter((run) => run.feeds.has(gate)) };
    const facts =
      gate === "performance"
        ? performanceGateFacts(sources, policy.gates.performance)
        : findingGateFacts(sources, policy.gates[gate], findingsByGate.get(gate) ?? [], [
            ...unmatchable,
            ...(classified.brokenByGate.get(gate) ?? []),
          ]);
    return decideVerdict(facts, input.environment);
  });
}

/** The waivers in force with their matches, and the broken ones with the findings they would have matched. */
function waiverEntries<W extends WaiverView>(
  waivers: WaiverInput<W>,
  classified: Classified<W>,
): Pick<Report, "waivers" | "waiverProblems"> {
  return {
    waivers: waivers.waivers.map((waiver) => ({
      id: waiver.id,
      reason: waiver.reason,
      approver: waiver.approver,
      expires: waiver.expires,
      matched: classified.waived.get(waiver.id) ?? 0,
    })),
    waiverProblems: waivers.problems.map((problem) => ({
      id: problemId(problem),
      code: problem.code,
      message: problem.message,
      ...(problem.fix === undefined ? {} : { fix: problem.fix }),
      matched: classified.brokenMatches.get(problemId(problem)) ?? 0,
    })),
  };
}

function groupByGate(findings: readonly ReportedFinding[]): Map<GateName, ReportedFinding[]> {
  const groups = new Map<GateName, ReportedFinding[]>();
  for (const finding of findings) {
    const list = groups.get(finding.gate) ?? [];
    list.push(finding);
    groups.set(finding.gate, list);
  }
  return groups;
}
