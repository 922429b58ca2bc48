import type { Severity } from "../findings/finding.js";

/** The tool name on every finding of `portcullis validate`. */
export const VALIDATE_TOOL = "portcullis-validate";

/**
 * The rules of `portcullis validate`. Rules 1–8 guard framework integrity (severity high, they
 * block); `orphan-module` and markdownlint's rules (`markdownlint/MD001`…) are advisory documentation
 * findings (low). The evaluator routes `markdownlint*` and `orphan-module` to the documentation gate.
 */
export const RULE_IDS = [
  "broken-link",
  "missing-include",
  "missing-reference",
  "reference-cycle",
  "xml-malformed",
  "frontmatter-invalid",
  "frontmatter-missing-key",
  "token-budget",
  "unclosed-fence",
  "orphan-module",
] as const;

/** The id of one of the ten rules (markdownlint findings carry `markdownlint/<rule>` instead). */
export type RuleId = (typeof RULE_IDS)[number];

/** Severity and title of each rule. */
export const RULES: Readonly<Record<RuleId, { severity: Severity; title: string }>> = {
  "broken-link": { severity: "high", title: "Broken link" },
  "missing-include": { severity: "high", title: "Missing @include" },
  "missing-reference": { severity: "high", title: "Missing framework reference" },
  "reference-cycle": { severity: "high", title: "Dependency cycle" },
  "xml-malformed": { severity: "high", title: "Malformed XML" },
  "frontmatter-invalid": { severity: "high", title: "Invalid front matter" },
  "frontmatter-missing-key": { severity: "high", title: "Missing front matter key" },
  "token-budget": { severity: "high", title: "Over token budget" },
  "unclosed-fence": { severity: "high", title: "Unclosed code fence" },
  "orphan-module": { severity: "low", title: "Orphan module" },
};

/** Prefix of the rule ids of markdownlint findings (`markdownlint/MD001`). */
export const MARKDOWNLINT_PREFIX = "markdownlint/";

/**
 * A finding before fingerprinting: plain data, so that worker threads can send it back.
 * `target` is what the finding is about (a link target, a key…) and goes into the fingerprint
 * instead of the line number, so fingerprints survive line moves.
 */
export interface RawFinding {
  ruleId: RuleId | `${typeof MARKDOWNLINT_PREFIX}${string}`;
  path: string;
  line: number;
  column: number;
  /** What is wrong, then what to do about it. */
  message: string;
  target: string;
  /** Overrides the rule's title (markdownlint rules carry their own). */
  title?: string | undefined;
  helpUri?: string | undefined;
}

/** True for the ids of the rules above (not `markdownlint/…`). */
export function isRuleId(id: string): id is RuleId {
  return Object.hasOwn(RULES, id);
}

/** Severity of a rule id; markdownlint rules are advisory. */
export function severityOf(ruleId: string): Severity {
  return isRuleId(ruleId) ? RULES[ruleId].severity : "low";
}
