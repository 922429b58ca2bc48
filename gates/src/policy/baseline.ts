import { ConfigError, quote, messageOf } from "../errors.js";
import { REPORT_SCHEMA_ID, Report } from "../model/report.js";
import { describeIssues } from "../zod-issues.js";
import { problemsFromZod, READABLE_PARSE } from "./problems.js";

const FIX = "pass a report.json written by `portcullis evaluate --out <dir>` on the base branch";

/**
 * The fingerprints of every finding in a previous report (`--baseline report.json`), whatever its
 * status was then: only findings absent from it count as new. Only `portcullis.report/v1` is
 * accepted; anything else is a ConfigError (BASELINE_INVALID), never an empty baseline.
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
  if (schema !== REPORT_SCHEMA_ID) {
    const received = schema === undefined ? "JSON without a schema field" : `schema ${quote(schema)}`;
    throw invalid(file, `expected a Portcullis report (schema "${REPORT_SCHEMA_ID}"), received ${received}`);
  }
  const parsed = Report.safeParse(document, READABLE_PARSE);
  if (!parsed.success) {
    throw invalid(
      file,
      `not a valid ${REPORT_SCHEMA_ID} report: ${describeIssues(problemsFromZod(parsed.error, Report), 3)}`,
    );
  }
  return new Set(parsed.data.findings.map((finding) => finding.fingerprint));
}

// --- internal ---

function invalid(file: string, message: string, cause?: unknown): ConfigError {
  return new ConfigError("BASELINE_INVALID", message, { file, fix: FIX, cause });
}
