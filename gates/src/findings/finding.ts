import { z } from "zod";

/** Severities, worst first. Order matters: see SEVERITY_RANK. */
export const SEVERITIES = ["critical", "high", "medium", "low", "info", "unknown"] as const;
export const Severity = z.enum(SEVERITIES).describe("Normalised severity of a finding");
export type Severity = z.infer<typeof Severity>;

/** Lower is worse; `unknown` sorts last but is never treated as harmless by thresholds. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
  info: 4,
  unknown: 5,
};

export const FINDING_KINDS = ["secret", "vulnerability", "misconfiguration", "license", "sast", "validation"] as const;
export const FindingKind = z.enum(FINDING_KINDS);
export type FindingKind = z.infer<typeof FindingKind>;

export const Location = z
  .object({
    /** Repository-relative path with forward slashes (Windows paths are normalised), or an image/target name. */
    path: z.string().min(1),
    startLine: z.number().int().nonnegative().optional(),
    endLine: z.number().int().nonnegative().optional(),
    startColumn: z.number().int().nonnegative().optional(),
    endColumn: z.number().int().nonnegative().optional(),
  })
  .strict();
export type Location = z.infer<typeof Location>;

export const PackageInfo = z
  .object({
    name: z.string(),
    installed: z.string().optional(),
    /** Versions that fix it; trivy's comma-separated FixedVersion is split here. Empty: no fix known. */
    fixed: z.array(z.string()).default([]),
    /** Package type/ecosystem as the tool names it (npm, gomod, alpine…). */
    ecosystem: z.string().optional(),
  })
  .strict();
export type PackageInfo = z.infer<typeof PackageInfo>;

export const SUPPRESSION_KINDS = ["inSource", "external", "waiver", "baseline"] as const;
export const Suppression = z
  .object({
    /** inSource: `# nosemgrep`, `gitleaks:allow`; external: tool ignore files; waiver/baseline: ours. */
    kind: z.enum(SUPPRESSION_KINDS),
    reason: z.string().optional(),
    approver: z.string().optional(),
    /** ISO date the waiver expires. */
    expires: z.string().optional(),
  })
  .strict();
export type Suppression = z.infer<typeof Suppression>;

export const Finding = z
  .object({
    /** The tool that reported it (`gitleaks`, `trivy`, `semgrep`, `portcullis-validate`, a SARIF driver…). */
    tool: z.string().min(1),
    kind: FindingKind,
    ruleId: z.string().min(1),
    severity: Severity,
    title: z.string(),
    message: z.string(),
    location: Location.optional(),
    /**
     * Stable identity across runs: survives unrelated edits and line moves where the tool allows,
     * and never contains secret material (not even an unsalted hash of it).
     */
    fingerprint: z.string().min(1),
    package: PackageInfo.optional(),
    /** CVE-…, CWE-…, GHSA-… identifiers and URLs. */
    references: z.array(z.string()).default([]),
    /** Where to read how to fix it. */
    helpUri: z.string().optional(),
    /** Short code context; for secret findings always redacted. */
    snippet: z.string().optional(),
    /** Commit the finding was seen in (git-history scans). */
    commit: z.string().optional(),
    suppression: Suppression.optional(),
  })
  .strict();
export type Finding = z.infer<typeof Finding>;
/** What parsers build: defaults may be omitted. */
export type FindingInput = z.input<typeof Finding>;

export const ToolError = z
  .object({
    /** `error`: the tool failed (the gate cannot be trusted); `warning`: partial (e.g. a file it could not parse). */
    level: z.enum(["error", "warning"]),
    message: z.string(),
    path: z.string().optional(),
    code: z.string().optional(),
  })
  .strict();
export type ToolError = z.infer<typeof ToolError>;

export const METRIC_TYPES = ["trend", "rate", "counter", "gauge"] as const;
export const Metric = z
  .object({
    type: z.enum(METRIC_TYPES),
    /** Trend: avg min med max p(90) p(95) p(99)… in ms; rate: rate passes fails; counter: count rate; gauge: value min max. */
    values: z.record(z.string(), z.number()),
  })
  .strict();
export type Metric = z.infer<typeof Metric>;

export const ThresholdOutcome = z
  .object({
    /** Metric name as k6 writes it, submetric tags included (`http_req_duration{expected_response:true}`). */
    metric: z.string(),
    expression: z.string(),
    ok: z.boolean(),
  })
  .strict();
export type ThresholdOutcome = z.infer<typeof ThresholdOutcome>;

export const PerformanceResult = z
  .object({
    metrics: z.record(z.string(), Metric),
    thresholds: z.array(ThresholdOutcome),
  })
  .strict();
export type PerformanceResult = z.infer<typeof PerformanceResult>;

/** The formats Portcullis recognises by content. */
export const REPORT_FORMATS = [
  "gitleaks-json",
  "gitleaks-sarif",
  "trivy-json",
  "trivy-sarif",
  "semgrep-json",
  "semgrep-sarif",
  "k6-summary-export",
  "k6-handle-summary",
  "sarif",
  "portcullis-findings",
] as const;
export const ReportFormat = z.enum(REPORT_FORMATS);
export type ReportFormat = z.infer<typeof ReportFormat>;

/** What every parser returns. */
export interface ToolResult {
  tool: string;
  format: ReportFormat;
  toolVersion?: string | undefined;
  filesScanned?: number | undefined;
  findings: Finding[];
  toolErrors: ToolError[];
  /** k6 only. */
  performance?: PerformanceResult | undefined;
  /**
   * Secret values seen while parsing, kept in memory only so that the report every output renders
   * can be scrubbed of them (see redact.ts). Never serialised.
   */
  secrets: string[];
}
