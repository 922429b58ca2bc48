import type { z } from "zod";
import { Finding, type ReportFormat, type ToolError, type ToolResult } from "../findings/finding.js";
import { ordinalFingerprints } from "../findings/fingerprint.js";
import { redactBySchema, scrubList } from "../findings/redact.js";
import { driverProfile, type DriverProfile } from "./sarif-profile.js";
import {
  invalidReport,
  isRecord,
  normalisePath,
  parseReportJson,
  wrongTool,
  type ReportContext,
} from "./report-json.js";
import { draftFromResult, withFingerprint, type DraftFinding } from "./sarif-result.js";
import { isPlainSarifResult } from "./sarif-check.js";
import {
  SarifLog,
  SarifLogOutline,
  SarifResult,
  type SarifInvocation,
  type SarifNotification,
  type SarifRun,
} from "./sarif-schema.js";
import type { ExitMeaning, ParseOptions, PinnedImage, ToolAdapter } from "./types.js";

/**
 * Driver names (`runs[].tool.driver.name`) of a JSON-parsed document, in run order; [] when the
 * document is not a SARIF log. Lets a caller decide which adapter owns a SARIF file.
 */
export function sarifDriverNames(document: unknown): string[] {
  if (!isSarifLike(document)) return [];
  const runs = Array.isArray(document["runs"]) ? document["runs"] : [];
  return runs.flatMap((run) => {
    const tool = isRecord(run) ? run["tool"] : undefined;
    const driver = isRecord(tool) ? tool["driver"] : undefined;
    const name = isRecord(driver) ? driver["name"] : undefined;
    return typeof name === "string" ? [name] : [];
  });
}

/**
 * The format of a SARIF document: `gitleaks-sarif`, `semgrep-sarif`, `trivy-sarif` when every run
 * comes from that tool, `sarif` otherwise; undefined when it is not SARIF at all.
 */
export function sarifFormat(document: unknown): ReportFormat | undefined {
  if (!isSarifLike(document)) return undefined;
  const formats = new Set(sarifDriverNames(document).map((name) => driverProfile(name).format));
  const [only] = formats;
  return formats.size === 1 && only !== undefined ? only : "sarif";
}

/**
 * Parses an already JSON-parsed SARIF 2.1.0 log from any tool. Throws REPORT_WRONG_TOOL when it is
 * not SARIF and REPORT_INVALID when it is SARIF of the wrong shape. Problems the log itself reports
 * (failed executions, error notifications, runs without results) become toolErrors.
 */
export function parseSarifDocument(document: unknown, options: ParseOptions = {}): ToolResult {
  const context = sarifContext(options);
  if (!isSarifLike(document)) throw wrongTool(document, context);
  const log = checkedLog(document, context);

  const drafts: DraftFinding[] = [];
  const toolErrors: ToolError[] = [];
  const profiles: DriverProfile[] = [];
  if (log.runs.length === 0) {
    toolErrors.push({ level: "error", message: "the SARIF log has no runs: no tool reported anything" });
  }
  log.runs.forEach((run, index) => {
    const profile = driverProfile(run.tool.driver.name);
    profiles.push(profile);
    toolErrors.push(...runErrors(run, index));
    for (const result of run.results ?? []) {
      const draft = draftFromResult(result, run, profile);
      if (draft !== undefined) drafts.push(draft);
    }
  });

  const fingerprints = ordinalFingerprints(
    drafts,
    (draft) => draft.identity,
    (draft) => draft.order,
  );
  const secrets = drafts.flatMap((draft) => draft.secrets);
  const scrub = scrubList(secrets);
  const findings: Finding[] = drafts.map((draft, index) =>
    redactBySchema(Finding, withFingerprint(draft.finding, fingerprints[index]), scrub),
  );
  const tools = new Set(profiles.map((profile) => profile.tool));
  const [onlyTool] = tools;
  const first = log.runs[0];
  const toolVersion = first === undefined ? undefined : profiles[0]?.version(first.tool.driver);
  return {
    tool: tools.size === 1 && onlyTool !== undefined ? onlyTool : "sarif",
    format: sarifFormat(document) ?? "sarif",
    ...(toolVersion === undefined ? {} : { toolVersion }),
    findings,
    toolErrors,
    secrets,
  };
}

/** A tool that writes a JSON format of its own and SARIF (gitleaks, semgrep). */
export interface JsonOrSarifSpec<T> {
  /** The SARIF driver profile name (`gitleaks`, `semgrep`). */
  tool: string;
  context: ReportContext;
  isJson: (document: unknown) => boolean;
  schema: z.ZodType<T>;
  /**
   * A fast check that `schema` accepts the document, for large reports: sufficient, never necessary
   * (see plain-checks.ts). What it accepts is built as it is; what it refuses goes through `schema`.
   */
  accepts?: (document: unknown) => document is T;
  /** Named in REPORT_INVALID messages (`gitleaks JSON report`). */
  expected: string;
  build: (report: T) => ToolResult;
}

/**
 * Parses either format by content: the tool's SARIF, else its own JSON (validated by `schema`),
 * else REPORT_WRONG_TOOL. The one reading path of every tool with both formats.
 */
export function parseJsonOrSarif<T>(raw: string, options: ParseOptions, spec: JsonOrSarifSpec<T>): ToolResult {
  return parseJsonOrSarifDocument(parseReportJson(raw, spec.context), options, spec);
}

/** parseJsonOrSarif of a document already JSON-parsed. */
export function parseJsonOrSarifDocument<T>(
  document: unknown,
  options: ParseOptions,
  spec: JsonOrSarifSpec<T>,
): ToolResult {
  if (isSarifOf(document, spec.tool)) return parseSarifDocument(document, options);
  if (!spec.isJson(document)) throw wrongTool(document, spec.context);
  if (spec.accepts?.(document) === true) return spec.build(document);
  const parsed = spec.schema.safeParse(document);
  if (!parsed.success) throw invalidReport(parsed.error, { ...spec.context, expected: spec.expected });
  return spec.build(parsed.data);
}

/** True when the document is SARIF and every run's driver files its findings under `tool`. */
export function isSarifOf(document: unknown, tool: string): boolean {
  const drivers = sarifDriverNames(document);
  return drivers.length > 0 && drivers.every((name) => driverProfile(name).tool === tool);
}

/** Exit codes most SARIF producers use (eslint, bandit, hadolint…): 0 clean, 1 findings, others failures. */
export const SARIF_EXIT = { clean: 0, findings: 1 } as const;

/** The generic SARIF 2.1.0 adapter: reports from any tool that writes SARIF. */
export const sarif = {
  name: "sarif",
  /**
   * SARIF is written by other tools; there is nothing to run for it. The empty reference tells a
   * runner there is no container to start (tools that write SARIF carry their own image).
   */
  image: { ref: "", version: "2.1.0" } satisfies PinnedImage,
  formats: ["sarif", "gitleaks-sarif", "trivy-sarif", "semgrep-sarif"],
  /** The tools' own SARIF is labelled (owned) by their adapters. */
  formatLabels: { sarif: "a SARIF log" },
  /** SARIF from a tool without an adapter is read as static analysis; it is required by no gate. */
  kinds: { sarif: { label: "a SARIF 2.1.0 log", feeds: ["sast"], requiredBy: [] } },
  exitCodes: SARIF_EXIT,
  detect: sarifFormat,
  parse(raw: string, options: ParseOptions = {}): ToolResult {
    return parseSarifDocument(parseReportJson(raw, sarifContext(options)), options);
  },
  parseDocument: parseSarifDocument,
  findingsExitHasFindings: false,
  /** The convention most SARIF producers follow (SARIF_EXIT); anything else is a failure. */
  exitMeaning(exitCode: number): ExitMeaning {
    if (exitCode === SARIF_EXIT.clean) return "clean";
    return exitCode === SARIF_EXIT.findings ? "findings" : "error";
  },
} as const satisfies ToolAdapter & { exitCodes: Readonly<Record<string, number>> };

// --- internal ---

function sarifContext(options: ParseOptions): ReportContext {
  return { tool: "SARIF", expected: "SARIF 2.1.0 log", producer: "the tool that wrote it", file: options.file };
}

/** A SARIF log by shape: an object with a `runs` array and a `version` or a SARIF `$schema`. */
function isSarifLike(document: unknown): document is Record<string, unknown> {
  if (!isRecord(document) || !Array.isArray(document["runs"])) return false;
  const schema = document["$schema"];
  return typeof document["version"] === "string" || (typeof schema === "string" && /sarif/i.test(schema));
}

/**
 * The log as the SarifLog schema reads it. Its results are checked one by one, by the fast check
 * first: only what it refuses is copied by zod. Anything the schema refuses is then handed to the
 * schema whole, so that the error names every bad field, as it always has.
 */
function checkedLog(document: unknown, context: ReportContext): SarifLog {
  const outline = SarifLogOutline.safeParse(document);
  if (outline.success) {
    const runs: SarifRun[] = [];
    for (const run of outline.data.runs) {
      const results = run.results === null || run.results === undefined ? run.results : checkedResults(run.results);
      if (results === false) break;
      runs.push({ ...run, results });
    }
    if (runs.length === outline.data.runs.length) return { ...outline.data, runs };
  }
  const parsed = SarifLog.safeParse(document);
  if (!parsed.success) throw invalidReport(parsed.error, context);
  return parsed.data;
}

/** Results as the schema reads them, or false when it refuses one. */
function checkedResults(results: readonly unknown[]): SarifResult[] | false {
  const checked: SarifResult[] = [];
  for (const result of results) {
    if (isPlainSarifResult(result)) {
      checked.push(result);
      continue;
    }
    const parsed = SarifResult.safeParse(result);
    if (!parsed.success) return false;
    checked.push(parsed.data);
  }
  return checked;
}

function runErrors(run: SarifRun, index: number): ToolError[] {
  const driver = run.tool.driver.name;
  const errors: ToolError[] = [];
  if (run.results === undefined || run.results === null) {
    errors.push({
      level: "error",
      message: `${driver} (run ${index}) wrote no results array: per SARIF 2.1.0 the tool did not produce results`,
    });
  }
  for (const invocation of run.invocations ?? []) {
    if (!invocation.executionSuccessful) errors.push({ level: "error", message: failedExecution(driver, invocation) });
    for (const notification of [
      ...(invocation.toolConfigurationNotifications ?? []),
      ...(invocation.toolExecutionNotifications ?? []),
    ]) {
      const error = notificationError(driver, notification);
      if (error !== undefined) errors.push(error);
    }
  }
  return errors;
}

function failedExecution(driver: string, invocation: SarifInvocation): string {
  const details = [
    invocation.exitCode === undefined ? undefined : `exit code ${invocation.exitCode}`,
    invocation.exitCodeDescription,
    invocation.exitSignalName === undefined ? undefined : `signal ${invocation.exitSignalName}`,
  ].filter((part): part is string => part !== undefined && part !== "");
  return `${driver} reported executionSuccessful: false${details.length === 0 ? "" : ` (${details.join(", ")})`}`;
}

/** error -> error, warning (also SARIF's default level) -> warning; note and none are not problems. */
function notificationError(driver: string, notification: SarifNotification): ToolError | undefined {
  const level = notification.level ?? "warning";
  if (level !== "error" && level !== "warning") return undefined;
  const text = notification.message.text ?? notification.message.markdown ?? "(no message)";
  const uri = notification.locations?.[0]?.physicalLocation?.artifactLocation?.uri;
  const code = notification.descriptor?.id ?? notification.associatedRule?.id;
  return {
    level,
    message: `${driver}: ${text}`,
    ...(uri === undefined || uri === "" ? {} : { path: normalisePath(uri) }),
    ...(code === undefined ? {} : { code }),
  };
}
