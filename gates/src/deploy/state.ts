import { z } from "zod";

/**
 * The persisted deployment state of one environment (`portcullis.deploy-state/v1`). It is read
 * back from a state store, so it is outside data: everything goes through these schemas.
 */

export const STATE_SCHEMA_ID = "portcullis.deploy-state/v1";

export const SLOTS = ["blue", "green"] as const;
export const Slot = z.enum(SLOTS);
export type Slot = z.infer<typeof Slot>;

export function otherSlot(slot: Slot): Slot {
  return slot === "blue" ? "green" : "blue";
}

const Percent = z.number().int().min(0).max(100);
export const Weights = z.object({ blue: Percent, green: Percent }).strict();
export type Weights = z.infer<typeof Weights>;

/** All traffic on one slot. */
export function allOn(slot: Slot): Weights {
  return slot === "blue" ? { blue: 100, green: 0 } : { blue: 0, green: 100 };
}

export function sameWeights(a: Weights, b: Weights): boolean {
  return a.blue === b.blue && a.green === b.green;
}

export const MEASUREMENT_RESULTS = ["pass", "fail", "inconclusive", "error"] as const;
export const MeasurementResult = z.enum(MEASUREMENT_RESULTS);
export type MeasurementResult = z.infer<typeof MeasurementResult>;

/** One check of one measurement window: the probe or one PromQL query. */
export const Measurement = z
  .object({
    source: z.enum(["probe", "prometheus", "warmup", "traffic"]),
    name: z.string(),
    result: MeasurementResult,
    reason: z.string(),
    values: z.record(z.string(), z.number()),
    /** Inconclusive only for lack of real traffic: ignored while another check of the window has data. */
    starved: z.boolean().optional(),
  })
  .strict();
export type Measurement = z.infer<typeof Measurement>;

/** One measurement window: its checks and their combined result (worst wins). */
export const Window = z
  .object({ at: z.string(), result: MeasurementResult, reason: z.string(), checks: z.array(Measurement) })
  .strict();
export type Window = z.infer<typeof Window>;

export const STEP_DECISIONS = ["pass", "fail", "inconclusive", "promoted", "router_failed", "interrupted"] as const;
export const StepRecord = z
  .object({
    index: z.number().int().min(0),
    percent: Percent,
    weights: Weights,
    confirmed_at: z.string(),
    windows: z.array(Window),
    decision: z.enum(STEP_DECISIONS).nullable(),
    reason: z.string().nullable(),
    decided_at: z.string().nullable(),
  })
  .strict();
export type StepRecord = z.infer<typeof StepRecord>;

export const Plan = z
  .object({
    steps: z.array(Percent).min(1),
    failure_limit: z.number().int().min(0),
    inconclusive_limit: z.number().int().min(0),
    on_inconclusive: z.enum(["rollback", "pause"]),
    manual_promotion: z.boolean(),
    deploy_hook: z.boolean(),
    retire_hook: z.boolean(),
    /** A deploy that takes longer than this is notified as slow. */
    slow_after_ms: z.number().int().min(0),
    /** How long a rollback keeps retrying a router that refuses it (states saved before: 5 min). */
    rollback_deadline_ms: z.number().int().min(0).default(300_000),
  })
  .strict();
export type Plan = z.infer<typeof Plan>;

export const Rollout = z
  .object({
    id: z.string().min(1),
    release: z.string().min(1),
    commit: z.string().nullable(),
    commit_time: z.string().nullable(),
    actor: z.string(),
    forced_reason: z.string().nullable(),
    from: Slot,
    to: Slot,
    previous_release: z.string().nullable(),
    plan: Plan,
    /** Index in plan.steps of the step being applied or observed; -1 before any traffic moved. */
    step: z.number().int().min(-1),
    counts: z.object({ pass: z.number().int(), fail: z.number().int(), inconclusive: z.number().int() }).strict(),
    steps: z.array(StepRecord),
    started_at: z.string(),
    paused_reason: z.string().nullable(),
  })
  .strict();
export type Rollout = z.infer<typeof Rollout>;

export const ROLLBACK_KINDS = ["auto", "rollback", "abort", "to_previous"] as const;

/**
 * Why traffic went back: the release itself failed its analysis, the telemetry could not judge it
 * (no data, inconclusive, a check that could not run), the router failed, or a person decided.
 * Only `release` and `manual` count as failures of the change in DORA's change failure rate.
 */
export const ROLLBACK_CAUSES = ["release", "telemetry", "router", "manual"] as const;
export const RollbackCause = z.enum(ROLLBACK_CAUSES);
export type RollbackCause = z.infer<typeof RollbackCause>;
export const RollbackKind = z.enum(ROLLBACK_KINDS);
export type RollbackKind = z.infer<typeof RollbackKind>;

/** A move of all traffic to `target`, at once and without analysis. */
export const RollbackIntent = z
  .object({
    kind: RollbackKind,
    target: Slot,
    release: z.string().nullable(),
    actor: z.string(),
    reason: z.string(),
    at: z.string(),
    attempts: z.number().int().min(0),
    /** Retries stop after this time; null in states saved before deadlines existed (3 attempts). */
    give_up_at: z.string().nullable().default(null),
    cause: RollbackCause.default("manual"),
    /** Set while a later `rollback` resumes this one: its target is checked again before traffic moves. */
    resuming: z.boolean().optional(),
  })
  .strict();
export type RollbackIntent = z.infer<typeof RollbackIntent>;

export const Lock = z
  .object({
    owner: z.string().min(1),
    command: z.string(),
    deploy_id: z.string().nullable(),
    acquired_at: z.string(),
    renewed_at: z.string(),
    lease_ms: z.number().int().positive(),
  })
  .strict();
export type Lock = z.infer<typeof Lock>;

/**
 * A deploy or retire hook while it runs. Hooks run in their own process group: a controller killed
 * with SIGKILL cannot stop its hook, which may go on changing a slot after another command took
 * over. Recorded so that whoever takes the lock next stops it first (see orphan-hooks.ts).
 */
export const RunningHook = z
  .object({
    kind: z.enum(["deploy", "retire"]),
    slot: Slot,
    release: z.string(),
    /** The hook's process group (its shell's pid). */
    pgid: z.number().int().positive(),
    /** Where it runs: only that machine can stop it. */
    host: z.string(),
    /** When the kernel started the shell: tells it from a later process that got the same pid. */
    process_start: z.string().nullable(),
    started_at: z.string(),
    owner: z.string(),
  })
  .strict();
export type RunningHook = z.infer<typeof RunningHook>;

export const PHASES = [
  "idle",
  "preparing",
  "health_check",
  "warming_up",
  "shifting",
  "analysing",
  "paused",
  "rolling_back",
  "retiring",
] as const;
export const Phase = z.enum(PHASES);
export type Phase = z.infer<typeof Phase>;

/**
 * What a slot's release is worth to a plain `rollback`, which moves all traffic to the other slot
 * without analysis: only a slot whose release `served` users may take it (back and forth, as
 * `kubectl rollout undo` does). `empty`: no release was ever known on it. `unproven`: a deploy put
 * its release there and never promoted it (still running, rolled back, aborted, failed,
 * interrupted): the release its analysis rejected, or one no user ever had.
 */
export const SLOT_STANDINGS = ["empty", "served", "unproven"] as const;
export const SlotStanding = z.enum(SLOT_STANDINGS);
export type SlotStanding = z.infer<typeof SlotStanding>;

export const SlotInfo = z
  .object({ release: z.string().nullable(), retired: z.boolean(), standing: SlotStanding })
  .strict();
export type SlotInfo = z.infer<typeof SlotInfo>;

export const DeployState = z.preprocess(
  withStandings,
  z
    .object({
      schema: z.literal(STATE_SCHEMA_ID),
      environment: z.string().min(1),
      /** Incremented by every save; stores use it (or their own token) for compare-and-swap. */
      revision: z.number().int().min(0),
      updated_at: z.string(),
      active: Slot,
      slots: z.object({ blue: SlotInfo, green: SlotInfo }).strict(),
      /** The weights the router last confirmed. */
      weights: Weights,
      /** The weights asked of the router and not yet confirmed (a crash leaves them here). */
      pending_weights: Weights.nullable(),
      phase: Phase,
      rollout: Rollout.nullable(),
      rollback: RollbackIntent.nullable(),
      lock: Lock.nullable(),
      /** The hook running for the lock's holder, if any (states saved before: none). */
      hook: RunningHook.nullable().default(null),
      promote_request: z.object({ actor: z.string(), at: z.string() }).strict().nullable(),
      ledger_head: z
        .object({ seq: z.number().int().min(1), hash: z.string() })
        .strict()
        .nullable(),
    })
    .strict(),
);
export type DeployState = z.infer<typeof DeployState>;

/**
 * A state saved before slots had a standing: the live slot served (as blue does before the first
 * deploy), and the other one's release is not known to have (its last deploy may have been rolled
 * back): a plain rollback to it is refused, and `rollback --to-previous` finds the release the
 * ledger says succeeded.
 */
function withStandings(state: unknown): unknown {
  if (!isRecord(state) || !isRecord(state["slots"]) || (state["active"] !== "blue" && state["active"] !== "green"))
    return state;
  const slots = state["slots"];
  const active = state["active"];
  const filled = Object.fromEntries(
    Object.entries(slots).map(([name, slot]) => {
      if (!isRecord(slot) || "standing" in slot) return [name, slot];
      const standing = name === active ? "served" : slot["release"] === null ? "empty" : "unproven";
      return [name, { ...slot, standing }];
    }),
  );
  return { ...state, slots: filled };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The state of an environment nothing was ever deployed to: blue active and serving everything. */
export function initialState(environment: string, at: string): DeployState {
  return {
    schema: STATE_SCHEMA_ID,
    environment,
    revision: 0,
    updated_at: at,
    active: "blue",
    // Blue serves whatever ran before Portcullis' first deploy: a release unknown, but one users had.
    slots: {
      blue: { release: null, retired: false, standing: "served" },
      green: { release: null, retired: false, standing: "empty" },
    },
    weights: allOn("blue"),
    pending_weights: null,
    phase: "idle",
    rollout: null,
    rollback: null,
    lock: null,
    hook: null,
    promote_request: null,
    ledger_head: null,
  };
}
