/** What replaces a secret in every output. */
export const REDACTED = "REDACTED";

/** Secret values shorter than this are not scrubbed globally (they would mangle ordinary text). */
const MIN_SECRET_LENGTH = 4;

/** True when a value is already masked by the tool (`****`, `*****abc`…). */
export function isMasked(value: string): boolean {
  return /^\*+$/.test(value) || value === REDACTED;
}

/** The secret values worth scrubbing, longest first so that overlapping secrets are fully removed. */
export function scrubList(secrets: Iterable<string>): string[] {
  const unique = new Set<string>();
  for (const secret of secrets) {
    const trimmed = secret.trim();
    if (trimmed.length >= MIN_SECRET_LENGTH && !isMasked(trimmed)) unique.add(trimmed);
  }
  return [...unique].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of every secret in `text`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  return result;
}

/** Deep copy of a JSON-like value with every string scrubbed of the secrets. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  return scrub(value, secrets) as T;
}

// --- internal ---

function scrub(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((item) => scrub(item, secrets));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[redactText(key, secrets)] = scrub(item, secrets);
    return out;
  }
  return value;
}
