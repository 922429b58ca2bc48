import type { DeployAction, DeployEvent } from "./actions.js";
import type { LedgerEntry } from "./ledger.js";
import {
  allOn,
  otherSlot,
  sameWeights,
  type DeployState,
  type Rollout,
  type RollbackCause,
  type Slot,
  type SlotInfo,
} from "./state.js";
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
import { giveUpAt, moveAll } from "./machine-traffic-back.js";

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
    deadline_ms: event.deadline_ms,
    cause: "manual",
  });
  return { state: result.state, actions: [manual, told, ...result.actions] };
}

export function rollback(state: DeployState, event: Extract<DeployEvent, { type: "rollback" }>): Transition {
  const action = event.previous === undefined ? "rollback" : "rollback_to_previous";
  const manual = (s: DeployState, r: Rollout | null): DeployAction[] => [
    ...brokenLedger(s, r, event),
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
      deadline_ms: event.deadline_ms,
      cause: "manual",
    });
    return { state: result.state, actions: [...manual(state, rollout), ...result.actions] };
  }
  if (rollout !== null) return reject(state, "a deploy is in progress: roll it back first, then --to-previous");
  if (state.phase === "rolling_back" && state.rollback !== null) {
    // The target was checked when the rollback began, maybe minutes ago: it may have died since.
    const resumed = {
      ...state.rollback,
      attempts: 0,
      give_up_at: giveUpAt(event.at, event.deadline_ms),
      resuming: true,
    };
    const next: DeployState = { ...state, phase: "health_check", rollback: resumed, pending_weights: null };
    return { state: next, actions: [...manual(next, null), { type: "check_health", slot: resumed.target }] };
  }
  const previous = event.previous;
  const target = previous?.slot ?? otherSlot(state.active);
  const release = previous?.release ?? state.slots[target].release;
  const refused = previous === undefined ? plainRollbackRefusal(target, state.slots[target]) : null;
  if (refused !== null) return reject(state, `${refused}: use \`rollback --to-previous\` with a deploy_hook`);
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
    give_up_at: giveUpAt(event.at, event.deadline_ms),
    cause: "manual",
  } as const;
  const next: DeployState = {
    ...state,
    rollback: intent,
    // A release redeployed for the rollback is unproven until traffic has moved to it.
    slots: {
      ...state.slots,
      [target]: {
        release,
        retired: false,
        standing: previous?.redeploy === true ? "unproven" : state.slots[target].standing,
      },
    },
  };
  // Traffic never moves to a slot nobody checked: a dead target leaves it where it is.
  const first: DeployAction =
    previous?.redeploy === true
      ? { type: "run_hook", hook: "deploy", slot: target, release: previous.release }
      : { type: "check_health", slot: target };
  return {
    state: { ...next, phase: previous?.redeploy === true ? "preparing" : "health_check" },
    actions: [...manual(next, null), first],
  };
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

export interface RollbackStart {
  kind: "auto" | "rollback" | "abort";
  actor: string;
  reason: string;
  at: At;
  deadline_ms: number;
  cause: RollbackCause;
}

export function startRollback(state: DeployState, rollout: Rollout, how: RollbackStart): Transition {
  const open = rollout.steps.at(-1);
  const decided =
    open !== undefined && open.decision === null
      ? decide(state, rollout, how.at, "interrupted", how.reason)
      : { state, actions: [] };
  const current = decided.state.rollout ?? rollout;
  // A rollback already under way (one a crash interrupted) keeps what started it: an analysis
  // failure taken over by an operator's abort is still the release's failure.
  const earlier = state.rollback;
  const next: DeployState = {
    ...decided.state,
    rollout: current,
    pending_weights: null,
    rollback:
      earlier === null
        ? {
            kind: how.kind,
            target: rollout.from,
            release: rollout.previous_release,
            actor: how.actor,
            reason: how.reason,
            at: how.at,
            attempts: 0,
            give_up_at: giveUpAt(how.at, how.deadline_ms),
            cause: how.cause,
          }
        : { ...earlier, attempts: 0, give_up_at: giveUpAt(how.at, how.deadline_ms) },
  };
  // Before any traffic moved (an abort while preparing or warming up), all of it is still on the
  // slot it would go back to: there is nothing to check, and a dead live slot must not hold the
  // environment (the hotfix for it could never start).
  const untouched =
    next.pending_weights === null && sameWeights(next.weights, allOn(rollout.from)) && rollout.steps.length === 0;
  if (untouched)
    return prepend(decided.actions, moveAll(next, rollout.from, `rollback: all traffic to ${rollout.from} at once`));
  // Traffic never moves to a slot nobody checked, not even back to the one it came from: a slot that
  // died meanwhile would take every user. A dead one leaves traffic where it is (exit 4).
  return prepend(decided.actions, {
    state: { ...next, phase: "health_check" },
    actions: [{ type: "check_health", slot: rollout.from }],
  });
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
      finish("failed", reason, rollout.id, { moved: false }),
    ],
  };
}

/** A deploy, or a rollback to a slot that is not healthy (or not redeployed), failed before traffic moved. */
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
        message: `rollback to ${intent?.target ?? "the other slot"} refused, traffic left where it is: ${reason}`,
      }),
      finish("failed", `rollback refused, traffic left where it is: ${reason}`, null, {
        moved: false,
        rollbackFailed: true,
      }),
    ],
  };
}

/** Why a plain rollback may not move users to `slot`, which only a release that served them may take. */
function plainRollbackRefusal(target: Slot, slot: SlotInfo): string | null {
  const release = slot.release ?? "a release never recorded";
  if (slot.retired) return `the ${target} slot was retired (${release})`;
  switch (slot.standing) {
    case "served":
      return null;
    case "empty":
      return `the ${target} slot never served a release`;
    case "unproven":
      return `the ${target} slot holds ${release}, which no recorded deploy promoted`;
  }
}

/** A manual rollback on a ledger whose chain is broken: recorded and notified at critical. */
function brokenLedger(
  state: DeployState,
  rollout: Rollout | null,
  event: Extract<DeployEvent, { type: "rollback" }>,
): DeployAction[] {
  if (event.ledger_broken === undefined) return [];
  const reason = `the ledger's chain is broken (${event.ledger_broken}); rollback allowed as an emergency`;
  return [
    ledger({ ...base(state, rollout, event.at, "manual", event.actor), action: "ledger_broken", reason }),
    notify({ ...noticeBase(state, rollout, event.at), event: "ledger_broken", severity: "critical", message: reason }),
  ];
}
