import { z } from "zod";
import { EnvironmentPolicy, GATE_NAMES, VULNERABILITIES_ONLY_KEYS } from "./schema.js";

/** Where the generated schema is committed, relative to the repository root. */
export const POLICY_JSON_SCHEMA_FILE = "environments/schema.json";

/** How to regenerate it; printed by the test that keeps it in sync. */
export const POLICY_JSON_SCHEMA_COMMAND = `npm run build && npx portcullis policy schema --write ${POLICY_JSON_SCHEMA_FILE}`;

/**
 * JSON Schema (draft-07, the dialect YAML editors understand best) of an environment file, as
 * written by people: `io: "input"` keeps keys with defaults optional and shows the defaults.
 * Cross-field rules (rules.ts) are not expressible here; `portcullis policy check` applies them.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(EnvironmentPolicy, { io: "input", target: "draft-7" });
  // The policy schema accepts these keys on every finding gate so that rules.ts can refuse them with
  // a reason; an editor should not offer them there at all.
  const gates = (schema.properties?.gates as { properties?: Record<string, { properties?: Record<string, unknown> }> })
    .properties;
  for (const gate of GATE_NAMES) {
    if (gate === "vulnerabilities") continue;
    for (const key of VULNERABILITIES_ONLY_KEYS) delete gates?.[gate]?.properties?.[key];
  }
  return schema;
}

/** The committed file's exact text: two-space indentation and a final newline. */
export function renderPolicyJsonSchema(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
