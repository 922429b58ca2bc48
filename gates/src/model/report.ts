import { z } from "zod";
import { Finding, PerformanceResult, ReportFormat, Severity, ToolError } from "../findings/finding.js";
import { GateCheck } from "./checks.js";
import { CheckName, ControlStatus } from "./controls.js";
import { GateMode, GateName } from "./gates.js";

/** v2: gate checks are typed (kind, limit, measured, unit); v1 had them as text. */
export const REPORT_SCHEMA_ID = "portcullis.report/v2";
/** The previous schema, still read as a baseline (only its fingerprints are used). */
export const REPORT_SCHEMA_ID_V1 = "portcullis.report/v1";

export const GATE_STATUSES = ["pass", "warn", "fail", "error", "disabled"] as const;
/** pass: clean; warn: within thresholds but with something to see; fail: over a threshold; error: could not be evaluated. */
export const GateStatus = z.enum(GATE_STATUSES);
export type GateStatus = z.infer<typeof GateStatus>;

/** The kinds accepted by `--report <kind>=<file>` and named by `--reports <dir>` files. */
export const REPORT_KINDS = ["gitleaks", "trivy", "semgrep", "k6", "sarif", "validate", "findings"] as const;
export const ReportKind = z.enum(REPORT_KINDS);
export type ReportKind = z.infer<typeof ReportKind>;

export const Bypass = z
  .object({
    gate: GateName,
    reason: z.string().min(1),
    approver: z.string().min(1),
    at: z.string(),
  })
  .strict();
export type Bypass = z.infer<typeof Bypass>;

/** One count per severity, every severity present (`unknown` has its own key, never folded into low). */
export const SeverityCounts = z.record(Severity, z.number().int().nonnegative());
export type SeverityCounts = z.infer<typeof SeverityCounts>;

export const GateVerdict = z
  .object({
    gate: GateName,
    mode: GateMode,
    enabled: z.boolean(),
    status: GateStatus,
    /** Mandatory and fail/error and not bypassed. */
    blocking: z.boolean(),
    /** One sentence: why this status. */
    reason: z.string(),
    /** What to do, for fail and error. */
    fix: z.string().optional(),
    bypass: Bypass.optional(),
    evidence: z
      .object({
        /** Counted findings (new, unwaived) per severity. */
        counted: SeverityCounts,
        waived: z.number().int().nonnegative(),
        baseline: z.number().int().nonnegative(),
        suppressed: z.number().int().nonnegative(),
        /** vulnerabilities with `only_fixable`: new findings not counted because no fixed version is known. */
        unfixable: z.number().int().nonnegative().optional(),
        /** The comparisons behind the status: limits, k6 thresholds, compliance controls. */
        checks: z.array(GateCheck),
        /** Fingerprints of the worst counted findings, worst first (at most 10). */
        worst: z.array(z.string()),
        /** The reports that fed the gate. */
        sources: z.array(z.string()),
      })
      .strict(),
  })
  .strict();
export type GateVerdict = z.infer<typeof GateVerdict>;

export const FINDING_STATUSES = ["new", "baseline", "waived", "suppressed"] as const;

export const ReportedFinding = Finding.extend({
  gate: GateName,
  status: z.enum(FINDING_STATUSES),
}).strict();
export type ReportedFinding = z.infer<typeof ReportedFinding>;

export const ToolRun = z
  .object({
    kind: ReportKind,
    label: z.string().optional(),
    file: z.string(),
    tool: z.string(),
    format: ReportFormat.optional(),
    version: z.string().optional(),
    /** Set when the report could not be used: the error's code, message and fix. */
    error: z.object({ code: z.string(), message: z.string(), fix: z.string().optional() }).strict().optional(),
    toolErrors: z.array(ToolError),
    exitCode: z.number().int().optional(),
    durationMs: z.number().nonnegative().optional(),
  })
  .strict();
export type ToolRun = z.infer<typeof ToolRun>;

export { CONTROL_STATUSES, ControlStatus } from "./controls.js";

/** One compliance control as judged for this run (see compliance/controls.ts). */
export const ControlResult = z
  .object({
    id: z.string(),
    title: z.string(),
    /** Framework items it evidences: "SOC 2 CC8.1", "NIST AI RMF MEASURE 2.7", "GDPR Art. 32". */
    frameworks: z.array(z.string()),
    check: CheckName,
    status: ControlStatus,
    /** What the check saw, in one sentence. */
    details: z.string(),
    /** What to do, for fail and error. */
    fix: z.string().optional(),
    /** Where the evidence is: report.json pointers (`report.json#/verdicts`), files of the evidence bundle or the repository. */
    evidence: z.array(z.string()),
  })
  .strict();
export type ControlResult = z.infer<typeof ControlResult>;

export const Report = z
  .object({
    schema: z.literal(REPORT_SCHEMA_ID),
    portcullisVersion: z.string(),
    generatedAt: z.string(),
    environment: z.string(),
    /** SHA-256 of the normalised policy, so a report names exactly the rules it was judged by. */
    policyHash: z.string(),
    /** Which policy judged: the repository's file, or the built-in one of this version. */
    policySource: z.string().optional(),
    /** Set when `--gate` judged only these gates: the policy's others were not judged. */
    onlyGates: z.array(GateName).optional(),
    commit: z.string().optional(),
    passed: z.boolean(),
    verdicts: z.array(GateVerdict),
    findings: z.array(ReportedFinding),
    /** Waivers in force, with the number of findings each one waived. */
    waivers: z.array(
      z
        .object({
          id: z.string(),
          reason: z.string(),
          approver: z.string(),
          expires: z.string(),
          matched: z.number().int().nonnegative(),
        })
        .strict(),
    ),
    /** Expired or malformed waivers: each makes the gates of the findings it would match `error`. */
    waiverProblems: z.array(
      z
        .object({
          id: z.string(),
          code: z.string(),
          message: z.string(),
          fix: z.string().optional(),
          /** Findings the waiver would have matched (they count as new). */
          matched: z.number().int().nonnegative(),
        })
        .strict(),
    ),
    bypasses: z.array(Bypass),
    tools: z.array(ToolRun),
    /** Metrics of the first usable k6 report (each k6 report's comparisons are in the performance verdict). */
    performance: PerformanceResult.optional(),
    /** The compliance controls of the environment, each with its result (absent when they were not evaluated). */
    compliance: z
      .object({ controls: z.array(ControlResult) })
      .strict()
      .optional(),
    /** Things a reader must know about the outputs: SARIF truncation, tools left out of SARIF, merged duplicates. */
    notices: z.array(z.string()),
    timings: z.record(z.string(), z.number()),
    /**
     * Set when no scanner produced these findings: `portcullis fix` judged the earlier scan against
     * the new lockfile. A prediction is never evidence: deploy and the evidence bundle refuse it.
     */
    prediction: z
      .object({
        /** What was predicted from (`trivy report reports/trivy.json against the new package-lock.json`). */
        basis: z.string(),
        /** What a prediction cannot see. */
        limits: z.string(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type Report = z.infer<typeof Report>;
