import yaml from "js-yaml";
import type { RawFinding } from "../rule-ids.js";

/** The keys of a parsed front matter mapping. */
export type FrontMatterData = Readonly<Record<string, unknown>>;

/**
 * Rule 6a: YAML front matter must parse (js-yaml's safe default schema, duplicate keys rejected)
 * and be a mapping. Returns the keys for rule 6b, or a finding pointing at the offending line.
 */
export function readFrontMatter(
  path: string,
  yamlText: string | undefined,
): { data: FrontMatterData | undefined; findings: RawFinding[] } {
  if (yamlText === undefined) return { data: undefined, findings: [] };
  let document: unknown;
  try {
    document = yaml.load(yamlText, { filename: path });
  } catch (error) {
    if (!(error instanceof yaml.YAMLException)) throw error;
    // Line 1 is the opening `---`; js-yaml counts from 0, and leaves the mark out of a few errors.
    const mark: { line: number; column: number } | undefined = error.mark;
    const at = mark === undefined ? { line: 2, column: 1 } : { line: mark.line + 2, column: mark.column + 1 };
    return { data: undefined, findings: [invalid(path, at, `front matter is not valid YAML: ${error.reason}`)] };
  }
  if (document === undefined || document === null) return { data: {}, findings: [] };
  if (typeof document !== "object" || Array.isArray(document)) {
    return {
      data: undefined,
      findings: [invalid(path, { line: 2, column: 1 }, "front matter must be a mapping of keys to values")],
    };
  }
  return { data: Object.fromEntries(Object.entries(document)), findings: [] };
}

// --- internal ---

function invalid(path: string, at: { line: number; column: number }, problem: string): RawFinding {
  return {
    ruleId: "frontmatter-invalid",
    path,
    ...at,
    message: `${problem}. Fix: correct the YAML between the \`---\` lines (quote values that contain \`: \` or start with a special character).`,
    target: "",
  };
}
