import { InternalError } from "../errors.js";
import { redactDeep } from "../findings/redact.js";
import { describeIssues, schemaIssues } from "../zod-issues.js";
import { Report } from "../model/report.js";

export interface JsonOptions {
  /** The evaluator's scrub list: the output is checked against it once more. */
  secrets?: readonly string[] | undefined;
}

/**
 * report.json (`portcullis.report/v1`). The report is validated against its schema first: a report
 * that does not match is a bug, and writing it would hand consumers something they cannot read.
 */
export function renderJson(report: Report, options: JsonOptions = {}): string {
  const checked = Report.safeParse(report);
  if (!checked.success) {
    throw new InternalError(`report.json does not match its schema: ${describeIssues(schemaIssues(checked.error))}`, {
      fix: "this is a bug in Portcullis: please report it with the command that produced it",
    });
  }
  // Scrubbed as data, not as text: a secret that looks like a number must not corrupt the JSON.
  return `${JSON.stringify(redactDeep(checked.data, options.secrets ?? []), null, 2)}\n`;
}
