import type { LedgerEntry, Outcome } from "./ledger.js";
import type { Plan, Slot, Weights, Window } from "./state.js";

/** What the machine is told happened. Every event carries its time, so the machine stays pure. */
export type DeployEvent =
  | {
      type: "start";
      at: string;
      rollout: {
        id: string;
        release: string;
        commit: string | null;
        commit_time: string | null;
        actor: string;
        forced_reason: string | null;
      };
      plan: Plan;
      /** The weights the router serves right now, read before anything; null when it cannot say. */
      live: Weights | null;
    }
  | { type: "hook_done"; at: string; ok: boolean; detail: string }
  | { type: "health"; at: string; ok: boolean; detail: string }
  | { type: "warmed"; at: string; ok: boolean; detail: string }
  | { type: "weights_confirmed"; at: string; weights: Weights }
  /** `applied: false` only when the router guarantees the live weights did not change. */
  | { type: "weights_failed"; at: string; error: string; applied: boolean }
  | { type: "measurement"; at: string; window: Window }
  | { type: "bake_elapsed"; at: string }
  | { type: "promote"; at: string; actor: string }
  | { type: "abort"; at: string; actor: string; reason: string; deadline_ms: number }
  | {
      type: "rollback";
      at: string;
      actor: string;
      reason: string;
      /** How long the rollback keeps retrying a router that refuses it. */
      deadline_ms: number;
      /** The first bad line of a ledger whose chain is broken: recorded and notified, never blocking. */
      ledger_broken?: string;
      /** For `rollback --to-previous`: the release to restore, and whether a slot must be redeployed. */
      previous?: { release: string; slot: Slot; redeploy: boolean; deploy_hook: boolean };
    }
  | { type: "retired"; at: string; ok: boolean; detail: string };

export type DeployEventType = DeployEvent["type"];

export const NOTIFY_EVENTS = [
  "deploy_started",
  "step",
  "paused",
  "promoted",
  "deploy_completed",
  "rolled_back",
  "aborted",
  "failed",
  "rollback_failed",
  "gate_blocked",
  "forced",
  "manual_action",
  "retired",
  "ledger_broken",
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** As in the design's alert rules: pipeline failure critical, gate failure high, slow deploy medium. */
export type NoticeSeverity = "critical" | "high" | "medium" | "info";

export interface Notice {
  event: NotifyEvent;
  severity: NoticeSeverity;
  environment: string;
  deploy_id: string | null;
  release: string | null;
  message: string;
  at: string;
}

/** What the runner must do; the machine never does it itself. */
export type DeployAction =
  | { type: "run_hook"; hook: "deploy"; slot: Slot; release: string }
  | { type: "check_health"; slot: Slot }
  | { type: "warm_up"; slot: Slot }
  | { type: "set_weights"; weights: Weights; reason: string }
  | { type: "analyse"; slot: Slot; step: number }
  | { type: "wait_for_promotion" }
  | { type: "retire"; slot: Slot }
  | { type: "ledger"; entry: LedgerEntry }
  | { type: "notify"; notice: Notice }
  /**
   * `traffic_moved: false` when the deploy ended before any user request reached the new slot;
   * `rollback_failed` when traffic could not be moved back and stays on the release being left.
   */
  | {
      type: "finish";
      outcome: Outcome;
      reason: string;
      deploy_id: string | null;
      traffic_moved: boolean;
      rollback_failed: boolean;
    };
