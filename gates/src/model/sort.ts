import { SEVERITY_RANK } from "../findings/finding.js";
import type { ReportedFinding } from "./report.js";

/**
 * A sorted copy, worst first: severity, then tool, path, line and fingerprint, so that every
 * output lists findings in the same, stable order. Large reports hold 100,000 findings: the fields
 * are read once into arrays and the sort compares those. Findings come in many shapes (optional
 * fields, one tool's spreads), so reading `location.path` in every comparison went through V8's
 * slowest property lookups (in a CPU profile of 83,000 semgrep findings, 0.30 s; now 0.12 s).
 */
export function sortFindings<T extends ReportedFinding>(findings: readonly T[]): T[] {
  const count = findings.length;
  const severities = new Int8Array(count);
  const lines = new Float64Array(count);
  const tools = new Array<string>(count);
  const paths = new Array<string>(count);
  const fingerprints = new Array<string>(count);
  findings.forEach((finding, index) => {
    severities[index] = SEVERITY_RANK[finding.severity];
    lines[index] = finding.location?.startLine ?? 0;
    tools[index] = finding.tool;
    paths[index] = finding.location?.path ?? "";
    fingerprints[index] = finding.fingerprint;
  });
  const order = findings.map((_, index) => index);
  // Array sort is stable: findings equal in every field keep their order.
  order.sort(
    (a, b) =>
      (severities[a] ?? 0) - (severities[b] ?? 0) ||
      compareText(tools[a] ?? "", tools[b] ?? "") ||
      compareText(paths[a] ?? "", paths[b] ?? "") ||
      (lines[a] ?? 0) - (lines[b] ?? 0) ||
      compareText(fingerprints[a] ?? "", fingerprints[b] ?? ""),
  );
  return order.map((index) => findings[index] as T);
}

// --- internal ---

/** By UTF-16 code unit, as `<` compares strings: the same order on every machine and locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
