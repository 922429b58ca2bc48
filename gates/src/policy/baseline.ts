import { ConfigError, quote, messageOf } from "../errors.js";
import { z } from "zod";
import { REPORT_SCHEMA_ID, REPORT_SCHEMA_ID_V1, Report } from "../model/report.js";
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

// --- internal ---

/** What a baseline needs of a v1 report: its findings' fingerprints (the rest of v1 is not read). */
const ReportV1Findings = z.object({
  schema: z.literal(REPORT_SCHEMA_ID_V1),
  findings: z.array(z.object({ fingerprint: z.string().min(1) })),
});

function invalid(file: string, message: string, cause?: unknown): ConfigError {
  return new ConfigError("BASELINE_INVALID", message, { file, fix: FIX, cause });
}
