import type { Finding, FindingKind, ReportFormat } from "../findings/finding.js";
import type { GateName } from "../policy/schema.js";
import type { ReportKind } from "../model/report.js";

/** The finding gates, in report order. */
export const FINDING_GATES = [
  "framework_integrity",
  "documentation",
  "secrets",
  "vulnerabilities",
  "sast",
  "compliance",
] as const satisfies readonly GateName[];

/**
 * The report kinds each gate cannot be judged without: with none of them given, the gate is
 * `error` (no report is never "no findings").
 */
export const REQUIRED_REPORTS: Readonly<Record<GateName, readonly ReportKind[]>> = {
  framework_integrity: ["validate"],
  documentation: ["validate"],
  secrets: ["gitleaks"],
  vulnerabilities: ["trivy"],
  sast: ["semgrep"],
  performance: ["k6"],
  compliance: ["trivy"],
};

/**
 * The gates a report of each kind may feed. A report that cannot be used makes every gate listed
 * here `error`: a `findings` document could have carried anything, so it answers for every finding
 * gate; other SARIF feeds `sast` (its findings also reach the gate their kind names).
 */
export const FEEDS: Readonly<Record<ReportKind, readonly GateName[]>> = {
  validate: ["framework_integrity", "documentation"],
  gitleaks: ["secrets"],
  trivy: ["secrets", "vulnerabilities", "sast", "compliance"],
  semgrep: ["sast"],
  k6: ["performance"],
  sarif: ["sast"],
  findings: FINDING_GATES,
};

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
  switch (kind) {
    case "gitleaks":
    case "trivy":
    case "semgrep":
    case "k6":
      return format.startsWith(`${kind}-`);
    case "validate":
    case "findings":
      return format === "portcullis-findings";
    case "sarif":
      return format.endsWith("sarif");
  }
}

/**
 * One secret finding per file and line: when gitleaks and another scanner (trivy) report the same
 * place, gitleaks' finding is kept. Returns the kept findings and how many were dropped.
 */
export function dedupeSecrets(findings: readonly Finding[]): { findings: Finding[]; dropped: number } {
  const owner = new Map<string, string>();
  for (const finding of findings) {
    const key = placeKey(finding);
    if (key === undefined) continue;
    const current = owner.get(key);
    if (current === undefined || (finding.tool === "gitleaks" && current !== "gitleaks")) owner.set(key, finding.tool);
  }
  const kept = findings.filter((finding) => {
    const key = placeKey(finding);
    return key === undefined || owner.get(key) === finding.tool;
  });
  return { findings: kept, dropped: findings.length - kept.length };
}

// --- internal ---

function placeKey(finding: Finding): string | undefined {
  if (finding.kind !== "secret" || finding.location?.startLine === undefined) return undefined;
  return `${finding.location.path}\u0000${finding.location.startLine}`;
}
