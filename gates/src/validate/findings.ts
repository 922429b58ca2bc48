import { SEVERITIES, type Finding, type Severity } from "../findings/finding.js";
import { ordinalFingerprints } from "../findings/fingerprint.js";
import { FINDINGS_SCHEMA_ID, FindingsDocument } from "../findings/format.js";
import { PORTCULLIS_VERSION } from "../version.js";
import { RULES, VALIDATE_TOOL, isRuleId, severityOf, type RawFinding } from "./rule-ids.js";

/** The outcome of a validation run. */
export interface ValidateResult {
  filesScanned: number;
  /** Sorted by path, line, column and rule. */
  findings: Finding[];
}

/**
 * Turns raw findings into Findings, in a deterministic order. Fingerprints hash the rule, the path
 * and what the finding is about (never the line), plus an ordinal among equals in file order.
 */
export function toFindings(raw: readonly RawFinding[]): Finding[] {
  const sorted = [...raw].sort(
    (a, b) =>
      compare(a.path, b.path) ||
      a.line - b.line ||
      a.column - b.column ||
      compare(a.ruleId, b.ruleId) ||
      compare(a.message, b.message),
  );
  const fingerprints = ordinalFingerprints(
    sorted,
    (item) => [VALIDATE_TOOL, item.ruleId, item.path, item.target],
    (item) => item.line * 1_000_000 + item.column,
  );
  return sorted.map((item, index) => ({
    tool: VALIDATE_TOOL,
    kind: "validation",
    ruleId: item.ruleId,
    severity: severityOf(item.ruleId),
    title: item.title ?? (isRuleId(item.ruleId) ? RULES[item.ruleId].title : item.ruleId),
    message: item.message,
    location: { path: item.path, startLine: item.line, startColumn: item.column },
    fingerprint: fingerprints[index] ?? "",
    references: [],
    ...(item.helpUri === undefined ? {} : { helpUri: item.helpUri }),
  }));
}

/**
 * The `portcullis.findings/v1` document of a run. Its envelope is checked against the schema; the
 * findings are not checked again: toFindings builds each from typed fields, and re-validating a
 * large tree's 200,000 findings took a third of a second after the workers were done.
 */
export function toFindingsDocument(result: ValidateResult): FindingsDocument {
  const envelope = FindingsDocument.parse({
    schema: FINDINGS_SCHEMA_ID,
    tool: VALIDATE_TOOL,
    version: PORTCULLIS_VERSION,
    filesScanned: result.filesScanned,
    findings: [],
    toolErrors: [],
  });
  return { ...envelope, findings: result.findings };
}

/** True when a finding of rules 1–8 (severity high) is present: the run fails. */
export function hasBlockingFindings(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.severity === "high");
}

/** `250 files checked: 12 findings (10 high, 2 low)` or `… no findings`. */
export function summaryLine(result: ValidateResult): string {
  const files = `${result.filesScanned} ${result.filesScanned === 1 ? "file" : "files"} checked`;
  if (result.findings.length === 0) return `portcullis validate: ${files}, no findings`;
  const counts = new Map<Severity, number>();
  for (const finding of result.findings) counts.set(finding.severity, (counts.get(finding.severity) ?? 0) + 1);
  const bySeverity = SEVERITIES.filter((severity) => counts.has(severity))
    .map((severity) => `${counts.get(severity) ?? 0} ${severity}`)
    .join(", ");
  const noun = result.findings.length === 1 ? "finding" : "findings";
  return `portcullis validate: ${files}, ${result.findings.length} ${noun} (${bySeverity})`;
}

// --- internal ---

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
