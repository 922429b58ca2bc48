import { createHash } from "node:crypto";
import { z } from "zod";
import { RollbackCause, Slot, StepRecord } from "./state.js";

/**
 * The deployment ledger: append-only JSONL, one record per line, each carrying the SHA-256 of the
 * previous one. Pure: stores hand it text and take back lines to append.
 */

export const LEDGER_SCHEMA_ID = "portcullis.ledger/v1" as const;
/** The `prev` of the first record. */
export const GENESIS_HASH = "0".repeat(64);

export const OUTCOMES = ["succeeded", "rolled_back", "aborted", "failed"] as const;
export const Outcome = z.enum(OUTCOMES);
export type Outcome = z.infer<typeof Outcome>;

export const ENTRY_TYPES = ["deploy_started", "step", "deploy_finished", "manual", "rollback", "retired"] as const;
export const MANUAL_ACTIONS = [
  "promote",
  "abort",
  "rollback",
  "rollback_to_previous",
  "lock_broken",
  "hook_stopped",
  "ledger_broken",
  "state_sync",
] as const;

export const LedgerEntry = z
  .object({
    type: z.enum(ENTRY_TYPES),
    at: z.string(),
    environment: z.string(),
    deploy_id: z.string().nullable(),
    release: z.string().nullable(),
    commit: z.string().nullable(),
    commit_time: z.string().nullable(),
    actor: z.string(),
    from_slot: Slot.optional(),
    to_slot: Slot.optional(),
    previous_release: z.string().nullable().optional(),
    forced_reason: z.string().nullable().optional(),
    step: StepRecord.optional(),
    outcome: Outcome.optional(),
    action: z.enum(MANUAL_ACTIONS).optional(),
    reason: z.string().optional(),
    started_at: z.string().optional(),
    finished_at: z.string().optional(),
    ok: z.boolean().optional(),
    /** Why a deploy was rolled back or a rollback ran (see RollbackCause). */
    cause: RollbackCause.optional(),
  })
  .strict();
export type LedgerEntry = z.infer<typeof LedgerEntry>;

export const LedgerRecord = LedgerEntry.extend({
  schema: z.literal(LEDGER_SCHEMA_ID),
  seq: z.number().int().min(1),
  prev: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
}).strict();
export type LedgerRecord = z.infer<typeof LedgerRecord>;

export interface LedgerHead {
  seq: number;
  hash: string;
}

/** Chains entries after `head` (null: an empty ledger); returns the records and their JSONL. */
export function chainEntries(
  head: LedgerHead | null,
  entries: readonly LedgerEntry[],
): { records: LedgerRecord[]; lines: string; head: LedgerHead | null } {
  const records: LedgerRecord[] = [];
  let seq = head?.seq ?? 0;
  let prev = head?.hash ?? GENESIS_HASH;
  for (const entry of entries) {
    seq += 1;
    const unhashed = { ...entry, schema: LEDGER_SCHEMA_ID, seq, prev };
    const record: LedgerRecord = { ...unhashed, hash: hashOf(unhashed) };
    records.push(record);
    prev = record.hash;
  }
  const last = records.at(-1);
  return {
    records,
    lines: records.map((record) => `${canonicalJson(record)}\n`).join(""),
    head: last === undefined ? head : { seq: last.seq, hash: last.hash },
  };
}

export type LedgerProblemKind = "malformed" | "sequence" | "chain" | "hash" | "truncated" | "rewritten" | "ahead";
export interface LedgerProblem {
  line: number;
  kind: LedgerProblemKind;
  message: string;
}

export interface LedgerVerification {
  ok: boolean;
  records: number;
  head: LedgerHead | null;
  problems: LedgerProblem[];
}

/**
 * Checks every line, the sequence, the chain and each hash, then the end against `expectedHead`
 * (kept in the state, outside the ledger): a ledger shorter than its head was truncated.
 * Records past the head (a crash between the two writes) are reported but do not fail.
 */
export function verifyLedger(text: string, expectedHead: LedgerHead | null): LedgerVerification {
  const problems: LedgerProblem[] = [];
  const { records, malformed } = readLines(text);
  for (const line of malformed) {
    problems.push({ line, kind: "malformed", message: `line ${line} is not a ledger record (edited or cut short)` });
  }
  let prev = GENESIS_HASH;
  records.forEach(({ record, line }, index) => {
    if (record.seq !== index + 1) {
      problems.push({
        line,
        kind: "sequence",
        message: `line ${line}: seq ${record.seq}, expected ${index + 1} (a record was removed or inserted)`,
      });
    }
    if (record.prev !== prev) {
      problems.push({
        line,
        kind: "chain",
        message: `line ${line}: prev does not match the hash of the record before it`,
      });
    }
    const { hash, ...unhashed } = record;
    if (hashOf(unhashed) !== hash) {
      problems.push({
        line,
        kind: "hash",
        message: `line ${line}: content does not match its hash (record ${record.seq} was modified)`,
      });
    }
    prev = hash;
  });
  const last = records.at(-1)?.record;
  const head = last === undefined ? null : { seq: last.seq, hash: last.hash };
  const warnings = checkHead(
    head,
    expectedHead,
    records.map((r) => r.record),
  );
  problems.push(...warnings);
  return { ok: problems.every((problem) => problem.kind === "ahead"), records: records.length, head, problems };
}

/** The valid records of a ledger, for history and metrics; throws on a damaged line. */
export function parseLedger(text: string): LedgerRecord[] {
  const { records, malformed } = readLines(text);
  const first = malformed[0];
  if (first !== undefined)
    throw new RangeError(`ledger line ${first} is not a ledger record: run \`portcullis ledger verify\``);
  return records.map((entry) => entry.record);
}

export interface LedgerChain {
  /** The record new records chain from. */
  head: LedgerHead | null;
  verification: LedgerVerification;
  /** The first problem that breaks the chain, `line N: …`; null when the chain is intact. */
  broken: string | null;
}

/**
 * Where the next record chains from. An intact chain continues from its verified end (records
 * past the state's head, from a save interrupted between its two writes, belong to it); a broken
 * one from the head kept in the state, never from the file's last line, so a cut or rewritten
 * tail stays visible instead of vanishing under the next records.
 */
export function ledgerChain(text: string, stateHead: LedgerHead | null): LedgerChain {
  const verification = verifyLedger(text, stateHead);
  const problem = verification.problems.find((candidate) => candidate.kind !== "ahead");
  if (problem === undefined) return { head: verification.head, verification, broken: null };
  const where = problem.message.startsWith("line ") ? problem.message : `line ${problem.line}: ${problem.message}`;
  return { head: stateHead ?? verification.head, verification, broken: where };
}

/** JSON with object keys sorted, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

// --- internal ---

function hashOf(unhashed: object): string {
  return createHash("sha256").update(canonicalJson(unhashed)).digest("hex");
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

function readLines(text: string): { records: { record: LedgerRecord; line: number }[]; malformed: number[] } {
  const records: { record: LedgerRecord; line: number }[] = [];
  const malformed: number[] = [];
  const lines = text.split("\n");
  // A ledger ends with a newline; anything after the last one is a record cut short.
  lines.forEach((raw, index) => {
    if (raw === "" && index === lines.length - 1) return;
    const parsed = LedgerRecord.safeParse(safeJson(raw));
    if (parsed.success) records.push({ record: parsed.data, line: index + 1 });
    else malformed.push(index + 1);
  });
  return { records, malformed };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function checkHead(
  head: LedgerHead | null,
  expected: LedgerHead | null,
  records: readonly LedgerRecord[],
): LedgerProblem[] {
  if (expected === null) return [];
  const line = records.length;
  if (head === null || head.seq < expected.seq) {
    return [
      {
        line,
        kind: "truncated",
        message: `the ledger ends at record ${head?.seq ?? 0} but the state records ${expected.seq}: records were removed from the end`,
      },
    ];
  }
  const atHead = records.find((record) => record.seq === expected.seq);
  if (atHead?.hash !== expected.hash) {
    return [
      {
        line,
        kind: "rewritten",
        message: `record ${expected.seq} does not match the head kept in the state: the ledger was rewritten`,
      },
    ];
  }
  if (head.seq > expected.seq) {
    return [
      {
        line,
        kind: "ahead",
        message: `${head.seq - expected.seq} record(s) after the state's head (an interrupted save); the chain is intact`,
      },
    ];
  }
  return [];
}
