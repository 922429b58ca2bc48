import {
  SEVERITY_RANK,
  type Finding,
  type FindingKind,
  type ReportFormat,
  type Severity,
} from "../findings/finding.js";
import { GATE_NAMES, type GateName } from "../model/gates.js";
import { REPORT_KINDS, type ReportKind } from "../model/report.js";
import { KIND_FORMATS, REPORT_KIND_SPECS } from "../tools/index.js";

/** The report kinds each gate cannot be judged without (from each kind's declaration). */
export const REQUIRED_REPORTS: Readonly<Record<GateName, readonly ReportKind[]>> = byKey(GATE_NAMES, (gate) =>
  REPORT_KINDS.filter((kind) => REPORT_KIND_SPECS[kind].requiredBy.includes(gate)),
);

/** The gates a report of each kind may feed (from each kind's declaration). */
export const FEEDS: Readonly<Record<ReportKind, readonly GateName[]>> = byKey(
  REPORT_KINDS,
  (kind) => REPORT_KIND_SPECS[kind].feeds,
);

/**
 * The gates one report may feed: its kind's, or those its adapter declares for the report's label
 * (a trivy report labelled `vuln` feeds only the vulnerabilities gate).
 */
export function feedsOf(kind: ReportKind, label: string | undefined): readonly GateName[] {
  const byLabel = REPORT_KIND_SPECS[kind].feedsByLabel;
  return label !== undefined && Object.hasOwn(byLabel, label) ? (byLabel[label] ?? FEEDS[kind]) : FEEDS[kind];
}

/**
 * The gate a finding counts against, by its kind. Licences count against compliance, whose
 * controls are judged apart, after the other gates (compliance-gate.ts).
 */
const GATE_OF_KIND: Readonly<Record<FindingKind, GateName>> = {
  secret: "secrets",
  vulnerability: "vulnerabilities",
  misconfiguration: "sast",
  sast: "sast",
  license: "compliance",
  validation: "framework_integrity",
};

/** Validation rules judged as documentation quality rather than framework integrity. */
const DOCUMENTATION_RULE = /^(markdownlint|orphan-module$)/;

export function gateOfFinding(finding: Finding): GateName {
  if (finding.kind === "validation" && DOCUMENTATION_RULE.test(finding.ruleId)) return "documentation";
  return GATE_OF_KIND[finding.kind];
}

/** True when a parsed report's format is one the kind it was given as can produce. */
export function formatFitsKind(kind: ReportKind, format: ReportFormat): boolean {
  return KIND_FORMATS[kind].includes(format);
}

/**
 * The tools the secrets gate requires reports of (gitleaks): dedicated secret scanners, whose
 * findings win over another scanner's at the same place.
 */
const SECRET_SCANNERS: ReadonlySet<string> = new Set(
  REQUIRED_REPORTS.secrets.map((kind) => REPORT_KIND_SPECS[kind].tool),
);

/**
 * One secret finding per secret: when a dedicated secret scanner (gitleaks) and another scanner
 * (trivy) report it, the secret scanner's finding is kept, at the worse of their two severities (a
 * policy that limits criticals must see trivy's critical for what gitleaks rates high). They need
 * not agree on its lines: for a private key gitleaks reports the BEGIN line to the END line and
 * trivy only the key's body, so another scanner's secret finding whose lines overlap the secret
 * scanner's in the same file is the same secret. Two other scanners at the same file and line: the
 * first one's is kept. Returns the kept findings and how many were dropped.
 */
export function dedupeSecrets(findings: readonly Finding[]): { findings: Finding[]; dropped: number } {
  const scanned = new Map<string, { from: number; to: number; finding: Finding }[]>();
  for (const finding of findings) {
    const lines = secretLines(finding);
    if (lines === undefined || !SECRET_SCANNERS.has(finding.tool)) continue;
    const ranges = scanned.get(lines.path);
    if (ranges === undefined) scanned.set(lines.path, [{ ...lines, finding }]);
    else ranges.push({ ...lines, finding });
  }
  const raised = new Map<Finding, Severity>();
  const owner = new Map<string, string>();
  const kept = findings.filter((finding) => {
    const lines = secretLines(finding);
    if (lines === undefined || SECRET_SCANNERS.has(finding.tool)) return true;
    const same = scanned.get(lines.path)?.filter((range) => range.from <= lines.to && lines.from <= range.to) ?? [];
    for (const { finding: kept } of same) {
      const severity = worse(raised.get(kept) ?? kept.severity, finding.severity);
      if (severity !== kept.severity) raised.set(kept, severity);
    }
    if (same.length > 0) return false;
    const key = `${lines.path}\u0000${lines.from}`;
    const first = owner.get(key);
    if (first === undefined) owner.set(key, finding.tool);
    return first === undefined || first === finding.tool;
  });
  return {
    findings: raised.size === 0 ? kept : kept.map((finding) => withSeverity(finding, raised.get(finding))),
    dropped: findings.length - kept.length,
  };
}

// --- internal ---

function byKey<K extends string, V>(keys: readonly K[], value: (key: K) => V): Record<K, V> {
  const table = {} as Record<K, V>;
  for (const key of keys) table[key] = value(key);
  return table;
}

/** The worse of two severities; `unknown` only when both are. */
function worse(a: Severity, b: Severity): Severity {
  if (a === "unknown") return b;
  if (b === "unknown") return a;
  return SEVERITY_RANK[a] <= SEVERITY_RANK[b] ? a : b;
}

function withSeverity(finding: Finding, severity: Severity | undefined): Finding {
  return severity === undefined ? finding : { ...finding, severity };
}

/** The file and lines of a secret finding that has them. */
function secretLines(finding: Finding): { path: string; from: number; to: number } | undefined {
  const location = finding.location;
  if (finding.kind !== "secret" || location?.startLine === undefined) return undefined;
  return { path: location.path, from: location.startLine, to: Math.max(location.startLine, location.endLine ?? 0) };
}
