import type { z } from "zod";
import { quote, ReportError, messageOf } from "../errors.js";
import { describeIssues, schemaIssues } from "../zod-issues.js";
import { driverProfile } from "./sarif-profile.js";

/** Who is reading a report, for error messages. */
export interface ReportContext {
  /** Tool name as the user knows it (`gitleaks`, `semgrep`, `SARIF`). */
  tool: string;
  /** What the report should be (`gitleaks JSON or SARIF report`). */
  expected: string;
  /** Who writes it, for fix hints (`gitleaks v8`, `the tool that wrote it`). */
  producer: string;
  file?: string | undefined;
}

/**
 * JSON-parses a report's text. Whitespace only -> REPORT_EMPTY; anything JSON.parse refuses
 * (truncated output, binary, HTML error pages) -> REPORT_MALFORMED. A leading BOM is tolerated
 * because Windows tools write one.
 */
export function parseReportJson(raw: string, context: ReportContext): unknown {
  const text = raw.startsWith("\uFEFF") ? raw.slice(1) : raw;
  if (text.trim() === "") {
    throw new ReportError("REPORT_EMPTY", `the ${context.tool} report is empty; expected a ${context.expected}`, {
      file: context.file,
      tool: context.tool,
      fix: `check that ${context.producer} ran to completion and wrote its report; a clean run still writes one`,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    const reason = messageOf(cause);
    throw new ReportError(
      "REPORT_MALFORMED",
      `the ${context.tool} report is not valid JSON (${reason}); starts with ${quote(text.trimStart(), 40)}`,
      {
        file: context.file,
        tool: context.tool,
        cause,
        fix: `the file is truncated or is not a ${context.expected}: re-run ${context.producer} and let it finish writing`,
      },
    );
  }
}

/** REPORT_INVALID for a report that failed its zod schema, naming the first offending JSON path. */
export function invalidReport(error: z.ZodError, context: ReportContext): ReportError {
  const issues = schemaIssues(error);
  return new ReportError(
    "REPORT_INVALID",
    `the ${context.tool} report does not match the ${context.expected} layout: ${describeIssues(issues, 5)}`,
    {
      file: context.file,
      tool: context.tool,
      path: issues[0]?.path,
      fix: `re-generate the report with ${context.producer}; do not edit reports by hand`,
    },
  );
}

/** REPORT_WRONG_TOOL: valid JSON, but not this tool's report. The fix names the right kind when known. */
export function wrongTool(document: unknown, context: ReportContext): ReportError {
  const seen = describeDocument(document);
  const fix =
    seen.kind === undefined
      ? `pass a ${context.expected} here`
      : `this looks like a ${seen.kind} report: pass it as --report ${seen.kind}=<file>, or give the ${context.tool} report here`;
  return new ReportError("REPORT_WRONG_TOOL", `expected a ${context.expected}, got ${seen.description}`, {
    file: context.file,
    tool: context.tool,
    fix,
  });
}

/** A short description of an arbitrary JSON document and, when recognised, its report kind. */
export function describeDocument(document: unknown): { description: string; kind?: string } {
  if (Array.isArray(document)) {
    if (document.length === 0)
      return { description: "an empty JSON array (a clean gitleaks report)", kind: "gitleaks" };
    if (document.every((item) => isRecord(item) && "RuleID" in item)) {
      return { description: "a gitleaks JSON report", kind: "gitleaks" };
    }
    return { description: `a JSON array of ${document.length} item(s)` };
  }
  if (!isRecord(document)) return { description: `a JSON ${document === null ? "null" : typeof document}` };
  if (Array.isArray(document["runs"])) {
    const drivers = sarifDrivers(document);
    if (drivers.length === 0) return { description: "a SARIF log without named runs", kind: "sarif" };
    const profiles = drivers.map((name) => driverProfile(name));
    const [first] = profiles;
    // A known tool's SARIF (its drivers have that tool's profile) is best read by that tool's adapter.
    const known = first !== undefined && first.format !== "sarif" && profiles.every(({ tool }) => tool === first.tool);
    return { description: `a SARIF log from ${drivers.join(", ")}`, kind: known ? first.tool : "sarif" };
  }
  if (document["schema"] === "portcullis.findings/v1") {
    return { description: "a Portcullis findings document", kind: "findings" };
  }
  if ("SchemaVersion" in document && ("Results" in document || "ArtifactName" in document)) {
    return { description: "a trivy JSON report", kind: "trivy" };
  }
  if (Array.isArray(document["results"]) && Array.isArray(document["errors"])) {
    return { description: "a semgrep JSON report", kind: "semgrep" };
  }
  if (isRecord(document["metrics"])) return { description: "a k6 summary", kind: "k6" };
  const keys = Object.keys(document);
  if (keys.length === 0) return { description: "an empty JSON object" };
  return { description: `a JSON object with keys ${quote(keys.slice(0, 5).join(", "), 60)}` };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A report path as Portcullis shows it: forward slashes (semgrep and trivy on Windows write
 * backslashes), no `file://` scheme, no leading `./`. Percent-escapes are the caller's business:
 * SARIF URIs carry them, semgrep and gitleaks paths do not.
 */
export function normalisePath(raw: string): string {
  let value = raw.trim();
  if (/^file:/i.test(value)) {
    // `file:///C:/src` -> `C:/src`, `file:///src` -> `/src`, `file://host/src` -> `/src`
    value = value.replace(/^file:(\/\/[^/]*)?/i, "").replace(/^\/([A-Za-z]:)/, "$1");
  }
  value = value.replace(/\\/g, "/");
  while (value.startsWith("./")) value = value.slice(2);
  return value;
}

// --- internal ---

function sarifDrivers(document: Record<string, unknown>): string[] {
  const runs = document["runs"];
  if (!Array.isArray(runs)) return [];
  const names = new Set<string>();
  for (const run of runs) {
    const tool = isRecord(run) ? run["tool"] : undefined;
    const driver = isRecord(tool) ? tool["driver"] : undefined;
    const name = isRecord(driver) ? driver["name"] : undefined;
    if (typeof name === "string" && name !== "") names.add(name);
  }
  return [...names];
}
