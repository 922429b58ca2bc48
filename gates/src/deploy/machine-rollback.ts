import type { DeployAction, DeployEvent } from "./actions.js";
import type { LedgerEntry, Outcome } from "./ledger.js";
import { allOn, otherSlot, type DeployState, type Rollout, type Slot } from "./state.js";
import {
  type At,
  type Transition,
  base,
  decide,
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
 * The machine's way back: abort, rollback (during a deploy, after it, to the previous release),
 * and how a deploy ends when it cannot go on. All traffic moves at once, never with analysis.
 */

export function abort(state: DeployState, event: Extract<DeployEvent, { type: "abort" }>): Transition {
  const rollout = state.rollout;
  if (rollout === null) return reject(state, "no deploy in progress to abort");
  const manual = ledger(
    entry(state, rollout, event.at, "manual", { action: "abort", reason: event.reason }, event.actor),
  );
  const told = notify(
    notice(
      state,
      rollout,
      event.at,
      "manual_action",
      "high",
      `abort of ${rollout.release} by ${event.actor}: ${event.reason}`,
    ),
  );
  const result = startRollback(state, rollout, {
    kind: "abort",
    actor: event.actor,
    reason: `aborted by ${event.actor}: ${event.reason}`,
    at: event.at,
  });
  return { state: result.state, actions: [manual, told, ...result.actions] };
}

export function rollback(state: DeployState, event: Extract<DeployEvent, { type: "rollback" }>): Transition {
  const action = event.previous === undefined ? "rollback" : "rollback_to_previous";
  const manual = (s: DeployState, r: Rollout | null): DeployAction[] => [
    ledger({ ...base(s, r, event.at, "manual", event.actor), action, reason: event.reason }),
    notify({
      ...noticeBase(s, r, event.at),
      event: "manual_action",
      severity: "high",
      message: `${action.replaceAll("_", " ")} by ${event.actor}: ${event.reason}`,
    }),
  ];
  const rollout = state.rollout;
  if (rollout !== null && event.previous === undefined) {
    const result = startRollback(state, rollout, {
      kind: "rollback",
      actor: event.actor,
      reason: `rolled back by ${event.actor}: ${event.reason}`,
      at: event.at,
    });
    return { state: result.state, actions: [...manual(state, rollout), ...result.actions] };
  }
  if (rollout !== null) return reject(state, "a deploy is in progress: roll it back first, then --to-previous");
  if (state.phase === "rolling_back" && state.rollback !== null) {
    return prepend(
      manual(state, null),
      moveAll(
        { ...state, rollback: { ...state.rollback, attempts: 0 } },
        state.rollback.target,
        "resuming an unfinished rollback",
      ),
    );
  }
  const previous = event.previous;
  const target = previous?.slot ?? otherSlot(state.active);
  const release = previous?.release ?? state.slots[target].release;
  if (previous === undefined && (release === null || state.slots[target].retired)) {
    return reject(
      state,
      `the ${target} slot ${release === null ? "never served a release" : `was retired (${release})`}: use \`rollback --to-previous\` with a deploy_hook`,
    );
  }
  if (previous?.redeploy === true && !previous.deploy_hook)
    return reject(state, `${previous.release} is on no slot and no deploy_hook is set to redeploy it`);
  const kind = previous === undefined ? "rollback" : "to_previous";
  const intent = {
    kind,
    target,
    release,
    actor: event.actor,
    reason: event.reason,
    at: event.at,
    attempts: 0,
  } as const;
  const next: DeployState = {
    ...state,
    rollback: intent,
    slots: { ...state.slots, [target]: { release, retired: false } },
  };
  if (previous?.redeploy === true) {
    return {
      state: { ...next, phase: "preparing" },
      actions: [...manual(next, null), { type: "run_hook", hook: "deploy", slot: target, release: previous.release }],
    };
  }
  return prepend(
    manual(next, null),
    moveAll(
      next,
      target,
      `${kind === "rollback" ? "rollback" : "rollback to previous"}: all traffic to ${target} at once`,
    ),
  );
}

export function retired(state: DeployState, event: Extract<DeployEvent, { type: "retired" }>): Transition {
  if (state.phase !== "retiring") return reject(state, `retired ignored in phase ${state.phase}`);
  const slot = otherSlot(state.active);
  const slots = event.ok
    ? { ...state.slots, [slot]: { release: state.slots[slot].release, retired: true } }
    : state.slots;
  const next: DeployState = { ...state, phase: "idle", slots };
  const entryOut: LedgerEntry = {
    ...base(next, null, event.at, "retired", "portcullis"),
    release: state.slots[slot].release,
    from_slot: slot,
    ok: event.ok,
    reason: event.detail,
  };
  const told = event.ok
    ? []
    : [
        notify({
          ...noticeBase(next, null, event.at),
          event: "retired",
          severity: "medium",
          message: `retire hook failed on ${slot}: ${event.detail}`,
        }),
      ];
  return { state: next, actions: [ledger(entryOut), ...told] };
}

export const MAX_ROLLBACK_ATTEMPTS = 3;

export interface RollbackStart {
  kind: "auto" | "rollback" | "abort";
  actor: string;
  reason: string;
  at: At;
}

export function startRollback(state: DeployState, rollout: Rollout, how: RollbackStart): Transition {
  const open = rollout.steps.at(-1);
  const decided =
    open !== undefined && open.decision === null
      ? decide(state, rollout, how.at, "interrupted", how.reason)
      : { state, actions: [] };
  const current = decided.state.rollout ?? rollout;
  const next: DeployState = {
    ...decided.state,
    rollout: current,
    rollback: {
      kind: how.kind,
      target: rollout.from,
      release: rollout.previous_release,
      actor: how.actor,
      reason: how.reason,
      at: how.at,
      attempts: 0,
    },
  };
  return prepend(decided.actions, moveAll(next, rollout.from, `rollback: all traffic to ${rollout.from} at once`));
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
  const next: DeployState = { ...state, active: intent.target, phase: "idle", rollout: null, rollback: null };
  if (rollout === null) {
    const message = `traffic restored to ${intent.target} (${intent.release ?? "unknown release"}): ${intent.reason}`;
    return {
      state: next,
      actions: [
        ledger({
          ...base(next, null, at, "rollback", intent.actor),
          release: intent.release,
          to_slot: intent.target,
          ok: true,
          reason: intent.reason,
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
  const message = `rollback to ${state.rollback?.target ?? "the old slot"} could not be confirmed after ${MAX_ROLLBACK_ATTEMPTS} attempts: ${error}; run \`portcullis rollback\` again`;
  const next: DeployState = { ...state, rollout: null, pending_weights: null };
  const closing =
    rollout === null
      ? []
      : [
          ledger(
            entry(next, rollout, at, "deploy_finished", {
              outcome: "failed",
              reason: message,
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
      finish("failed", message, rollout?.id ?? null),
    ],
  };
}

export function failed(state: DeployState, rollout: Rollout, at: At, reason: string): Transition {
  const next: DeployState = { ...state, phase: "idle", rollout: null, rollback: null, pending_weights: null };
  return {
    state: next,
    actions: [
      ledger(
        entry(next, rollout, at, "deploy_finished", {
          outcome: "failed",
          reason,
          started_at: rollout.started_at,
          finished_at: at,
        }),
      ),
      notify(
        notice(
          next,
          rollout,
          at,
          "failed",
          "critical",
          `deploy of ${rollout.release} failed before moving traffic: ${reason}`,
        ),
      ),
      finish("failed", reason, rollout.id, false),
    ],
  };
}

/** A deploy or a `--to-previous` redeploy failed before any traffic moved. */
export function failedAny(state: DeployState, at: At, reason: string): Transition {
  if (state.rollout !== null) return failed(state, state.rollout, at, reason);
  const intent = state.rollback;
  const next: DeployState = { ...state, phase: "idle", rollback: null, pending_weights: null };
  return {
    state: next,
    actions: [
      ledger({
        ...base(next, null, at, "rollback", intent?.actor ?? "portcullis"),
        release: intent?.release ?? null,
        ok: false,
        reason,
      }),
      notify({
        ...noticeBase(next, null, at),
        event: "rollback_failed",
        severity: "critical",
        message: `rollback to previous failed: ${reason}`,
      }),
      finish("failed", reason, null, false),
    ],
  };
}
