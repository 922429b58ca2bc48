import { createHash } from "node:crypto";
import { PolicyError, problemsFromZod, READABLE_PARSE, type PolicyProblem } from "./problems.js";
import { checkPolicyRules } from "./rules.js";
import { EnvironmentPolicy } from "./schema.js";
import { loadYaml } from "./yaml.js";

export type PolicyValidation = { ok: true; policy: EnvironmentPolicy } | { ok: false; problems: PolicyProblem[] };

/**
 * Validates a parsed environment document: schema (with defaults, so the result is normalised)
 * then the named cross-field rules. Never throws on bad data: every problem comes back with its
 * dot-path and fix.
 */
export function validatePolicy(document: unknown): PolicyValidation {
  const parsed = EnvironmentPolicy.safeParse(document, READABLE_PARSE);
  if (!parsed.success) return { ok: false, problems: problemsFromZod(parsed.error, EnvironmentPolicy) };
  const problems = checkPolicyRules(parsed.data);
  return problems.length === 0 ? { ok: true, policy: parsed.data } : { ok: false, problems };
}

/**
 * Parses an environment file's text (`file` names it in errors): YAML -> schema and defaults ->
 * cross-field rules. Throws a PolicyError (code POLICY_INVALID) listing every problem, or a
 * ConfigError for a YAML syntax error or an empty file.
 */
export function parsePolicy(text: string, file: string): EnvironmentPolicy {
  const document = loadYaml(text, {
    file,
    code: "POLICY_INVALID",
    emptyFix: "write at least `name: <environment>`; see the policy reference for the gates",
  });
  const result = validatePolicy(document);
  if (!result.ok) throw new PolicyError("POLICY_INVALID", file, result.problems);
  return result.policy;
}

/**
 * SHA-256 (hex) of the canonical JSON of a normalised policy: keys sorted, no whitespace. Two files
 * that differ only in comments, key order or spelled-out defaults have the same hash, so a report
 * names exactly the rules it was judged by.
 */
export function policyHash(policy: EnvironmentPolicy): string {
  return createHash("sha256").update(canonicalJson(policy)).digest("hex");
}

// --- internal ---

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
