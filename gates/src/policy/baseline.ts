import { randomUUID } from "node:crypto";
import { ConfigError, quote, messageOf } from "../errors.js";
import { z } from "zod";
import { REPORT_SCHEMA_ID, REPORT_SCHEMA_ID_V1, Report, ReportedFinding } from "../model/report.js";
import { isPlainReportedFinding } from "../model/finding-check.js";
import { FINDINGS_LAYOUT } from "../model/report-layout.js";
import { describeIssues } from "../zod-issues.js";
import { problemsFromZod, READABLE_PARSE } from "./problems.js";

const FIX = "pass a report.json written by `portcullis evaluate --out <dir>` on the base branch";

/**
 * The fingerprints of every finding in a previous report (`--baseline report.json`), whatever its
 * status was then: only findings absent from it count as new. The current schema
 * (`portcullis.report/v2`) is checked whole; a `portcullis.report/v1` report, written before gate
 * checks were typed, is still accepted for its findings' fingerprints, so upgrading does not turn
 * every baseline finding into a new one. Anything else is a ConfigError (BASELINE_INVALID), never
 * an empty baseline.
 */
export function parseBaseline(text: string, file: string): Set<string> {
  return fingerprintsByLine(text.split("\n")) ?? parseWholeBaseline(text, file);
}

/**
 * The fingerprints of a `portcullis.report/v2` report laid out as Portcullis writes it
 * (report/json.ts: the envelope indented by two spaces, then `"findings": [` and one finding per
 * line), from its lines: each finding is parsed and checked on its own and dropped, so a baseline
 * of 100,000 findings is never in memory whole. The envelope is checked as parseBaseline checks
 * it, with no findings. Undefined for any other text, a v1 report or anything that does not pass:
 * read it whole with parseBaseline, which accepts the same reports and names what is wrong.
 */
export function fingerprintsByLine(lines: Iterable<string>): Set<string> | undefined {
  const envelope: string[] = [];
  const fingerprints = new Set<string>();
  // Stands in for the findings lines in the envelope: a value no file can hold in advance.
  const slot = `\u0000${randomUUID()}`;
  let state: "head" | "findings" | "tail" = "head";
  // JSON wants a comma between two findings and none after the last.
  let afterFinding = false;
  let commaOwed = false;
  for (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (state === "head") {
      if (envelope.length === 0 && line !== "{") return undefined;
      if (line === FINDINGS_LAYOUT.open) state = "findings";
      else envelope.push(line);
    } else if (state === "findings") {
      if (line === FINDINGS_LAYOUT.close || line === `${FINDINGS_LAYOUT.close},`) {
        if (commaOwed) return undefined;
        envelope.push(`  "findings": ${JSON.stringify(slot)}${line.slice(FINDINGS_LAYOUT.close.length)}`);
        state = "tail";
        continue;
      }
      if (!line.startsWith(`${FINDINGS_LAYOUT.indent}{`) || (afterFinding && !commaOwed)) return undefined;
      afterFinding = true;
      commaOwed = line.endsWith(",");
      const fingerprint = findingFingerprint(commaOwed ? line.slice(0, -1) : line);
      if (fingerprint === undefined) return undefined;
      fingerprints.add(fingerprint);
    } else {
      envelope.push(line);
    }
  }
  if (state !== "tail") return undefined;
  let document: unknown;
  try {
    document = JSON.parse(envelope.join("\n"));
  } catch {
    return undefined;
  }
  // Another `findings` member would replace the lines read, as JSON.parse keeps the last: read whole.
  if (typeof document !== "object" || document === null || !("findings" in document)) return undefined;
  if (document.findings !== slot) return undefined;
  const checked = Report.safeParse({ ...document, findings: [] });
  return checked.success && checked.data.schema === REPORT_SCHEMA_ID ? fingerprints : undefined;
}

// --- internal ---

/** One finding line's fingerprint, when the line is one finding that passes the schema. */
function findingFingerprint(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (isPlainReportedFinding(value)) return value.fingerprint;
  const checked = ReportedFinding.safeParse(value);
  return checked.success ? checked.data.fingerprint : undefined;
}

/** parseBaseline without the line reading: the whole text is parsed, then checked. */
export function parseWholeBaseline(text: string, file: string): Set<string> {
  if (text.trim() === "") throw invalid(file, "the file is empty");
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw invalid(file, `not valid JSON (${messageOf(error)})`, error);
  }
  const schema =
    document !== null && typeof document === "object" && "schema" in document ? document.schema : undefined;
  if (schema !== REPORT_SCHEMA_ID && schema !== REPORT_SCHEMA_ID_V1) {
    const received = schema === undefined ? "JSON without a schema field" : `schema ${quote(schema)}`;
    throw invalid(
      file,
      `expected a Portcullis report (schema "${REPORT_SCHEMA_ID}" or "${REPORT_SCHEMA_ID_V1}"), received ${received}`,
    );
  }
  const shape = schema === REPORT_SCHEMA_ID ? Report : ReportV1Findings;
  const parsed = shape.safeParse(document, READABLE_PARSE);
  if (!parsed.success) {
    throw invalid(file, `not a valid ${schema} report: ${describeIssues(problemsFromZod(parsed.error, shape), 3)}`);
  }
  return new Set(parsed.data.findings.map((finding) => finding.fingerprint));
}

/** What a baseline needs of a v1 report: its findings' fingerprints (the rest of v1 is not read). */
const ReportV1Findings = z.object({
  schema: z.literal(REPORT_SCHEMA_ID_V1),
  findings: z.array(z.object({ fingerprint: z.string().min(1) })),
});

function invalid(file: string, message: string, cause?: unknown): ConfigError {
  return new ConfigError("BASELINE_INVALID", message, { file, fix: FIX, cause });
}
