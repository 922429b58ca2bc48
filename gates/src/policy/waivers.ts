import picomatch from "picomatch";
import { z } from "zod";
import { ConfigError, quote } from "../errors.js";
import type { Finding } from "../findings/finding.js";
import { PolicyError, problemsFromZod, READABLE_PARSE, type PolicyProblem } from "./problems.js";
import { loadYaml } from "./yaml.js";

const DAY_MS = 86_400_000;

const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, {
    abort: true,
    error: (issue) => `expected a date as YYYY-MM-DD, received ${quote(issue.input)}`,
  })
  .refine(isCalendarDate, {
    error: (issue) => `${quote(issue.input)} is not a calendar date`,
    params: { fix: "use a day that exists (months have 28 to 31 days)" },
  })
  .describe("An ISO date, YYYY-MM-DD");

/** One entry of `.portcullis/waivers.yml`, as written. */
export const WaiverEntry = z
  .object({
    id: z.string().min(1).optional().describe("Your reference (W-7, a ticket); defaults to waivers[<index>]"),
    fingerprint: z.string().min(1).optional().describe("Waive exactly this finding (its fingerprint in report.json)"),
    rule: z
      .string()
      .min(1)
      .optional()
      .describe("Waive every finding of this rule id (any tool), optionally under path"),
    path: z
      .string()
      .min(1)
      .optional()
      .describe("With rule: a glob (picomatch) the finding's location path must match, e.g. test/**"),
    reason: z.string().trim().min(1).describe("Why the finding is accepted"),
    approver: z.string().trim().min(1).describe("Who accepted it"),
    approved: IsoDate.optional().describe(
      "When it was approved; the lifetime limit counts from here (else from today)",
    ),
    expires: IsoDate.describe("Last day the waiver applies (inclusive, UTC)"),
  })
  .strict()
  .superRefine((entry, context) => {
    if ((entry.fingerprint === undefined) === (entry.rule === undefined)) {
      context.addIssue({
        code: "custom",
        path: [],
        message: "set exactly one of fingerprint or rule",
        params: { fix: "waive one finding with fingerprint, or a rule (optionally under a path) with rule; not both" },
      });
    }
    if (entry.path !== undefined && entry.rule === undefined) {
      context.addIssue({
        code: "custom",
        path: ["path"],
        message: "path narrows a rule waiver; a fingerprint needs none",
        params: { fix: "remove path, or waive by rule instead of fingerprint" },
      });
    }
  })
  .describe("A waiver: accepts a finding (by fingerprint) or a rule (optionally under a path) until it expires");
export type WaiverEntry = z.infer<typeof WaiverEntry>;

/** A usable waiver: its entry, with `id` always set (the given one, or `waivers[<index>]`). */
export type Waiver = Omit<WaiverEntry, "id"> & { readonly id: string };

export const WaiversFile = z
  .object({ waivers: z.array(z.unknown()).describe("The waivers; write [] when there are none") })
  .strict()
  .describe("Waivers file (.portcullis/waivers.yml)");

export interface WaiverOptions {
  /** Today, for expiry (injected so tests and reruns are deterministic). */
  now: Date;
  /** Longest allowed lifetime in days (the environment's `waivers.max_days`). */
  maxDays: number;
}

/**
 * An unusable waiver (code WAIVER_INVALID or WAIVER_EXPIRED), naming it and the fix. `waiver` is
 * the entry when it could be read in full (expired, too long-lived, duplicate id), so the gates of
 * the findings it would have matched can be singled out; undefined for a malformed entry.
 */
export class WaiverProblem extends ConfigError {
  readonly waiver: Waiver | undefined;

  constructor(
    message: string,
    options: { code: "WAIVER_INVALID" | "WAIVER_EXPIRED"; file: string; path: string; fix: string; waiver?: Waiver },
  ) {
    super(options.code, message, options);
    this.waiver = options.waiver;
  }
}

export interface ParsedWaivers {
  /** The waivers that may suppress findings. */
  waivers: Waiver[];
  /** One per unusable waiver. */
  problems: WaiverProblem[];
}

/**
 * Parses a waivers file. A malformed file (YAML error, empty, not `waivers: [...]`, an unknown key
 * anywhere) throws a ConfigError: the file itself must be fixed, and the error lists every problem
 * of every waiver at once, not only the first. A well-formed waiver that is
 * incomplete, expired or too long-lived is returned as a problem instead, so that the gates it
 * would have affected can report it as an `error` while the other waivers still apply.
 */
export function parseWaivers(text: string, file: string, options: WaiverOptions): ParsedWaivers {
  const document = loadYaml(text, {
    file,
    code: "WAIVER_INVALID",
    emptyFix: "write `waivers: []` when there are none",
  });
  const top = WaiversFile.safeParse(document, READABLE_PARSE);
  if (!top.success) throw new PolicyError("WAIVER_INVALID", file, problemsFromZod(top.error, WaiversFile));

  const today = isoDay(options.now);
  const result: ParsedWaivers = { waivers: [], problems: [] };
  // Every problem of every waiver, in file order: the list a broken file is reported with.
  const everyProblem: PolicyProblem[] = [];
  let unknownKeys = false;
  const idsSeen = new Map<string, string>();
  top.data.waivers.forEach((raw, index) => {
    const prefix = ["waivers", index];
    const parsed = WaiverEntry.safeParse(raw, READABLE_PARSE);
    if (!parsed.success) {
      unknownKeys ||= parsed.error.issues.some((issue) => issue.code === "unrecognized_keys");
      everyProblem.push(...problemsFromZod(parsed.error, WaiverEntry, { prefix }));
      result.problems.push(invalidEntry(file, { index, name: label(index, raw), error: parsed.error }));
      return;
    }
    const waiver: Waiver = { ...parsed.data, id: parsed.data.id ?? `waivers[${index}]` };
    const name = label(index, parsed.data);
    const first = parsed.data.id === undefined ? undefined : idsSeen.get(waiver.id);
    if (first !== undefined) {
      result.problems.push(
        new WaiverProblem(`${name}: duplicate id, already used by ${first}`, {
          code: "WAIVER_INVALID",
          file,
          path: `waivers.${index}.id`,
          fix: "give each waiver its own id",
          waiver,
        }),
      );
      return;
    }
    if (parsed.data.id !== undefined) idsSeen.set(waiver.id, name);
    const problem = lifetimeProblem(waiver, { file, index, name, today, maxDays: options.maxDays });
    if (problem !== undefined) result.problems.push(problem);
    else result.waivers.push(waiver);
  });
  if (unknownKeys) {
    for (const problem of result.problems.filter((candidate) => candidate.waiver !== undefined)) {
      everyProblem.push({ path: problem.path ?? "waivers", message: problem.message, fix: problem.fix ?? "" });
    }
    throw new PolicyError(
      "WAIVER_INVALID",
      file,
      everyProblem.sort((a, b) => waiverIndex(a) - waiverIndex(b)),
    );
  }
  return result;
}

/**
 * The waiver that accepts `finding`: first one whose fingerprint equals the finding's, else the
 * first whose rule equals its rule id and whose path glob (if any) matches its location path.
 * Tool-agnostic: a rule waiver covers that rule id whichever tool reported it.
 */
export function findWaiver(
  finding: Pick<Finding, "fingerprint" | "ruleId" | "location">,
  waivers: readonly Waiver[],
): Waiver | undefined {
  const exact = waivers.find((waiver) => waiver.fingerprint === finding.fingerprint);
  if (exact !== undefined) return exact;
  const findingPath = finding.location?.path;
  return waivers.find((waiver) => {
    if (waiver.rule === undefined || waiver.rule !== finding.ruleId) return false;
    if (waiver.path === undefined) return true;
    return findingPath !== undefined && globMatcher(waiver.path)(findingPath);
  });
}

// --- internal ---

const matchers = new Map<string, (path: string) => boolean>();

/** Compiled once per glob: findWaiver runs for every finding of a large report. */
function globMatcher(glob: string): (path: string) => boolean {
  let matcher = matchers.get(glob);
  if (matcher === undefined) {
    matcher = picomatch(glob, { dot: true });
    matchers.set(glob, matcher);
  }
  return matcher;
}

function lifetimeProblem(
  waiver: Waiver,
  context: { file: string; index: number; name: string; today: string; maxDays: number },
): WaiverProblem | undefined {
  const { file, index, name, today, maxDays } = context;
  const at = (key: string) => ({ file, path: `waivers.${index}.${key}`, waiver });
  if (waiver.expires < today) {
    return new WaiverProblem(`${name}: expired on ${waiver.expires} (today is ${today})`, {
      code: "WAIVER_EXPIRED",
      ...at("expires"),
      fix: `fix the finding and remove the waiver, or renew it: a fresh approval and an expires date at most ${maxDays} days later`,
    });
  }
  if (waiver.approved !== undefined && waiver.approved > today) {
    return new WaiverProblem(`${name}: approved ${waiver.approved} is in the future (today is ${today})`, {
      code: "WAIVER_INVALID",
      ...at("approved"),
      fix: "set approved to the day it was approved",
    });
  }
  const start = waiver.approved ?? today;
  const days = (Date.parse(waiver.expires) - Date.parse(start)) / DAY_MS;
  if (days > maxDays) {
    const from = waiver.approved === undefined ? `today (${today}, no approved date)` : `approval (${start})`;
    return new WaiverProblem(`${name}: expires ${days} days after ${from}; the limit is ${maxDays} days`, {
      code: "WAIVER_INVALID",
      ...at("expires"),
      fix: `set expires to ${isoDay(new Date(Date.parse(start) + maxDays * DAY_MS))} or earlier`,
    });
  }
  return undefined;
}

function invalidEntry(file: string, context: { index: number; name: string; error: z.ZodError }): WaiverProblem {
  // Paths relative to the waiver read better after its name; the error's path is absolute.
  const problems = problemsFromZod(context.error, WaiverEntry);
  const what = problems.map((problem) =>
    problem.path === "(root)" ? problem.message : `${problem.path}: ${problem.message}`,
  );
  const first = problems[0]?.path;
  return new WaiverProblem(`${context.name}: ${what.join("; ")}`, {
    code: "WAIVER_INVALID",
    file,
    path: first === undefined || first === "(root)" ? `waivers.${context.index}` : `waivers.${context.index}.${first}`,
    fix: problems.map((problem) => problem.fix).join("; "),
  });
}

/** `waivers[2] (id W-7)`, or `waivers[2]` when it has no usable id. */
function label(index: number, entry: unknown): string {
  const id = entry !== null && typeof entry === "object" && "id" in entry ? entry.id : undefined;
  return typeof id === "string" && id !== "" ? `waivers[${index}] (id ${id})` : `waivers[${index}]`;
}

/** The index of the waiver a problem is about (`waivers.2.reason` -> 2). */
function waiverIndex(problem: PolicyProblem): number {
  return Number(/^waivers\.(\d+)/.exec(problem.path)?.[1] ?? -1);
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function isCalendarDate(text: string): boolean {
  const time = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(time) && isoDay(new Date(time)) === text;
}
