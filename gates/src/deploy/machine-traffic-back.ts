import type { Outcome } from "./ledger.js";
import { allOn, otherSlot, type DeployState, type RollbackIntent, type Slot } from "./state.js";
import {
  type At,
  type Transition,
  base,
  entry,
  finish,
  ledger,
  notice,
  noticeBase,
  notify,
  prepend,
  reject,
} from "./machine-parts.js";

/**
 * How a move of all traffic ends: confirmed by the router, retried with backoff until the
 * rollback's deadline (each failure notified at critical), or given up with traffic still on the
 * release being rolled back from.
 */

/** Attempts of a rollback saved before deadlines existed (give_up_at null). */
export const MAX_ROLLBACK_ATTEMPTS = 3;

export function giveUpAt(at: At, deadlineMs: number): string {
  return new Date(Date.parse(at) + deadlineMs).toISOString();
}

/** Whether a rollback whose router attempt just failed may try again. */
export function mayRetry(intent: RollbackIntent, attempts: number, at: At): boolean {
  if (intent.give_up_at === null) return attempts < MAX_ROLLBACK_ATTEMPTS;
  return Date.parse(at) < Date.parse(intent.give_up_at);
}

/** A router failure during a rollback: notified at critical every time, retried until the deadline. */
export function rollbackRetry(state: DeployState, intent: RollbackIntent, at: At, error: string): Transition {
  const attempts = intent.attempts + 1;
  const next: DeployState = { ...state, rollback: { ...intent, attempts } };
  if (!mayRetry(intent, attempts, at)) return rollbackFailed(next, at, error);
  const told = notify({
    ...noticeBase(next, next.rollout, at),
    event: "rollback_failed",
    severity: "critical",
    message: `rollback to ${intent.target} failed (attempt ${attempts}), retrying until ${intent.give_up_at ?? `${MAX_ROLLBACK_ATTEMPTS} attempts`}: ${error}`,
  });
  return prepend([told], moveAll(next, intent.target, `retry ${attempts + 1} after: ${error}`));
}

export function moveAll(state: DeployState, target: Slot, reason: string): Transition {
  const weights = allOn(target);
  return {
    state: { ...state, phase: "rolling_back", pending_weights: weights },
    actions: [{ type: "set_weights", weights, reason }],
  };
}

export function rolledBack(state: DeployState, at: At): Transition {
  const intent = state.rollback;
  if (intent === null) return reject(state, "rolling back without a rollback intent");
  const rollout = state.rollout;
  // The slot traffic left keeps its standing: a deploy's own stays unproven.
  const slots = { ...state.slots, [intent.target]: { ...state.slots[intent.target], standing: "served" } };
  const next: DeployState = { ...state, active: intent.target, slots, phase: "idle", rollout: null, rollback: null };
  if (rollout === null) {
    const message = `traffic restored to ${intent.target} (${intent.release ?? "unknown release"}): ${intent.reason}`;
    return {
      state: next,
      actions: [
        ledger({
          ...base(next, null, at, "rollback", intent.actor),
          release: intent.release,
          // The release users were moved away from: the change that failed, for the DORA figures.
          from_slot: otherSlot(intent.target),
          previous_release: state.slots[otherSlot(intent.target)].release,
          to_slot: intent.target,
          ok: true,
          reason: intent.reason,
          cause: intent.cause,
          started_at: intent.at,
          finished_at: at,
        }),
        notify({
          ...noticeBase(next, null, at),
          release: intent.release,
          event: "rolled_back",
          severity: "critical",
          message,
        }),
        finish("rolled_back", message, null),
      ],
    };
  }
  const outcome: Outcome = intent.kind === "abort" ? "aborted" : "rolled_back";
  const message = `${rollout.release} ${outcome === "aborted" ? "aborted" : "rolled back"}, all traffic on ${intent.target} (${intent.release ?? "previous"}): ${intent.reason}`;
  return {
    state: next,
    actions: [
      ledger(
        entry(next, rollout, at, "deploy_finished", {
          outcome,
          reason: intent.reason,
          cause: intent.cause,
          started_at: rollout.started_at,
          finished_at: at,
        }),
      ),
      notify(
        notice(
          next,
          rollout,
          at,
          outcome === "aborted" ? "aborted" : "rolled_back",
          outcome === "aborted" ? "high" : "critical",
          message,
        ),
      ),
      finish(outcome, message, rollout.id),
    ],
  };
}

export function rollbackFailed(state: DeployState, at: At, error: string): Transition {
  const rollout = state.rollout;
  const intent = state.rollback;
  const message = `rollback to ${intent?.target ?? "the old slot"} could not be confirmed after ${intent?.attempts ?? 0} attempts${intent?.give_up_at == null ? "" : ` (deadline ${intent.give_up_at})`}: ${error}; traffic is still on the release being rolled back from: run \`portcullis rollback\` again`;
  const next: DeployState = { ...state, rollout: null, pending_weights: null };
  const closing =
    rollout === null
      ? []
      : [
          ledger(
            entry(next, rollout, at, "deploy_finished", {
              outcome: "failed",
              reason: message,
              // Users had this release when its rollback gave up: a change failure, unlike a
              // deploy that failed before any traffic moved (which carries no cause).
              // An abort is no change failure, whether or not its rollback could be confirmed.
              ...(rollout.steps.length > 0 && intent?.kind !== "abort" ? { cause: intent?.cause ?? "release" } : {}),
              started_at: rollout.started_at,
              finished_at: at,
            }),
          ),
        ];
  return {
    state: next,
    actions: [
      ...closing,
      notify({ ...noticeBase(next, rollout, at), event: "rollback_failed", severity: "critical", message }),
      finish("failed", message, rollout?.id ?? null, { rollbackFailed: true }),
    ],
  };
}
