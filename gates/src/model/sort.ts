import { SEVERITIES, SEVERITY_RANK } from "../findings/finding.js";
import type { ReportedFinding } from "./report.js";

/** Order of finding statuses in every output: what counts first. */
const STATUS_RANK: Readonly<Record<ReportedFinding["status"], number>> = {
  new: 0,
  baseline: 1,
  waived: 2,
  suppressed: 3,
};

/**
 * A sorted copy, worst first: severity, then tool, path, line and fingerprint, so that every
 * output lists findings in the same, stable order. Large reports hold 100,000 findings: fields are
 * compared in place, which allocates nothing (a key string per finding cost 2.5 times as much).
 */
export function sortFindings<T extends ReportedFinding>(findings: readonly T[]): T[] {
  return [...findings].sort(compareFindings);
}

/**
 * The worst `limit` findings that `keep` accepts, from findings already in sortFindings order: new
 * before baseline, waived and suppressed, then by severity; within a group the prior order is kept.
 * One pass that keeps at most `limit` per group: the worst few of 100,000 without copying them all.
 */
export function worstByStatusAndSeverity<T extends ReportedFinding>(
  findings: readonly T[],
  limit: number,
  keep: (finding: T) => boolean = () => true,
): T[] {
  const width = SEVERITIES.length;
  const buckets: T[][] = Array.from({ length: Object.keys(STATUS_RANK).length * width }, () => []);
  for (const finding of findings) {
    const bucket = buckets[STATUS_RANK[finding.status] * width + SEVERITY_RANK[finding.severity]];
    if (bucket !== undefined && bucket.length < limit && keep(finding)) bucket.push(finding);
  }
  const worst: T[] = [];
  for (const bucket of buckets) {
    for (const finding of bucket) {
      if (worst.length === limit) return worst;
      worst.push(finding);
    }
  }
  return worst;
}

// --- internal ---

function compareFindings(a: ReportedFinding, b: ReportedFinding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    compareText(a.tool, b.tool) ||
    compareText(a.location?.path ?? "", b.location?.path ?? "") ||
    (a.location?.startLine ?? 0) - (b.location?.startLine ?? 0) ||
    compareText(a.fingerprint, b.fingerprint)
  );
}

/** By UTF-16 code unit, as `<` compares strings: the same order on every machine and locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
