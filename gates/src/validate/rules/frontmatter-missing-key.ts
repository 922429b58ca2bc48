import type { RawFinding } from "../rule-ids.js";
import type { FrontMatterData } from "./frontmatter-invalid.js";

/** One `frontmatter` entry of the config. */
export interface RequiredKeys {
  glob: string;
  required: readonly string[];
}

/**
 * Rule 6b: keys required by every `frontmatter` entry whose glob matches the file. A key with no
 * value (`description:`, `""`, `[]`) is as missing as an absent one: an agent whose description
 * is empty is never chosen for anything.
 */
export function missingFrontMatterKeys(
  path: string,
  data: FrontMatterData | undefined,
  rules: readonly RequiredKeys[],
  /** The file opens with a `---` line that no other `---` line closes: it meant to have front matter. */
  unclosed = false,
): RawFinding[] {
  const findings: RawFinding[] = [];
  const reported = new Set<string>();
  for (const rule of rules) {
    for (const key of rule.required) {
      const present = data !== undefined && Object.hasOwn(data, key);
      if (reported.has(key) || (present && !isEmpty(data[key]))) continue;
      reported.add(key);
      const where =
        data !== undefined
          ? present
            ? "it is empty"
            : "the front matter lacks it"
          : unclosed
            ? "the front matter opened by `---` on line 1 is never closed by another `---` line"
            : "the file has no front matter";
      findings.push({
        ruleId: "frontmatter-missing-key",
        path,
        line: 1,
        column: 1,
        message:
          `front matter key \`${key}\` is required for files matching \`${rule.glob}\`, and ${where}. ` +
          `Fix: add \`${key}: …\` between \`---\` lines at the top of the file.`,
        target: key,
      });
    }
  }
  return findings;
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === "string") return value.trim() === "";
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}
