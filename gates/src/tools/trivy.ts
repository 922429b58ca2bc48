import type { ReportFormat, ToolResult } from "../findings/finding.js";
import { trivyLogProblems } from "./trivy-log.js";
import { parseSarifDocument, sarifFormat } from "./sarif.js";
import { invalidReport, isRecord, parseReportJson, wrongTool, type ReportContext } from "./report-json.js";
import { trivyArgv } from "./trivy-argv.js";
import { TrivyCollector } from "./trivy-map.js";
import { TrivyHeader, TrivyVersionOutput } from "./trivy-schema.js";
import type { ExitMeaning, ParseOptions, PinnedImage, RunnableAdapter, ToolAdapter } from "./types.js";

export { TRIVY_SCANNERS } from "./trivy-argv.js";
export type {
  TrivyFsOptions,
  TrivyImageOptions,
  TrivySbomOptions,
  TrivyScanner,
  TrivyScanOptions,
  TrivyScanSbomOptions,
} from "./trivy-argv.js";
export { normaliseCheckId, splitFixedVersions } from "./trivy-map.js";

/** The pinned trivy image (v0.74.0, released 2026-08-14). */
export const TRIVY_IMAGE: PinnedImage = { ref: "aquasec/trivy:0.74.0", version: "0.74.0" };

/** trivy exit codes for the argv built here (no `--exit-code`, so findings never change the code). */
export const TRIVY_EXIT = {
  /** It ran; what it found is in the report. */
  ran: 0,
} as const;

/** What `trivy version --format json` says, in our words. */
export interface TrivyVersionInfo {
  version: string;
  /** Absent until trivy has downloaded a vulnerability DB into the cache it was pointed at. */
  vulnerabilityDb?: {
    /** DB schema version (2 for current trivy). */
    version: number;
    /** When the DB was built (RFC 3339): its age is measured from here. */
    updatedAt: string;
    /** When trivy will consider it stale and fetch a newer one. */
    nextUpdate: string;
  };
}

/** The label of a trivy report that holds vulnerabilities only (`trivy.vuln.json`, `--report trivy.vuln=<file>`). */
export const TRIVY_VULN_LABEL = "vuln";

/**
 * The label of a trivy report of every scanner but vulnerabilities, which need no DB
 * (`trivy.nodb.json`): the host runner's other half of `trivy fs`.
 */
export const TRIVY_NO_DB_LABEL = "nodb";

const TRIVY_KEPT_ENV = new Set([
  "TRIVY_DB_REPOSITORY",
  "TRIVY_JAVA_DB_REPOSITORY",
  "TRIVY_CHECKS_BUNDLE_REPOSITORY",
  "TRIVY_USERNAME",
  "TRIVY_PASSWORD",
  "TRIVY_REGISTRY_TOKEN",
  "TRIVY_INSECURE",
  "TRIVY_SKIP_DB_UPDATE",
  "TRIVY_SKIP_JAVA_DB_UPDATE",
  "TRIVY_SKIP_CHECK_UPDATE",
  "TRIVY_OFFLINE_SCAN",
  "TRIVY_TIMEOUT",
  "TRIVY_NO_PROGRESS",
  "TRIVY_DEBUG",
]);

/** The trivy adapter: JSON (schema v2) and SARIF reports, argv for fs/image/SBOM scans. */
export const trivy = {
  name: "trivy",
  image: TRIVY_IMAGE,
  formats: ["trivy-json", "trivy-sarif"],
  formatLabels: { "trivy-json": "a trivy JSON report", "trivy-sarif": "a trivy SARIF report" },
  kinds: {
    trivy: {
      label: "a trivy report (JSON or SARIF)",
      // One scan finds secrets, vulnerable packages, misconfigurations and licences.
      feeds: ["secrets", "vulnerabilities", "sast", "compliance"],
      requiredBy: ["vulnerabilities", "compliance"],
      // `--scanners vuln` alone (the host runner's vulnerability scan, which needs trivy's DB) can
      // carry nothing but vulnerabilities: when it fails (offline, no DB) only that gate is `error`,
      // not the secrets gate the separate secret/misconfiguration/licence scan feeds. That scan in
      // turn never looked for vulnerabilities: its silence about them is no evidence.
      feedsByLabel: {
        [TRIVY_VULN_LABEL]: ["vulnerabilities"],
        [TRIVY_NO_DB_LABEL]: ["secrets", "sast", "compliance"],
      },
    },
  },
  exitCodes: TRIVY_EXIT,
  versionArgv: trivyArgv.version(),
  argv: trivyArgv,
  /**
   * Which of the caller's environment variables trivy may see: a `TRIVY_*` setting left in a CI
   * job's environment (`TRIVY_SEVERITY=CRITICAL`, `TRIVY_SKIP_FILES`) would narrow every scan with
   * no trace. Only where to fetch from and how to reach it pass: DB mirrors, registry credentials,
   * offline operation (the DB's age is judged by `max_db_age`), timeouts and logging.
   */
  inheritsEnvironment: (name: string): boolean => !name.startsWith("TRIVY_") || TRIVY_KEPT_ENV.has(name),
  detect(document: unknown): ReportFormat | undefined {
    if (isTrivyJson(document)) return "trivy-json";
    return sarifFormat(document) === "trivy-sarif" ? "trivy-sarif" : undefined;
  },
  /** Parses a trivy JSON or SARIF report, by content. Big files: see parseTrivyStream. */
  parse(raw: string, options: ParseOptions = {}): ToolResult {
    return parseTrivyDocument(parseReportJson(raw, trivyContext(options)), options);
  },
  parseDocument: parseTrivyDocument,
  findingsExitHasFindings: false,
  exitMeaning(exitCode: number): ExitMeaning {
    return exitCode === TRIVY_EXIT.ran ? "clean" : "error";
  },
  logProblems: trivyLogProblems,
} as const satisfies ToolAdapter & RunnableAdapter;

/**
 * Parses an already JSON-parsed trivy report. Checks run in a fixed order, which the streaming
 * parser reproduces: is it trivy at all (REPORT_WRONG_TOOL), the header (REPORT_INVALID), then each
 * `Results[]` entry in order (REPORT_INVALID naming `Results.<i>.…`).
 */
export function parseTrivyDocument(document: unknown, options: ParseOptions = {}): ToolResult {
  const context = trivyContext(options);
  const format = trivy.detect(document);
  if (format === "trivy-sarif") return parseSarifDocument(document, options);
  if (format === undefined) throw wrongTool(document, context);
  const header = checkTrivyHeader(document, context);
  const collector = new TrivyCollector();
  (header.Results ?? []).forEach((entry, index) => collector.add(entry, index, context));
  return trivyResult(header, collector);
}

/** Reads `trivy version --format json` output (used to enforce a maximum vulnerability-DB age). */
export function parseTrivyVersion(raw: string, options: ParseOptions = {}): TrivyVersionInfo {
  const context: ReportContext = {
    tool: "trivy",
    expected: "`trivy version --format json` output",
    producer: "`trivy version --format json`",
    file: options.file,
  };
  const document = parseReportJson(raw, context);
  if (!isRecord(document) || !("Version" in document)) throw wrongTool(document, context);
  const parsed = TrivyVersionOutput.safeParse(document);
  if (!parsed.success) throw invalidReport(parsed.error, context);
  const db = parsed.data.VulnerabilityDB;
  return {
    version: parsed.data.Version,
    ...(db === undefined
      ? {}
      : { vulnerabilityDb: { version: db.Version, updatedAt: db.UpdatedAt, nextUpdate: db.NextUpdate } }),
  };
}

// --- internal, shared with trivy-stream.ts ---

export function trivyContext(options: ParseOptions): ReportContext {
  return {
    tool: "trivy",
    expected: "trivy JSON (schema v2) or SARIF report",
    producer: `trivy ${TRIVY_IMAGE.version} with --format json`,
    file: options.file,
  };
}

/** trivy JSON by shape: a numeric SchemaVersion plus the artifact or results trivy always writes. */
export function isTrivyJson(document: unknown): document is Record<string, unknown> {
  if (!isRecord(document) || typeof document["SchemaVersion"] !== "number") return false;
  return "ArtifactName" in document || "ArtifactType" in document || Array.isArray(document["Results"]);
}

export function checkTrivyHeader(document: unknown, context: ReportContext): TrivyHeader {
  const parsed = TrivyHeader.safeParse(document);
  if (!parsed.success) throw invalidReport(parsed.error, context);
  return parsed.data;
}

export function trivyResult(header: TrivyHeader, collector: TrivyCollector): ToolResult {
  return {
    tool: "trivy",
    format: "trivy-json",
    ...(header.Trivy === undefined ? {} : { toolVersion: header.Trivy.Version }),
    findings: collector.findings,
    toolErrors: [],
    secrets: collector.secrets,
  };
}
