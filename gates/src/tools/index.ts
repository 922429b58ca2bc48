import { REPORT_FORMATS, type ReportFormat, type ToolResult } from "../findings/finding.js";
import { REPORT_KINDS, type ReportKind } from "../model/report.js";
import { findingsFormat } from "./findings.js";
import { gitleaks } from "./gitleaks.js";
import { k6 } from "./k6.js";
import { buildRegistry, type ReportKindSpec } from "./registry.js";
import { sarif } from "./sarif.js";
import { semgrep } from "./semgrep.js";
import { trivy } from "./trivy.js";
import { parseTrivyStream } from "./trivy-stream.js";
import type { ExitMeaning, ParseOptions } from "./types.js";

export { findingsFormat, FINDINGS_EXIT } from "./findings.js";
export { gitleaks, GITLEAKS_EXIT, GITLEAKS_IMAGE } from "./gitleaks.js";
export { isK6OutJson, k6, K6_EXIT, K6_IMAGE, parseK6OutJson, parseK6OutJsonStream } from "./k6.js";
export type { K6EnvOptions, K6RunOptions, K6SeriesPoint } from "./k6.js";
export { parseSarifDocument, sarif, sarifDriverNames, sarifFormat } from "./sarif.js";
export { semgrep, SEMGREP_EXIT, SEMGREP_IMAGE } from "./semgrep.js";
export {
  normaliseCheckId,
  parseTrivyDocument,
  parseTrivyVersion,
  splitFixedVersions,
  trivy,
  TRIVY_EXIT,
  TRIVY_IMAGE,
  TRIVY_SCANNERS,
  TRIVY_VULN_LABEL,
} from "./trivy.js";
export type {
  TrivyFsOptions,
  TrivyImageOptions,
  TrivySbomOptions,
  TrivyScanner,
  TrivyScanOptions,
  TrivyScanSbomOptions,
  TrivyVersionInfo,
} from "./trivy.js";
export { parseTrivyStream } from "./trivy-stream.js";
export { buildRegistry } from "./registry.js";
export type { FormatSpec, RegistryVocabulary, ReportKindSpec, ToolRegistry } from "./registry.js";

/**
 * Every adapter, in the order a report is offered to them for detection: the one list a new tool is
 * added to. Everything keyed by tool, kind or format is derived from it (registry.ts).
 */
const ADAPTERS = [gitleaks, trivy, semgrep, k6, sarif, findingsFormat] as const;

type Adapter = (typeof ADAPTERS)[number];

/** Every adapter, by tool name: what the Dagger module's generator, the host runner and the CLI read. */
export const TOOLS = Object.fromEntries(ADAPTERS.map((adapter) => [adapter.name, adapter])) as {
  readonly [A in Adapter as A["name"]]: A;
};
export type ToolName = keyof typeof TOOLS;

/** The registry built from the adapters, checked to cover exactly report.json's kinds and formats. */
const REGISTRY = buildRegistry(ADAPTERS, { kinds: REPORT_KINDS, formats: REPORT_FORMATS });

/** Every `--report` kind, as the adapter that reads it declares it. */
export const REPORT_KIND_SPECS: Readonly<Record<ReportKind, ReportKindSpec>> = REGISTRY.kinds;

/** The formats each `--report <kind>` accepts (detected by content, never by file name): its adapter's. */
export const KIND_FORMATS: Readonly<Record<ReportKind, readonly ReportFormat[]>> = Object.fromEntries(
  REPORT_KINDS.map((kind) => [kind, REPORT_KIND_SPECS[kind].formats]),
) as Record<ReportKind, readonly ReportFormat[]>;

/** A report's format and the adapter that reads it. */
export interface DetectedReport {
  tool: ToolName;
  format: ReportFormat;
}

/**
 * What a report is, by content: JSON-parsed once, then offered to each adapter's detect in turn (a
 * SARIF log goes to the adapter of the tool its drivers name). Throws REPORT_EMPTY / REPORT_MALFORMED,
 * or REPORT_WRONG_TOOL for JSON no adapter recognises.
 */
export function detectReport(raw: string, options: ParseOptions = {}): DetectedReport {
  return REGISTRY.detectReport(raw, options) as DetectedReport;
}

/** detectReport for an already JSON-parsed document; undefined when no adapter recognises it. */
export function detectDocument(document: unknown): DetectedReport | undefined {
  return REGISTRY.detectDocument(document) as DetectedReport | undefined;
}

/**
 * Parses a report given as `--report <kind>=<file>`. The content must be one of the kind's formats
 * (KIND_FORMATS); anything else is REPORT_WRONG_TOOL naming what the file is and the right flag.
 */
export function parseReport(kind: ReportKind, raw: string, options: ParseOptions = {}): ToolResult {
  return REGISTRY.parseReport(kind, raw, options);
}

/** What an exit code means for the tool behind a report kind (`validate` and `findings`: Portcullis' convention). */
export function reportExitMeaning(kind: ReportKind, exitCode: number): ExitMeaning {
  return REGISTRY.exitMeaning(kind, exitCode);
}

/** The kind a report of this format is given as (`--report <kind>`), by the adapter that owns the format. */
export function kindOfFormat(format: ReportFormat): ReportKind {
  return REGISTRY.formats[format].kind;
}

/** The parsers `portcullis evaluate` reads reports with; trivy reports are always streamed. */
export const reportParsers = {
  parse: parseReport,
  parseTrivyStream,
  exitMeaning: reportExitMeaning,
  logProblems: (kind: ReportKind, log: string) => REGISTRY.logProblems(kind, log),
} as const;
