import type { Fence } from "../extract.js";
import type { RawFinding } from "../rule-ids.js";

/** Rule 8: a fenced code block that never closes turns the rest of its container into code. */
export function unclosedFences(path: string, fences: readonly Fence[]): RawFinding[] {
  return fences
    .filter((fence) => !fence.closed)
    .map((fence) => {
      const opening = `${fence.marker}${fence.language}`;
      return {
        ruleId: "unclosed-fence",
        path,
        line: fence.line,
        column: fence.column,
        message:
          `code fence \`${opening}\` is never closed, so everything after it is read as code. ` +
          `Fix: add a closing line of at least ${fence.marker.length} \`${fence.marker.charAt(0)}\` characters, indented like the opening fence.`,
        target: opening,
      };
    });
}
