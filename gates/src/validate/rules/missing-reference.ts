import type { ResolvedFile } from "../crossref.js";
import type { RawFinding } from "../rule-ids.js";

/** Rule 3: paths to framework files in XML text or attributes that resolve under none of the roots. */
export function missingReferences(files: readonly ResolvedFile[]): RawFinding[] {
  const findings: RawFinding[] = [];
  for (const file of files) {
    for (const { reference, resolution } of file.references) {
      if (resolution.kind !== "missing") continue;
      findings.push({
        ruleId: "missing-reference",
        path: file.facts.path,
        line: reference.line,
        column: reference.column,
        message: `reference \`${reference.target}\` resolves to no file (looked for ${tried(resolution.tried)}). Fix: correct the path or create the file, or add its folder to \`validate.references.roots\`.`,
        target: reference.target,
      });
    }
  }
  return findings;
}

// --- internal ---

function tried(paths: readonly string[]): string {
  const shown = paths
    .slice(0, 3)
    .map((path) => `\`${path}\``)
    .join(", ");
  return paths.length > 3 ? `${shown} and ${paths.length - 3} more` : shown;
}
