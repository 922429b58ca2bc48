import { SEVERITIES, type Severity } from "../findings/finding.js";
import type { FindingGatePolicy, GateName } from "../policy/schema.js";
import type { GateCheck } from "../model/checks.js";
import type { ReportedFinding, SeverityCounts } from "../model/report.js";

/** Fingerprints listed as a gate's worst findings. */
export const WORST_LIMIT = 10;

/** What the thresholds of a finding gate say about its findings. */
export interface FindingGateAssessment {
  checks: GateCheck[];
  counted: SeverityCounts;
  countedTotal: number;
  waived: number;
  baseline: number;
  suppressed: number;
  /** Set for vulnerabilities with only_fixable: new findings left uncounted for lack of a fix. */
  unfixable?: number | undefined;
  worst: string[];
}

/**
 * Counts a gate's new findings (given worst first, see sortFindings) per severity and compares them
 * with its limits. `unknown` is
 * counted under its own key: only a limit on `unknown` or on `max_findings` applies to it.
 */
export function assessFindingGate(
  gate: GateName,
  policy: FindingGatePolicy,
  findings: readonly ReportedFinding[],
): FindingGateAssessment {
  const onlyFixable = gate === "vulnerabilities" && policy.only_fixable;
  const counted = emptyCounts();
  const countedFindings: ReportedFinding[] = [];
  let waived = 0;
  let baseline = 0;
  let suppressed = 0;
  let unfixable = 0;
  for (const finding of findings) {
    if (finding.status === "waived") waived += 1;
    else if (finding.status === "baseline") baseline += 1;
    else if (finding.status === "suppressed") suppressed += 1;
    else if (onlyFixable && (finding.package?.fixed.length ?? 0) === 0) unfixable += 1;
    else {
      counted[finding.severity] += 1;
      countedFindings.push(finding);
    }
  }
  const checks: GateCheck[] = [];
  if (policy.max_findings !== undefined) {
    checks.push(limitCheck("max_findings", policy.max_findings, countedFindings.length));
  }
  for (const severity of SEVERITIES) {
    const limit = policy.max[severity];
    if (limit !== undefined) checks.push(limitCheck(`max.${severity}`, limit, counted[severity]));
  }
  return {
    checks,
    counted,
    countedTotal: countedFindings.length,
    waived,
    baseline,
    suppressed,
    unfixable: onlyFixable ? unfixable : undefined,
    worst: countedFindings.slice(0, WORST_LIMIT).map((finding) => finding.fingerprint),
  };
}

export function emptyCounts(): Record<Severity, number> {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0, unknown: 0 };
}

// --- internal ---

function limitCheck(name: string, limit: number, measured: number): GateCheck {
  return { kind: "limit", name, bound: "max", limit, measured, unit: "count", ok: measured <= limit };
}
