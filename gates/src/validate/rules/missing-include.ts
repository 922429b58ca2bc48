import type { ResolvedFile } from "../crossref.js";
import type { RawFinding } from "../rule-ids.js";

/** Rule 2: `@path` imports (outside code) that resolve to no file from the importing file's folder. */
export function missingIncludes(files: readonly ResolvedFile[]): RawFinding[] {
  const findings: RawFinding[] = [];
  for (const file of files) {
    for (const { include, resolution } of file.includes) {
      if (resolution.kind !== "missing" && resolution.kind !== "folder") continue;
      const found =
        resolution.kind === "folder"
          ? "is a folder, not a file"
          : `does not exist (looked for \`${resolution.tried[0] ?? include.target}\`)`;
      findings.push({
        ruleId: "missing-include",
        path: file.facts.path,
        line: include.line,
        column: include.column,
        message: `include \`@${include.target}\` ${found}. Fix: correct the path (relative to this file) or create the file; put it in \`code\` if it is not meant as an import.`,
        target: include.target,
      });
    }
  }
  return findings;
}
