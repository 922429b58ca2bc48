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
 * output lists findings in the same, stable order. Large reports hold 100,000 findings: each one's
 * sort key is built once and compared as one string.
 */
export function sortFindings<T extends ReportedFinding>(findings: readonly T[]): T[] {
  const keyed = findings.map((finding) => ({ finding, key: sortKey(finding) }));
  keyed.sort((a, b) => compareText(a.key, b.key));
  return keyed.map((entry) => entry.finding);
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

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** NUL separates the parts so that a shorter tool or path sorts before a longer one it prefixes. */
function sortKey(finding: ReportedFinding): string {
  const line = String(finding.location?.startLine ?? 0).padStart(10, "0");
  return `${SEVERITY_RANK[finding.severity]}\u0000${finding.tool}\u0000${finding.location?.path ?? ""}\u0000${line}\u0000${finding.fingerprint}`;
}
