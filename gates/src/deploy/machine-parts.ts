import type { DeployAction, Notice, NotifyEvent, NoticeSeverity } from "./actions.js";
import type { LedgerEntry, Outcome } from "./ledger.js";
import type { DeployState, Rollout, Slot, StepRecord, Weights } from "./state.js";

/** The building blocks of the machine's transitions: results, ledger entries, notices. */

export interface Transition {
  state: DeployState;
  actions: DeployAction[];
  rejected?: string;
}

export type At = string;

export function reject(state: DeployState, reason: string): Transition {
  return { state, actions: [], rejected: reason };
}

export function decide(
  state: DeployState,
  rollout: Rollout,
  at: At,
  decision: NonNullable<StepRecord["decision"]>,
  reason: string,
): Transition {
  const open = rollout.steps.at(-1);
  if (open === undefined) return { state, actions: [] };
  const closed: StepRecord = { ...open, decision, reason, decided_at: at };
  const next: Rollout = { ...rollout, steps: [...rollout.steps.slice(0, -1), closed] };
  const nextState: DeployState = { ...state, rollout: next };
  return { state: nextState, actions: [ledger(entry(nextState, next, at, "step", { step: closed, reason }))] };
}

/** Runs `then` on the state `first` produced and keeps both action lists, in order. */
export function chain(first: Transition, then: (state: DeployState, rollout: Rollout) => Transition): Transition {
  const rollout = first.state.rollout;
  if (rollout === null) return first;
  return prepend(first.actions, then(first.state, rollout));
}

export function prepend(actions: readonly DeployAction[], result: Transition): Transition {
  return { ...result, actions: [...actions, ...result.actions] };
}

export function ledger(entryValue: LedgerEntry): DeployAction {
  return { type: "ledger", entry: entryValue };
}

export function notify(value: Notice): DeployAction {
  return { type: "notify", notice: value };
}

export function finish(
  outcome: Outcome,
  reason: string,
  deployId: string | null,
  traffic: { moved?: boolean; rollbackFailed?: boolean } = {},
): DeployAction {
  return {
    type: "finish",
    outcome,
    reason,
    deploy_id: deployId,
    traffic_moved: traffic.moved ?? true,
    rollback_failed: traffic.rollbackFailed ?? false,
  };
}

export function base(
  state: DeployState,
  rollout: Rollout | null,
  at: At,
  type: LedgerEntry["type"],
  actor: string,
): LedgerEntry {
  return {
    type,
    at,
    environment: state.environment,
    deploy_id: rollout?.id ?? null,
    release: rollout?.release ?? null,
    commit: rollout?.commit ?? null,
    commit_time: rollout?.commit_time ?? null,
    actor,
  };
}

export function entry(
  state: DeployState,
  rollout: Rollout,
  at: At,
  type: LedgerEntry["type"],
  extra: Partial<LedgerEntry>,
  actor = rollout.actor,
): LedgerEntry {
  return { ...base(state, rollout, at, type, actor), ...extra };
}

export function noticeBase(
  state: DeployState,
  rollout: Rollout | null,
  at: At,
): Omit<Notice, "event" | "severity" | "message"> {
  return { environment: state.environment, deploy_id: rollout?.id ?? null, release: rollout?.release ?? null, at };
}

export function notice(
  state: DeployState,
  rollout: Rollout,
  at: At,
  event: NotifyEvent,
  severity: NoticeSeverity,
  message: string,
): Notice {
  return { ...noticeBase(state, rollout, at), event, severity, message };
}

/** Weights with `percent` on `slot` and the rest on the other one. */
export function weightsFor(slot: Slot, percent: number): Weights {
  return slot === "blue" ? { blue: percent, green: 100 - percent } : { blue: 100 - percent, green: percent };
}
