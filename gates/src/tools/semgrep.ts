import { z } from "zod";
import { UsageError } from "../errors.js";
import type { Finding, ReportFormat, Severity, ToolError, ToolResult } from "../findings/finding.js";
import { ordinalFingerprints } from "../findings/fingerprint.js";
import { isSarifOf, parseJsonOrSarif, parseJsonOrSarifDocument, type JsonOrSarifSpec } from "./sarif.js";
import { isCount, optionalBoolean, optionalCount, optionalString, optionalStrings } from "../model/plain-checks.js";
import { isRecord, normalisePath, type ReportContext } from "./report-json.js";
import { isPlaceholder, withFingerprint } from "./sarif-result.js";
import type { ExitMeaning, ParseOptions, PinnedImage, RunnableAdapter, ToolAdapter } from "./types.js";

/** semgrep exit codes for the argv built here (which passes `--error`). */
export const SEMGREP_EXIT = {
  clean: 0,
  /** Findings, because `--error` is passed; without it semgrep exits 0 with findings. */
  findings: 1,
  /** 2 and above: fatal error, invalid rules or code (3-8), bad API token (13)… */
  firstError: 2,
} as const;

/** The pinned semgrep image (1.163.0, released 2026-05). */
export const SEMGREP_IMAGE: PinnedImage = { ref: "semgrep/semgrep:1.163.0", version: "1.163.0" };

/** semgrep's rule severities -> Portcullis severities. Unknown words stay `unknown` (never harmless). */
export const SEMGREP_SEVERITY: Readonly<Record<string, Severity>> = {
  ERROR: "high",
  WARNING: "medium",
  INFO: "low",
  CRITICAL: "critical",
  HIGH: "high",
  MEDIUM: "medium",
  LOW: "low",
  // Rule categories that record facts about the code rather than problems.
  INVENTORY: "info",
  EXPERIMENT: "info",
};

/**
 * The rules every runner uses when none are given: the registry's default pack (fetched at scan
 * time), plus the repository's own rules found at `ownRules` (each added as `./<path>`).
 */
export const SEMGREP_DEFAULT_RULES = {
  pack: "p/default",
  ownRules: [
    { path: ".semgrep.yml", type: "file" },
    { path: ".semgrep.yaml", type: "file" },
    { path: ".semgrep", type: "directory" },
  ],
} as const;

export interface SemgrepScanOptions {
  /** Rule files, folders or registry packs (`p/owasp-top-ten`). `auto` is refused (see below). */
  configs: readonly string[];
  /** Where to write the JSON report. */
  jsonOutput: string;
  /** Where to write the SARIF report as well, from the same run. */
  sarifOutput?: string;
  /** Files or folders to scan; defaults to the working directory. */
  targets?: readonly string[];
}

export const semgrep = {
  name: "semgrep",
  /**
   * Which of the caller's environment variables semgrep may see: `SEMGREP_BASELINE_COMMIT` (or
   * `_REF`), which CI jobs set for semgrep's own diff-aware scans, would report only what changed
   * since that commit and hide every finding already there. The token of a logged-in run passes.
   */
  inheritsEnvironment: (name: string): boolean => name !== "SEMGREP_BASELINE_COMMIT" && name !== "SEMGREP_BASELINE_REF",
  image: SEMGREP_IMAGE,
  formats: ["semgrep-json", "semgrep-sarif"],
  formatLabels: { "semgrep-json": "a semgrep JSON report", "semgrep-sarif": "a semgrep SARIF report" },
  kinds: {
    semgrep: { label: "a semgrep report (JSON or SARIF)", feeds: ["sast"], requiredBy: ["sast"] },
  },
  exitCodes: SEMGREP_EXIT,
  versionArgv: ["--version"],
  argv: {
    /** `semgrep scan --config <rules>… --json-output <f> [--sarif-output <f>] --metrics=off --error [targets]`. */
    scan(options: SemgrepScanOptions): string[] {
      return [
        "scan",
        ...checkedConfigs(options.configs).flatMap((config) => ["--config", config]),
        "--json-output",
        options.jsonOutput,
        ...(options.sarifOutput === undefined ? [] : ["--sarif-output", options.sarifOutput]),
        "--metrics=off",
        // Offline CI: no call home for a newer version.
        "--disable-version-check",
        "--error",
        ...checkedTargets(options.targets ?? ["."]),
      ];
    },
  },
  detect(document: unknown): ReportFormat | undefined {
    if (isSemgrepJson(document)) return "semgrep-json";
    return isSarifOf(document, "semgrep") ? "semgrep-sarif" : undefined;
  },
  /** Parses semgrep JSON or semgrep SARIF, by content. */
  parse(raw: string, options: ParseOptions = {}): ToolResult {
    return parseJsonOrSarif(raw, options, semgrepSpec(options));
  },
  parseDocument(document: unknown, options: ParseOptions = {}): ToolResult {
    return parseJsonOrSarifDocument(document, options, semgrepSpec(options));
  },
  findingsExitHasFindings: true,
  exitMeaning(exitCode: number): ExitMeaning {
    if (exitCode === SEMGREP_EXIT.clean) return "clean";
    return exitCode === SEMGREP_EXIT.findings ? "findings" : "error";
  },
} as const satisfies ToolAdapter & RunnableAdapter;

// --- internal ---

/*
 * The fields of semgrep's JSON output that Portcullis reads. Plain `z.object` on purpose: semgrep
 * adds members release after release (`engine_kind`, `validation_state`, `interfile_languages_used`…),
 * so unknown keys are accepted and dropped; the ones read here are type-checked.
 */
const Position = z.object({ line: z.number().int().nonnegative(), col: z.number().int().nonnegative().optional() });
const SemgrepMatch = z.object({
  check_id: z.string().min(1),
  path: z.string(),
  start: Position,
  end: Position.optional(),
  extra: z.object({
    message: z.string(),
    severity: z.string(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    fingerprint: z.string().optional(),
    lines: z.string().optional(),
    is_ignored: z.boolean().optional(),
  }),
});
type SemgrepMatch = z.infer<typeof SemgrepMatch>;

const SemgrepError = z.object({
  code: z.number().int().optional(),
  level: z.string(),
  // A plain word ("Syntax error") or a tagged variant (["PartialParsing", [spans]]).
  type: z.union([z.string(), z.tuple([z.string()], z.unknown())]),
  message: z.string().optional(),
  short_msg: z.string().optional(),
  path: z.string().optional(),
  rule_id: z.string().optional(),
});
type SemgrepError = z.infer<typeof SemgrepError>;

const SemgrepReport = z.object({
  version: z.string().optional(),
  results: z.array(SemgrepMatch),
  errors: z.array(SemgrepError),
  paths: z.object({ scanned: z.array(z.string()).optional() }).optional(),
});
type SemgrepReport = z.infer<typeof SemgrepReport>;
const SemgrepErrors = z.array(SemgrepError);

/**
 * The SemgrepReport schema as a fast check, for reports of 100,000 results (see plain-checks.ts):
 * every result field by field; the few `errors` through their schema.
 */
function isPlainSemgrepReport(document: unknown): document is SemgrepReport {
  if (!isRecord(document) || !optionalString(document["version"])) return false;
  const { results, paths } = document;
  if (!Array.isArray(results) || !results.every(isPlainMatch)) return false;
  if (paths !== undefined && !(isRecord(paths) && optionalStrings(paths["scanned"]))) return false;
  return SemgrepErrors.safeParse(document["errors"]).success;
}

function isPlainMatch(value: unknown): boolean {
  if (!isRecord(value) || !isRecord(value["extra"])) return false;
  const {
    check_id: id,
    path,
    start,
    end,
    extra,
  } = value as Record<string, unknown> & { extra: Record<string, unknown> };
  return (
    typeof id === "string" &&
    id.length > 0 &&
    typeof path === "string" &&
    isPosition(start) &&
    (end === undefined || isPosition(end)) &&
    typeof extra["message"] === "string" &&
    typeof extra["severity"] === "string" &&
    (extra["metadata"] === undefined || isRecord(extra["metadata"])) &&
    optionalString(extra["fingerprint"]) &&
    optionalString(extra["lines"]) &&
    optionalBoolean(extra["is_ignored"])
  );
}

function isPosition(value: unknown): boolean {
  return isRecord(value) && isCount(value["line"]) && optionalCount(value["col"]);
}

function semgrepContext(options: ParseOptions): ReportContext {
  return { tool: "semgrep", expected: "semgrep JSON or SARIF report", producer: "semgrep", file: options.file };
}

/** How semgrep JSON is read (exported for its tests: the fast check against the schema). */
export function semgrepSpec(options: ParseOptions): JsonOrSarifSpec<z.infer<typeof SemgrepReport>> {
  return {
    tool: "semgrep",
    context: semgrepContext(options),
    isJson: isSemgrepJson,
    schema: SemgrepReport,
    accepts: isPlainSemgrepReport,
    expected: "semgrep JSON report",
    build: fromReport,
  };
}

/** semgrep JSON: an object with a `results` array next to `errors`, `paths` or `version`. */
function isSemgrepJson(document: unknown): document is Record<string, unknown> {
  if (!isRecord(document) || !Array.isArray(document["results"]) || "runs" in document) return false;
  return "errors" in document || "paths" in document || typeof document["version"] === "string";
}

function fromReport(report: SemgrepReport): ToolResult {
  const findings = report.results.map(findingOf);
  const fingerprints = ordinalFingerprints(
    report.results,
    identityOf,
    (match) => match.start.line * 1_000_000 + (match.start.col ?? 0),
  );
  return {
    tool: "semgrep",
    format: "semgrep-json",
    ...(report.version === undefined ? {} : { toolVersion: report.version }),
    ...(report.paths?.scanned === undefined ? {} : { filesScanned: report.paths.scanned.length }),
    findings: findings.map((finding, index) => withFingerprint(finding, fingerprints[index])),
    toolErrors: [
      ...report.errors.map(toolErrorOf),
      ...(report.paths?.scanned?.length === 0 && report.results.length === 0 ? [NOTHING_SCANNED] : []),
    ],
    secrets: [],
  };
}

/**
 * A run that scanned no file found nothing because it looked at nothing: said on every output, but
 * not blocking, since it is also what a diff-aware `semgrep ci` writes for a change to docs only, and
 * what a repository with no file in the rules' languages gets.
 */
const NOTHING_SCANNED: ToolError = {
  level: "warning",
  code: "nothing-scanned",
  message:
    "semgrep scanned no file: a diff-aware run (semgrep ci) of a change with no code, no file in the rules' languages, a .semgrepignore that leaves none, or every file over semgrep's size limit; nothing was judged",
};

function findingOf(match: SemgrepMatch): Omit<Finding, "fingerprint"> {
  const { extra } = match;
  const metadata = extra.metadata ?? {};
  const helpUri = firstString(metadata["source"]) ?? firstString(metadata["shortlink"]);
  const references = new Set<string>();
  for (const cwe of strings(metadata["cwe"])) {
    for (const id of cwe.matchAll(/\bCWE-\d+\b/gi)) references.add(id[0].toUpperCase());
  }
  for (const reference of strings(metadata["references"])) references.add(reference);
  if (helpUri !== undefined) references.add(helpUri);
  const path = normalisePath(match.path);
  return {
    tool: "semgrep",
    kind: "sast",
    ruleId: match.check_id,
    severity: SEMGREP_SEVERITY[extra.severity.toUpperCase()] ?? "unknown",
    title: match.check_id.split(".").pop() ?? match.check_id,
    message: extra.message,
    references: [...references],
    ...(path === ""
      ? {}
      : {
          location: {
            path,
            startLine: match.start.line,
            ...(match.start.col === undefined ? {} : { startColumn: match.start.col }),
            ...(match.end === undefined ? {} : { endLine: match.end.line }),
            ...(match.end?.col === undefined ? {} : { endColumn: match.end.col }),
          },
        }),
    ...(helpUri === undefined ? {} : { helpUri }),
    ...(extra.lines === undefined || extra.lines === "" || isPlaceholder(extra.lines) ? {} : { snippet: extra.lines }),
    ...(extra.is_ignored === true ? { suppression: { kind: "inSource" as const, reason: "nosemgrep" } } : {}),
  };
}

/**
 * semgrep's own fingerprint (the SARIF `matchBasedId/v1`) survives line moves; it is written the
 * way the SARIF parser reads it so that JSON and SARIF of one run agree. Logged-out runs print
 * "requires login" instead: then rule and path, numbered by position.
 */
function identityOf(match: SemgrepMatch): string[] {
  const own = match.extra.fingerprint;
  if (own !== undefined && own !== "" && !isPlaceholder(own))
    return ["semgrep", match.check_id, `matchBasedId/v1=${own}`];
  return ["semgrep", match.check_id, normalisePath(match.path)];
}

/** `error` -> error (the scan cannot be trusted); `warn`/`info` -> warning; anything else fails closed. */
function toolErrorOf(error: SemgrepError): ToolError {
  const type = typeof error.type === "string" ? error.type : error.type[0];
  const level = error.level.toLowerCase();
  const path = error.path === undefined || error.path === "" ? undefined : normalisePath(error.path);
  return {
    level: level === "warn" || level === "warning" || level === "info" ? "warning" : "error",
    message: error.message ?? error.short_msg ?? type,
    code: error.code === undefined ? type : `${type} (${error.code})`,
    ...(path === undefined ? {} : { path }),
  };
}

function checkedConfigs(configs: readonly string[]): readonly string[] {
  if (configs.length === 0) {
    throw new UsageError("USAGE", "semgrep needs at least one --config", {
      tool: "semgrep",
      fix: "name rule files, a rules folder or registry packs such as p/default",
    });
  }
  for (const config of configs) {
    if (config.trim().toLowerCase() === "auto") {
      throw new UsageError("USAGE", "semgrep --config auto is not allowed", {
        tool: "semgrep",
        fix: "semgrep refuses `--config auto` with --metrics=off; name rule files or registry packs (p/default, p/owasp-top-ten) instead",
      });
    }
    rejectOption(config, "config");
  }
  return configs;
}

function checkedTargets(targets: readonly string[]): readonly string[] {
  for (const target of targets) rejectOption(target, "target");
  return targets;
}

/** A value starting with `-` would be read as an option by semgrep. */
function rejectOption(value: string, what: string): void {
  if (value === "" || value.startsWith("-")) {
    throw new UsageError("USAGE", `semgrep ${what} ${JSON.stringify(value)} is empty or looks like an option`, {
      tool: "semgrep",
      fix: `give a path or registry name; prefix a file named with a dash with ./`,
    });
  }
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function firstString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
