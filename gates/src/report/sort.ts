import { SEVERITY_RANK } from "../findings/finding.js";
import type { ReportedFinding } from "./schema.js";

/** Order of finding statuses in every output: what counts first. */
const STATUS_RANK: Readonly<Record<ReportedFinding["status"], number>> = { new: 0, baseline: 1, waived: 2, suppressed: 3 };

/**
 * Worst first: severity, then tool, path, line and fingerprint, so that every output lists
 * findings in the same, stable order.
 */
export function compareFindings(a: ReportedFinding, b: ReportedFinding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    compareText(a.tool, b.tool) ||
    compareText(a.location?.path ?? "", b.location?.path ?? "") ||
    (a.location?.startLine ?? 0) - (b.location?.startLine ?? 0) ||
    compareText(a.fingerprint, b.fingerprint)
  );
}

/** Counted (new) findings before accepted ones, each group worst first. */
export function compareReported(a: ReportedFinding, b: ReportedFinding): number {
  return STATUS_RANK[a.status] - STATUS_RANK[b.status] || compareFindings(a, b);
}

// --- internal ---

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
