import type { z } from "zod";

/** One schema problem: where (dot-path, `gates.vulnerabilities.max.high`) and what. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** Flattens zod issues into dot-paths with readable messages (unknown keys named one by one). */
export function schemaIssues(error: z.ZodError): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        issues.push({ path: base === "" ? key : `${base}.${key}`, message: "unknown key" });
      }
      continue;
    }
    issues.push({ path: base === "" ? "(root)" : base, message: issue.message });
  }
  return issues;
}

/** `path: message` lines, at most `max` of them, for an error message. */
export function describeIssues(issues: readonly SchemaIssue[], max = 10): string {
  const lines = issues.slice(0, max).map((issue) => `${issue.path}: ${issue.message}`);
  if (issues.length > max) lines.push(`… and ${issues.length - max} more`);
  return lines.join("; ");
}
