import { ReportError } from "../errors.js";
import type { ReportFormat, ToolResult } from "../findings/finding.js";
import { REPORT_KINDS, type ReportKind } from "../model/report.js";
import { findingsFormat } from "./findings.js";
import { gitleaks } from "./gitleaks.js";
import { isK6OutJson, k6 } from "./k6.js";
import { sarif, sarifFormat } from "./sarif.js";
import { describeDocument, parseReportJson } from "./report-json.js";
import { semgrep } from "./semgrep.js";
import { trivy } from "./trivy.js";
import { parseTrivyStream } from "./trivy-stream.js";
import { REPORT_KIND_SPECS } from "./report-kinds.js";
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
export { REPORT_KIND_SPECS, type ReportKindSpec } from "./report-kinds.js";

/** Every adapter, by tool name: the one list the Dagger module, the host runner and the CLI read. */
export const TOOLS = { gitleaks, trivy, semgrep, k6, sarif, findings: findingsFormat } as const;
export type ToolName = keyof typeof TOOLS;

/** The formats each `--report <kind>=<file>` accepts (detected by content, never by file name): its adapter's. */
export const KIND_FORMATS: Readonly<Record<ReportKind, readonly ReportFormat[]>> = kindFormats();

/** A report's format and the adapter that reads it. */
export interface DetectedReport {
  tool: ToolName;
  format: ReportFormat;
}

/**
 * What a report is, by content: JSON-parsed once, SARIF routed by its driver names (a tool's SARIF
 * goes to that tool's adapter), everything else offered to each adapter's detect in turn.
 * Throws REPORT_EMPTY / REPORT_MALFORMED, or REPORT_WRONG_TOOL for JSON no adapter recognises.
 */
export function detectReport(raw: string, options: ParseOptions = {}): DetectedReport {
  const document = parseAnyReport(raw, options);
  const detected = detectDocument(document);
  if (detected === undefined) {
    throw new ReportError(
      "REPORT_WRONG_TOOL",
      `not a report Portcullis can read: ${describeDocument(document).description}`,
      {
        file: options.file,
        fix: `pass ${ALL_FORMATS}`,
      },
    );
  }
  return detected;
}

/** detectReport for an already JSON-parsed document; undefined when no adapter recognises it. */
export function detectDocument(document: unknown): DetectedReport | undefined {
  const sarifKind = sarifFormat(document);
  if (sarifKind !== undefined) return { tool: FORMAT_TOOL[sarifKind], format: sarifKind };
  for (const name of DETECT_ORDER) {
    const format = TOOLS[name].detect(document);
    if (format !== undefined) return { tool: FORMAT_TOOL[format], format };
  }
  return undefined;
}

/**
 * Parses a report given as `--report <kind>=<file>`. The content must be one of the kind's formats
 * (KIND_FORMATS); anything else is REPORT_WRONG_TOOL naming what the file is and the right flag.
 */
export function parseReport(kind: ReportKind, raw: string, options: ParseOptions = {}): ToolResult {
  const detected = detectReport(raw, options);
  if (!KIND_FORMATS[kind].includes(detected.format)) {
    const file = options.file ?? "<file>";
    throw new ReportError(
      "REPORT_WRONG_TOOL",
      `--report ${kind}: this is ${FORMAT_LABELS[detected.format]}, not ${REPORT_KIND_SPECS[kind].label}`,
      { file: options.file, tool: kind, fix: `pass it as --report ${FORMAT_TOOL[detected.format]}=${file}` },
    );
  }
  return TOOLS[detected.tool].parse(raw, options);
}

/** What an exit code means for the tool behind a report kind (`validate` and `findings`: Portcullis' convention). */
export function reportExitMeaning(kind: ReportKind, exitCode: number): ExitMeaning {
  return TOOLS[KIND_TOOL(kind)].exitMeaning(exitCode);
}

/** The parsers `portcullis evaluate` reads reports with; trivy reports are always streamed. */
export const reportParsers = { parse: parseReport, parseTrivyStream, exitMeaning: reportExitMeaning } as const;

// --- internal ---

function kindFormats(): Record<ReportKind, readonly ReportFormat[]> {
  const table = {} as Record<ReportKind, readonly ReportFormat[]>;
  for (const kind of REPORT_KINDS) table[kind] = TOOLS[REPORT_KIND_SPECS[kind].adapter].formats;
  return table;
}

function parseAnyReport(raw: string, options: ParseOptions): unknown {
  try {
    return parseReportJson(raw, {
      tool: "given",
      expected: "report of a supported tool",
      producer: "the tool",
      file: options.file,
    });
  } catch (error) {
    if (!(error instanceof ReportError) || error.code !== "REPORT_MALFORMED" || !isK6OutJson(raw)) throw error;
    throw new ReportError("REPORT_WRONG_TOOL", "this is a k6 --out json sample stream (NDJSON), not a k6 summary", {
      file: options.file,
      tool: "k6",
      fix: "pass the --summary-export (or handleSummary) file as --report k6=<file>; the sample stream only feeds the HTML report's charts",
    });
  }
}

/** SARIF is settled before this order is used; the generic `sarif` adapter is therefore not in it. */
const DETECT_ORDER = ["gitleaks", "trivy", "semgrep", "k6", "findings"] as const satisfies readonly ToolName[];

/**
 * The adapter that owns each format: the first adapter listing it, the generic SARIF adapter last
 * (a tool's SARIF belongs to that tool). Every such tool name is also the `--report` kind to suggest.
 */
const FORMAT_TOOL = Object.fromEntries(
  (["gitleaks", "trivy", "semgrep", "k6", "findings", "sarif"] as const)
    .flatMap((tool) => TOOLS[tool].formats.map((format) => [format, tool] as const))
    .reverse(),
) as Readonly<Record<ReportFormat, ToolName & ReportKind>>;

const KIND_TOOL = (kind: ReportKind): ToolName => REPORT_KIND_SPECS[kind].adapter;

const FORMAT_LABELS: Readonly<Record<ReportFormat, string>> = {
  "gitleaks-json": "a gitleaks JSON report",
  "gitleaks-sarif": "a gitleaks SARIF report",
  "trivy-json": "a trivy JSON report",
  "trivy-sarif": "a trivy SARIF report",
  "semgrep-json": "a semgrep JSON report",
  "semgrep-sarif": "a semgrep SARIF report",
  "k6-summary-export": "a k6 --summary-export summary",
  "k6-handle-summary": "a k6 handleSummary summary",
  sarif: "a SARIF log",
  "portcullis-findings": "a Portcullis findings document",
};

const ALL_FORMATS =
  "a gitleaks, trivy or semgrep report (JSON or SARIF), a k6 summary, any SARIF 2.1.0 log or a portcullis.findings/v1 document";
