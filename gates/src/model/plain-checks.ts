/**
 * Field checks for the fast paths that skip zod on large inputs (the tools' trivy-check.ts,
 * sarif-check.ts, semgrep's and gitleaks' `accepts`; finding-check.ts for baselines). Each accepts a
 * value only when the zod type it stands for does: a fast path is sufficient, never necessary, and
 * whatever it refuses goes through the schema, which accepts it or names the bad field. Validating
 * 100,000 results through zod costs a copy of every object, garbage the moment it is read.
 */

/** `z.string().optional()`. */
export function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === "string";
}

/** `z.array(z.string()).nullish()`. */
export function nullishStrings(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/** `z.array(z.string()).optional()`. */
export function optionalStrings(value: unknown): boolean {
  return value === undefined || (Array.isArray(value) && value.every((item) => typeof item === "string"));
}

/** An absent, null or empty list. */
export function absentOrEmpty(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

/** `z.number().int().nonnegative()`, kept to safe integers (zod's own bound for `.int()`). */
export function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** `z.number().int().nonnegative().optional()`. */
export function optionalCount(value: unknown): boolean {
  return value === undefined || isCount(value);
}

/** `z.number().int().optional()`: zod's `.int()` keeps to safe integers. */
export function optionalInteger(value: unknown): boolean {
  return value === undefined || Number.isSafeInteger(value);
}

/** `z.boolean().optional()`. */
export function optionalBoolean(value: unknown): boolean {
  return value === undefined || typeof value === "boolean";
}

/** A non-empty string: `z.string().min(1)`. */
export function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

/**
 * A plain object, which a `z.record` copies key for key (a Map or a class instance it refuses). A
 * `__proto__` member (JSON.parse makes it an own key) is left to the schema: a copy made by
 * assignment would not keep it as a key.
 */
export function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value) || Object.hasOwn(value, "__proto__")) {
    return false;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A plain object holding no key outside `keys`: what a `.strict()` zod object accepts of its shape. */
export function hasOnlyKeys(value: unknown, keys: ReadonlySet<string>): value is Record<string, unknown> {
  if (!isPlainMap(value)) return false;
  for (const key of Object.keys(value)) if (!keys.has(key)) return false;
  return true;
}
