import type { z } from "zod";

/** What replaces a secret in every output. */
export const REDACTED = "REDACTED";

/** Secret values shorter than this are not scrubbed globally (they would mangle ordinary text). */
const MIN_SECRET_LENGTH = 4;

/** A URL's password (`https://user:token@host`), with what comes before it kept for the replacement. */
const URL_PASSWORD = /(\b[a-z][\w+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi;

/** `text` with every URL's password REDACTED and the user kept (a mirror or registry in an error message). */
export function withoutUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, `$1${REDACTED}@`);
}

/** True when a value is already masked by the tool (`****`, `*****abc`…). */
export function isMasked(value: string): boolean {
  return /^\*+$/.test(value) || value === REDACTED;
}

/**
 * The secret values worth scrubbing: trimmed, long enough, not already masked, each once. Frozen,
 * so that the index built to find them (see scrubberFor) can be kept for the list.
 */
export function scrubList(secrets: Iterable<string>): readonly string[] {
  const unique = new Set<string>();
  for (const secret of secrets) {
    const trimmed = secret.trim();
    if (trimmed.length >= MIN_SECRET_LENGTH && !isMasked(trimmed)) unique.add(trimmed);
  }
  return Object.freeze([...unique]);
}

/**
 * Replaces every occurrence of every secret in `text`: each stretch of text covered by one or more
 * occurrences (overlapping ones merged, so that no piece of any secret is left) becomes one
 * REDACTED. One pass over the text however many secrets there are (see Scrubber): a gitleaks history
 * scan can hold thousands of distinct secrets, and a search per secret made 5,000 of them take 13 s.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return text;
  return scrubberFor(secrets).redact(text);
}

/**
 * `value`, an instance of `schema`, with every piece of data scrubbed of the secrets: each string
 * the schema types as a string, and each key of a record keyed by strings. The schema's own words
 * are never touched: its object keys, enum and literal values, and record keys from an enum. A
 * secret that is also one of them (`pass`, `high`, `title`) is no leak there, and rewriting it made
 * a report that no longer matched its schema. What the schema does not describe (an unknown key,
 * `z.unknown()`, a union without a discriminator) is scrubbed whole, keys included. Copy on write:
 * what holds no secret is returned as it is, so scrubbing 100,000 clean findings copies none.
 */
export function redactBySchema<T>(schema: z.core.$ZodType<T>, value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  return planFor(schema)(value, scrubberFor(secrets)) as T;
}

// --- internal ---

/**
 * Finds the secrets in a text. Up to FEW_SECRETS, or for a secret shorter than GRAM, by the engine's
 * own search, once per secret; beyond that, in one pass: a rolling hash of every GRAM characters of
 * the text is looked up (a bit table first, then a map) among one GRAM of each secret, and only a
 * hit is compared with the secrets indexed under it. Each secret is indexed by its least shared
 * GRAM, not its first: secrets of one kind share their prefix (`ghp_`, `AKIA`, `xoxb-`), and a
 * text holding such a prefix would otherwise be compared with every one of them. Real secrets are
 * random enough that a place in the text points to one secret at most; secrets that share every
 * GRAM (`aaaa`, `aaaaa`, …) would each be compared at each place, as the old search did.
 */
class Scrubber {
  /** Searched for one by one: all of them when they are few, else the ones shorter than GRAM. */
  private readonly searched: readonly string[];
  /** Secrets of GRAM characters or more by the hash of the GRAM they are indexed by, when there are many. */
  private readonly byGram = new Map<number, Indexed[]>();
  /** One bit per hash (modulo the table's size) of the keys of byGram. */
  private readonly gramBits: Int32Array | undefined;
  /** Object keys scrubbed so far: the same few (`tool`, `location`, `path`…) recur in every finding. */
  private readonly keys = new Map<string, string>();
  /**
   * Up to PRECHECKED secrets, one expression matching any of them: most texts hold none, and the
   * engine answers that in one native pass where the search below reads the text in JavaScript or
   * once per secret.
   */
  private readonly anyOf: RegExp | undefined;

  constructor(secrets: readonly string[]) {
    const usable = [...new Set(secrets)].filter((secret) => secret !== "");
    if (usable.length > 0 && usable.length <= PRECHECKED) this.anyOf = new RegExp(usable.map(literal).join("|"));
    if (usable.length <= FEW_SECRETS) {
      this.searched = usable;
      return;
    }
    this.searched = usable.filter((secret) => secret.length < GRAM);
    const bits = new Int32Array(GRAM_TABLE_BITS / 32);
    for (const secret of usable) {
      if (secret.length < GRAM) continue;
      const { hash, offset } = this.leastShared(secret);
      const slot = (hash & GRAM_TABLE_MASK) >>> 5;
      bits[slot] = (bits[slot] ?? 0) | (1 << (hash & 31));
      const list = this.byGram.get(hash);
      if (list === undefined) this.byGram.set(hash, [{ secret, offset }]);
      else list.push({ secret, offset });
    }
    this.gramBits = bits;
  }

  redact(text: string): string {
    if (this.anyOf?.test(text) === false) return text;
    const found = this.find(text);
    return found === undefined ? text : replaced(text, found);
  }

  /** Where the secrets are in `text`, if anywhere. */
  private find(text: string): Found | undefined {
    let found: Found | undefined;
    for (const secret of this.searched) {
      for (let at = text.indexOf(secret); at >= 0; at = text.indexOf(secret, at + 1)) {
        found ??= { starts: [], ends: [] };
        found.starts.push(at);
        found.ends.push(at + secret.length);
      }
    }
    if (this.gramBits !== undefined && text.length >= GRAM) found = this.scan(text, this.gramBits, found);
    return found;
  }

  /** redact() for an object key, remembered (up to KEYS_REMEMBERED of them). */
  redactKey(key: string): string {
    let clean = this.keys.get(key);
    if (clean === undefined) {
      clean = this.redact(key);
      if (this.keys.size < KEYS_REMEMBERED) this.keys.set(key, clean);
    }
    return clean;
  }

  /** The GRAM of `secret` indexed by fewest secrets so far (the first of equals), and where it is. */
  private leastShared(secret: string): { hash: number; offset: number } {
    let best = { hash: 0, offset: -1, sharedBy: Infinity };
    let hash = gramHash(secret, 0);
    for (let offset = 0; ; offset += 1) {
      const sharedBy = this.byGram.get(hash)?.length ?? 0;
      if (sharedBy < best.sharedBy) best = { hash, offset, sharedBy };
      if (sharedBy === 0 || offset + GRAM >= secret.length) return best;
      hash = rolled(hash, secret, offset);
    }
  }

  /** Adds the occurrences of the secrets of GRAM characters or more to `found`. */
  private scan(text: string, bits: Int32Array, found: Found | undefined): Found | undefined {
    let hash = gramHash(text, 0);
    for (let at = 0; ; at += 1) {
      if (((bits[(hash & GRAM_TABLE_MASK) >>> 5] ?? 0) & (1 << (hash & 31))) !== 0) {
        for (const { secret, offset } of this.byGram.get(hash) ?? []) {
          const start = at - offset;
          if (start < 0 || !text.startsWith(secret, start)) continue;
          found ??= { starts: [], ends: [] };
          found.starts.push(start);
          found.ends.push(start + secret.length);
        }
      }
      if (at + GRAM >= text.length) return found;
      hash = rolled(hash, text, at);
    }
  }
}

/** A secret indexed by the GRAM that starts `offset` characters into it. */
interface Indexed {
  secret: string;
  offset: number;
}

/** Where the secrets were found: occurrence i covers [starts[i], ends[i]). */
interface Found {
  starts: number[];
  ends: number[];
}

/** The text with each stretch covered by occurrences (merged where they overlap) replaced. */
function replaced(text: string, found: Found): string {
  const { starts, ends } = found;
  const order = starts.map((_, index) => index).sort((a, b) => (starts[a] ?? 0) - (starts[b] ?? 0));
  let out = "";
  let kept = 0;
  let coverStart = -1;
  let coverEnd = -1;
  for (const index of order) {
    const start = starts[index] ?? 0;
    const end = ends[index] ?? 0;
    if (start < coverEnd) {
      coverEnd = Math.max(coverEnd, end);
      continue;
    }
    if (coverEnd >= 0) {
      out += `${text.slice(kept, coverStart)}${REDACTED}`;
      kept = coverEnd;
    }
    coverStart = start;
    coverEnd = end;
  }
  return `${out}${text.slice(kept, coverStart)}${REDACTED}${text.slice(coverEnd)}`;
}

/**
 * A frozen list (scrubList's, which evaluate hands every renderer, and each parser its findings)
 * keeps its scrubber; any other list is read anew at each call, so changing it in place is safe.
 */
const scrubbers = new WeakMap<readonly string[], Scrubber>();

function scrubberFor(secrets: readonly string[]): Scrubber {
  if (!Object.isFrozen(secrets)) return new Scrubber(secrets);
  let scrubber = scrubbers.get(secrets);
  if (scrubber === undefined) {
    scrubber = new Scrubber(secrets);
    scrubbers.set(secrets, scrubber);
  }
  return scrubber;
}

/** Up to this many secrets, redact() first asks one expression whether the text holds any. */
const PRECHECKED = 256;

/** `value` as a regular expression that matches exactly it, code unit by code unit (no flags). */
function literal(value: string): string {
  return value.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

/** Enough for every key of every report format; a report with more distinct keys is still scrubbed. */
const KEYS_REMEMBERED = 10_000;
/** Above this many secrets the one-pass scan beats one engine search per secret. */
const FEW_SECRETS = 8;
/** Characters hashed at each place of the text (MIN_SECRET_LENGTH: every listed secret has them). */
const GRAM = MIN_SECRET_LENGTH;
const GRAM_BASE = 0x01000193;
/** GRAM_BASE to the power GRAM - 1, modulo 2^32: the weight of the character leaving the window. */
const GRAM_TOP = Array.from({ length: GRAM - 1 }).reduce<number>((power) => Math.imul(power, GRAM_BASE), 1);
const GRAM_TABLE_BITS = 1 << 20;
const GRAM_TABLE_MASK = GRAM_TABLE_BITS - 1;

/** The rolling hash of text[at, at + GRAM). */
function gramHash(text: string, at: number): number {
  let hash = 0;
  for (let index = at; index < at + GRAM; index += 1) hash = (Math.imul(hash, GRAM_BASE) + text.charCodeAt(index)) | 0;
  return hash;
}

/** From the hash of text[at, at + GRAM) to that of text[at + 1, at + GRAM + 1). */
function rolled(hash: number, text: string, at: number): number {
  return (Math.imul(hash - Math.imul(text.charCodeAt(at), GRAM_TOP), GRAM_BASE) + text.charCodeAt(at + GRAM)) | 0;
}

/** A value no schema describes: every string and every key in it is data. */
function scrub(value: unknown, scrubber: Scrubber): unknown {
  if (typeof value === "string") return scrubber.redact(value);
  if (Array.isArray(value)) return scrubArray(value, scrubAnything, scrubber);
  return isObject(value) ? scrubRecord(value, scrubKey, scrubAnything, scrubber) : value;
}

/** Scrubs one value of a schema; returns the value itself when it holds no secret. */
type ScrubPlan = (value: unknown, scrubber: Scrubber) => unknown;

const keep: ScrubPlan = (value) => value;
const scrubAnything: ScrubPlan = (value, scrubber) => scrub(value, scrubber);
const scrubString: ScrubPlan = (value, scrubber) => (typeof value === "string" ? scrubber.redact(value) : value);
/** An object key that is data: the same few recur in every object, so each is scrubbed once. */
const scrubKey: ScrubPlan = (key, scrubber) => (typeof key === "string" ? scrubber.redactKey(key) : key);

/** The schema's own words (an enum's or a literal's) are kept; any other value in their place is data. */
function ownWords(words: readonly unknown[]): ScrubPlan {
  const own = new Set(words);
  return (value, scrubber) => (own.has(value) ? value : scrubString(value, scrubber));
}

/** One plan per schema, made on first use: the report's is made once per process. */
const plans = new WeakMap<z.core.$ZodType, ScrubPlan>();

function planFor(schema: z.core.$ZodType): ScrubPlan {
  let plan = plans.get(schema);
  if (plan === undefined) {
    // A recursive schema meets itself while its plan is made: that use looks the finished plan up.
    plans.set(schema, (value, scrubber) => (plans.get(schema) as ScrubPlan)(value, scrubber));
    try {
      plan = planOf(schema);
    } finally {
      plans.delete(schema);
    }
    plans.set(schema, plan);
  }
  return plan;
}

function planOf(schema: z.core.$ZodType): ScrubPlan {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case "string":
      return scrubString;
    case "enum":
      return ownWords(Object.values(def.entries));
    case "literal":
      return ownWords(def.values);
    case "number":
    case "boolean":
    case "bigint":
    case "null":
    case "undefined":
    case "nan":
      return keep;
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "nonoptional":
    case "readonly":
    case "catch":
      return planFor(def.innerType);
    case "lazy":
      return (value, scrubber) => planFor(def.getter())(value, scrubber);
    case "array": {
      const item = planFor(def.element);
      return (value, scrubber) => (Array.isArray(value) ? scrubArray(value, item, scrubber) : value);
    }
    case "object": {
      const fields = new Map(Object.entries(def.shape).map(([key, field]) => [key, planFor(field)]));
      return (value, scrubber) => (isObject(value) ? scrubObject(value, fields, scrubber) : value);
    }
    case "record": {
      const keyPlan = planFor(def.keyType);
      const key = keyPlan === scrubString ? scrubKey : keyPlan;
      const item = planFor(def.valueType);
      return (value, scrubber) => (isObject(value) ? scrubRecord(value, key, item, scrubber) : value);
    }
    case "union":
      return "discriminator" in def && typeof def.discriminator === "string"
        ? discriminatedPlan(def.discriminator, def.options)
        : scrubAnything;
    default:
      return scrubAnything;
  }
}

/** A discriminated union: the option whose literal or enum holds the value's discriminator; any other value whole. */
function discriminatedPlan(discriminator: string, options: readonly z.core.$ZodType[]): ScrubPlan {
  const byValue = new Map<unknown, ScrubPlan>();
  for (const option of options) {
    const def = (option as z.core.$ZodTypes)._zod.def;
    const tag =
      def.type === "object" ? (def.shape[discriminator] as z.core.$ZodTypes | undefined)?._zod.def : undefined;
    const tags = tag?.type === "literal" ? tag.values : tag?.type === "enum" ? Object.values(tag.entries) : [];
    for (const each of tags) byValue.set(each, planFor(option));
  }
  return (value, scrubber) =>
    (isObject(value) ? byValue.get(value[discriminator]) : undefined)?.(value, scrubber) ?? scrub(value, scrubber);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function scrubArray(value: readonly unknown[], item: ScrubPlan, scrubber: Scrubber): unknown[] {
  let copy: unknown[] | undefined;
  for (let index = 0; index < value.length; index += 1) {
    const each: unknown = value[index];
    const clean = item(each, scrubber);
    if (copy === undefined && clean !== each) copy = value.slice(0, index);
    copy?.push(clean);
  }
  return copy ?? (value as unknown[]);
}

/** An object of a known shape: its keys are the schema's; a key the shape lacks is scrubbed whole. */
function scrubObject(value: Record<string, unknown>, fields: ReadonlyMap<string, ScrubPlan>, scrubber: Scrubber) {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const field = fields.get(key);
    if (field === undefined) return scrub(value, scrubber);
    const each = value[key];
    const clean = field(each, scrubber);
    if (clean === each) continue;
    copy ??= { ...value };
    copy[key] = clean;
  }
  return copy ?? value;
}

/** A record: its keys are data unless the schema draws them from an enum. */
function scrubRecord(value: Record<string, unknown>, key: ScrubPlan, item: ScrubPlan, scrubber: Scrubber) {
  const keys = Object.keys(value);
  // Entries, not assignments: a `__proto__` key from JSON.parse stays a key.
  let copy: [string, unknown][] | undefined;
  for (let index = 0; index < keys.length; index += 1) {
    const name = keys[index] ?? "";
    const each = value[name];
    const cleanName = String(key(name, scrubber));
    const clean = item(each, scrubber);
    if (copy === undefined && (cleanName !== name || clean !== each))
      copy = keys.slice(0, index).map((earlier) => [earlier, value[earlier]]);
    copy?.push([cleanName, clean]);
  }
  return copy === undefined ? value : Object.fromEntries(copy);
}
