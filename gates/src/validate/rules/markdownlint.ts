import type { LintError } from "markdownlint";
import { MARKDOWNLINT_PREFIX, type RawFinding } from "../rule-ids.js";

/** Rule 10: markdownlint's findings, advisory, under `markdownlint/<rule>` ids. */
export function markdownlintFindings(path: string, errors: readonly LintError[]): RawFinding[] {
  return errors.map((error) => {
    const [name = "unknown", alias] = error.ruleNames;
    const detail = error.errorDetail === null || error.errorDetail === "" ? "" : ` [${error.errorDetail}]`;
    const context =
      error.errorContext === null || error.errorContext === "" ? "" : ` [Context: "${error.errorContext}"]`;
    return {
      ruleId: `${MARKDOWNLINT_PREFIX}${name}`,
      path,
      line: error.lineNumber,
      column: error.errorRange?.[0] ?? 1,
      title: `${name}${alias === undefined ? "" : `/${alias}`}: ${error.ruleDescription}`,
      message: `${error.ruleDescription}${detail}${context}`,
      target: `${error.errorDetail ?? ""}\u0000${error.errorContext ?? ""}`,
      ...(error.ruleInformation === null ? {} : { helpUri: error.ruleInformation }),
    };
  });
}
