import { redactBySchema, scrubList } from "../findings/redact.js";
import { GATE_NAMES, type GateName } from "../policy/schema.js";
import {
  REPORT_SCHEMA_ID,
  type Bypass,
  type ControlResult,
  type GateVerdict,
  Report,
  type ReportedFinding,
} from "../model/report.js";
import { sortFindings } from "../model/sort.js";
import { PORTCULLIS_VERSION } from "../version.js";
import { classifyFindings, problemId, type Classified } from "./classify.js";
import { judgeCompliance } from "./compliance-gate.js";
import { findingGateFacts, performanceGateFacts } from "./gate-facts.js";
import { dedupeSecrets } from "./routing.js";
import { judgeTrivyDb } from "./trivy-db.js";
import { runStates, type RunState } from "./runs.js";
import type { EvaluateInput, EvaluateOutput, WaiverInput, WaiverView } from "./types.js";
import { applyBypasses, decideVerdict, plural, type GateError, type GateFacts } from "./verdict.js";

export type * from "./types.js";

/**
 * Judges every gate of the environment from the reports given: a pure function of its input.
 * Fails closed: a gate whose required report is absent, or fed by a report that could not be used,
 * crashed or reported its own failure, is `error`, never `pass`. The report is scrubbed of every
 * secret value the parsers saw, once, before it is returned.
 */
export function evaluate<W extends WaiverView>(input: EvaluateInput<W>): EvaluateOutput {
  const runs = runStates(input.runs, input.exitMeaning);
  const trivyDb = judgeTrivyDbOf(input, runs);
  const deduped = dedupeSecrets(runs.flatMap((run) => run.result?.findings ?? []));
  const classified = classifyFindings(deduped.findings, input.waivers, input.baseline);
  // Sorted once, worst first; every later list (per gate, per tool) keeps this order.
  const findingsByGate = groupByGate(sortFindings(classified.findings));
  const waiverView = waiverEntries(input.waivers, classified);
  const { verdicts, applied, controls } = decideGates(
    input,
    judgeGates(input, runs, classified, findingsByGate, trivyDb.errors),
    waiverView,
    findingsByGate.get("compliance") ?? [],
  );

  const findings = GATE_NAMES.flatMap((gate) => findingsByGate.get(gate) ?? []);
  const tools = runs.map((run) => run.toolRun);
  const performance = runs.find(
    (run) => run.kind === "k6" && run.problem === undefined && run.result?.performance !== undefined,
  )?.result?.performance;
  const notices = [
    ...(deduped.dropped > 0
      ? [
          `${plural(deduped.dropped, "secret finding")} of other scanners merged into gitleaks' findings on the same lines of the same file`,
        ]
      : []),
    ...(trivyDb.notice === undefined ? [] : [trivyDb.notice]),
    ...(input.onlyGates === undefined
      ? []
      : [
          `judged only ${input.onlyGates.join(", ")} (--gate): the policy's other gates were not judged, so this report is no gate for a deploy`,
        ]),
  ];
  const report: Report = {
    schema: REPORT_SCHEMA_ID,
    portcullisVersion: PORTCULLIS_VERSION,
    generatedAt: input.now.toISOString(),
    environment: input.environment,
    policyHash: input.policyHash,
    ...(input.policySource === undefined ? {} : { policySource: input.policySource }),
    ...(input.onlyGates === undefined ? {} : { onlyGates: [...input.onlyGates] }),
    ...(input.commit === undefined ? {} : { commit: input.commit }),
    passed: verdicts.every((verdict) => !verdict.blocking),
    verdicts,
    findings,
    ...waiverView,
    bypasses: applied,
    tools,
    ...(performance === undefined ? {} : { performance }),
    ...(controls === undefined ? {} : { compliance: { controls } }),
    notices,
    timings: { ...input.timings },
    ...(input.prediction === undefined ? {} : { prediction: input.prediction }),
  };
  const secrets = scrubList(runs.flatMap((run) => run.result?.secrets ?? []));
  return { report: redactBySchema(Report, report, secrets) };
}

// --- internal ---

/**
 * Verdicts with bypasses applied. The compliance gate is decided last: its controls judge what the
 * other gates decided (none skipped, none bypassed).
 */
function decideGates<W extends WaiverView>(
  input: EvaluateInput<W>,
  facts: readonly GateFacts[],
  waivers: Pick<Report, "waivers" | "waiverProblems">,
  complianceFindings: readonly ReportedFinding[],
): { verdicts: GateVerdict[]; applied: Bypass[]; controls: ControlResult[] | undefined } {
  const others = applyBypasses(
    facts
      .filter((gate) => gate.gate !== "compliance")
      .map((gate) => decideVerdict(gate, input.environment, input.onlyGates)),
    input.bypasses,
    input.policy,
  );
  const complianceFacts = facts.find((gate) => gate.gate === "compliance");
  if (complianceFacts === undefined) return { ...others, controls: undefined };
  const judged = judgeCompliance(complianceFacts, {
    environment: input.environment,
    now: input.now,
    collected: input.compliance,
    verdicts: others.verdicts,
    bypasses: others.applied,
    waivers,
    findings: complianceFindings,
  });
  const own = applyBypasses(
    [decideVerdict(judged.facts, input.environment, input.onlyGates)],
    input.bypasses,
    input.policy,
  );
  const byGate = (a: { gate: GateName }, b: { gate: GateName }) =>
    GATE_NAMES.indexOf(a.gate) - GATE_NAMES.indexOf(b.gate);
  return {
    verdicts: [...others.verdicts, ...own.verdicts].sort(byGate),
    applied: [...others.applied, ...own.applied].sort(byGate),
    controls: judged.controls,
  };
}

/** Every gate's facts, before bypasses and before the compliance controls. */
function judgeGates<W extends WaiverView>(
  input: EvaluateInput<W>,
  runs: readonly RunState[],
  classified: Classified<W>,
  findingsByGate: ReadonlyMap<GateName, ReportedFinding[]>,
  dbErrors: readonly GateError[],
): GateFacts[] {
  const { policy } = input;
  // A broken waiver nobody can match could have covered anything: every finding gate answers for it.
  const unmatchable = input.waivers.problems.filter((problem) => problem.waiver === undefined);
  return GATE_NAMES.map((gate) => {
    const sources = { gate, runs: runs.filter((run) => run.feeds.has(gate)) };
    if (gate === "performance") return performanceGateFacts(sources, policy.gates.performance);
    const facts = findingGateFacts(sources, policy.gates[gate], findingsByGate.get(gate) ?? [], [
      ...unmatchable,
      ...(classified.brokenByGate.get(gate) ?? []),
    ]);
    return gate === "vulnerabilities" && dbErrors.length > 0
      ? { ...facts, errors: [...facts.errors, ...dbErrors] }
      : facts;
  });
}

/** trivy's DB age, judged when an enabled vulnerabilities gate has a usable trivy report to trust. */
function judgeTrivyDbOf(
  input: Pick<EvaluateInput, "policy" | "toolVersions" | "now">,
  runs: readonly RunState[],
): ReturnType<typeof judgeTrivyDb> {
  const gate = input.policy.gates.vulnerabilities;
  const scanned = runs.some((run) => run.kind === "trivy" && run.result !== undefined && run.problem === undefined);
  if (!gate.enabled || !scanned) return { errors: [] };
  return judgeTrivyDb(input.toolVersions?.trivy, gate.max_db_age, input.now);
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
