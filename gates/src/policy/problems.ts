import { z } from "zod";
import { ConfigError, quote, type FamilyCode } from "../errors.js";
import { describeIssues, type SchemaIssue } from "../zod-issues.js";
import { Duration, Fraction } from "./units.js";
import { closestMatch } from "./suggest.js";

/** One problem in a configuration file: where (dot-path), what, and what to do about it. */
export interface PolicyProblem extends SchemaIssue {
  fix: string;
  /** The named cross-field rule that found it (rules.ts); absent for schema problems. */
  rule?: string;
}

/**
 * A configuration file with one or more problems. `problems` lists each one with its dot-path and
 * fix; message, path and fix summarise them for a one-line `describe()`.
 */
export class PolicyError extends ConfigError {
  readonly problems: readonly PolicyProblem[];

  constructor(code: FamilyCode<"config">, file: string, problems: readonly PolicyProblem[]) {
    const only = problems.length === 1 ? problems[0] : undefined;
    super(code, only?.message ?? `${problems.length} problems: ${describeIssues(problems)}`, {
      file,
      path: only?.path,
      fix: only?.fix ?? problems.map((problem) => `${problem.path}: ${problem.fix}`).join("; "),
    });
    this.problems = problems;
  }
}

/** Where the keys of the files these problems come from are documented, by default. */
const POLICY_REFERENCE = "the policy reference (docs/policy.md)";

/** Which part of a document was parsed, and where its keys are documented. */
export interface ProblemOptions {
  /** Path of `root` inside the document (`["validate"]`, `["waivers", 2]`). */
  prefix?: readonly PropertyKey[];
  /** Named in fixes that have nothing more specific to say (`the validate reference (docs/validate.md)`). */
  reference?: string;
}

/** Parse options that make zod's messages read `expected number, received string "0"`. */
export const READABLE_PARSE = { reportInput: true, error: readableMessage } as const;

/**
 * Turns a failed parse (made with READABLE_PARSE) of `root` into problems with dot-paths (under
 * `prefix` when `root` was applied to a part of the document) and fixes: unknown keys one by one
 * with a "did you mean", quoted numbers, percent written as rates, durations without a unit.
 */
export function problemsFromZod(error: z.ZodError, root: z.ZodType, options: ProblemOptions = {}): PolicyProblem[] {
  const prefix = options.prefix ?? [];
  const reference = options.reference ?? POLICY_REFERENCE;
  const problems: PolicyProblem[] = [];
  // `expirs:` for `expires:` is one mistake: its "did you mean" says it all, no "expires is required" beside it.
  const misspelt = new Set<string>();
  for (const issue of error.issues) {
    if (issue.code !== "unrecognized_keys") continue;
    for (const key of issue.keys) {
      const suggestion = closestMatch(key, keysAt(root, issue.path));
      if (suggestion !== undefined) misspelt.add(dotPath([...prefix, ...issue.path, suggestion]));
    }
  }
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      const known = keysAt(root, issue.path);
      for (const key of issue.keys) problems.push(unknownKey([...prefix, ...issue.path, key], key, known));
      continue;
    }
    const path = dotPath([...prefix, ...issue.path]);
    if (issue.code === "invalid_type" && issue.input === undefined && misspelt.has(path)) continue;
    problems.push({
      path,
      message: issue.message,
      fix: fixFor(issue, schemaAt(root, issue.path), { reference, key: [...prefix, ...issue.path].at(-1) }),
    });
  }
  return problems;
}

/**
 * `gates.vulnerabilities.max.high`; `(root)` for the document itself. A key that is empty or holds
 * characters other than letters, digits, `_` and `-` is quoted (`gates["a.b"]`) so the path stays
 * unambiguous.
 */
export function dotPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  return path
    .map((key, index) => {
      const text = String(key);
      if (/^[\w-]+$/.test(text)) return index === 0 ? text : `.${text}`;
      return `[${JSON.stringify(text)}]`;
    })
    .join("");
}

// --- internal ---

function readableMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined
        ? `required: expected ${typeName(issue.expected)}`
        : `expected ${typeName(issue.expected)}, received ${received(issue.input)}`;
    case "too_small":
      if (issue.origin === "string") return "expected a non-empty string";
      return `expected a number ${issue.inclusive === false ? ">" : ">="} ${issue.minimum}, received ${quote(issue.input)}`;
    case "too_big":
      return `expected a number ${issue.inclusive === false ? "<" : "<="} ${issue.maximum}, received ${quote(issue.input)}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((value) => quote(value)).join(", ")}, received ${received(issue.input)}`;
    default:
      return undefined;
  }
}

function unknownKey(path: readonly PropertyKey[], key: string, known: readonly string[]): PolicyProblem {
  const suggestion = closestMatch(key, known);
  return {
    path: dotPath(path),
    message: suggestion === undefined ? "unknown key" : `unknown key — did you mean "${suggestion}"?`,
    fix:
      suggestion === undefined
        ? `remove it; keys allowed here: ${known.length === 0 ? "none" : known.join(", ")}`
        : `rename it to "${suggestion}"`,
  };
}

/** `key`: the last key of the problem's whole path (the part parsed may be a section of the document). */
function fixFor(
  issue: z.core.$ZodIssue,
  target: z.core.$ZodType | undefined,
  where: { reference: string; key: PropertyKey | undefined },
): string {
  const { reference, key } = where;
  switch (issue.code) {
    case "invalid_type": {
      if (key === undefined) return "the file must be a mapping of `key: value` lines at the top level";
      if (issue.input === undefined) return `add ${String(key)}`;
      if (target === Duration && typeof issue.input === "number") {
        // A bound of 0 can never pass (latency-bounds-positive): suggesting "0ms" would only trade problems.
        return issue.input > 0
          ? `durations are strings with a unit: write ${issue.input}ms (or s, m, h)`
          : 'durations are strings with a unit, and a bound of 0 can never pass: write a positive one such as "200ms"';
      }
      if (target === Fraction && typeof issue.input === "string") return fractionFix(issue.input);
      if ((issue.expected === "number" || issue.expected === "int") && isNumericText(issue.input)) {
        return `write ${issue.input.trim()} without quotes`;
      }
      return `set ${String(key)} to ${article(typeName(issue.expected))}`;
    }
    case "too_small":
    case "too_big":
      if (target === Fraction && typeof issue.input === "number" && issue.input > 1 && issue.input <= 100) {
        return `rates are fractions, not percent: write ${issue.input / 100} for ${issue.input} %`;
      }
      if (issue.code === "too_small") {
        return issue.origin === "string"
          ? "write a non-empty value"
          : `use a value ${issue.inclusive === false ? ">" : ">="} ${issue.minimum}`;
      }
      return `use a value ${issue.inclusive === false ? "<" : "<="} ${issue.maximum}`;
    case "invalid_value": {
      const values = issue.values.map(String);
      const suggestion = typeof issue.input === "string" ? closestMatch(issue.input, values) : undefined;
      return suggestion === undefined
        ? `use one of: ${values.join(", ")}`
        : `did you mean "${suggestion}"? use one of: ${values.join(", ")}`;
    }
    case "invalid_format":
      return target === Duration
        ? 'write a number and one unit: "200ms", "1.5s", "5m", "1h"'
        : issue.format === "regex"
          ? `write it in the form the message names (see ${reference})`
          : `use the ${issue.format} format`;
    case "custom": {
      // A refinement states its own fix as `params: { fix }`.
      const fix: unknown = issue.params?.["fix"];
      return typeof fix === "string" ? fix : `see ${reference}`;
    }
    default:
      return `see ${reference}`;
  }
}

/** `0.1%` -> write 0.001; `"0.02"` -> without quotes; anything else: what a rate is. */
function fractionFix(input: string): string {
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(input)?.[1];
  if (percent !== undefined) {
    const fraction = Number((Number(percent) / 100).toPrecision(12));
    return `rates are fractions, not percent: write ${fraction} for ${percent} %`;
  }
  if (isNumericText(input)) return `write ${input.trim()} without quotes`;
  return "rates are fractions between 0 and 1, written as a number: 0.001 is 0.1 %";
}

/** YAML words for zod's types: a list, a mapping, an integer. */
function typeName(expected: string): string {
  if (expected === "array") return "a list";
  if (expected === "object") return "a mapping";
  return expected === "int" ? "integer" : expected;
}

function article(noun: string): string {
  if (noun.startsWith("a ")) return noun;
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function received(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a mapping";
  return `${typeof input} ${quote(input)}`;
}

function isNumericText(input: unknown): input is string {
  return typeof input === "string" && input.trim() !== "" && Number.isFinite(Number(input));
}

/** The schema at a dot-path, through defaults, optionals, transforms and arrays. */
function schemaAt(root: z.core.$ZodType, path: readonly PropertyKey[]): z.core.$ZodType | undefined {
  let current: z.core.$ZodType | undefined = unwrap(root);
  for (const key of path) {
    if (current instanceof z.ZodObject) {
      const shape: Record<string, z.core.$ZodType> = current.shape;
      current = shape[String(key)];
    } else if (current instanceof z.ZodArray) {
      current = current.element;
    } else {
      return undefined;
    }
    if (current === undefined) return undefined;
    current = unwrap(current);
  }
  return current;
}

function keysAt(root: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  const target = schemaAt(root, path);
  return target instanceof z.ZodObject ? Object.keys(target.shape) : [];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable
    ) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      current = current.in;
    } else {
      return current;
    }
  }
}
