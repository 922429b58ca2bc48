import type { LedgerEntry, LedgerRecord } from "./ledger.js";
import { SLOTS, initialState, sameWeights, type DeployState, type Slot, type Weights } from "./state.js";

/**
 * `portcullis state sync`: the state rebuilt from what the router really serves, for a lost state
 * (a fresh CI runner with the directory store, a deleted file) or one the router contradicts.
 * Pure: the command reads the router and the store, this decides.
 */
export type SyncPlan =
  | { kind: "in_sync"; message: string }
  | { kind: "refused"; reason: string }
  | { kind: "sync"; state: DeployState; entry: LedgerEntry; message: string };

export function planSync(options: {
  state: DeployState | null;
  environment: string;
  live: Weights;
  records: readonly LedgerRecord[];
  actor: string;
  at: string;
}): SyncPlan {
  const { live, state } = options;
  const active = SLOTS.find((slot) => live[slot] === 100);
  if (active === undefined)
    return {
      kind: "refused",
      reason: `the router splits traffic (blue ${live.blue} % / green ${live.green} %): nothing says which slot is the live release; put all traffic on one slot through the router, then sync again`,
    };
  if (state !== null && state.phase === "idle" && state.active === active && sameWeights(state.weights, live))
    return { kind: "in_sync", message: `state and router agree: all traffic on ${active}` };
  const base = state ?? initialState(options.environment, options.at);
  const slots = state === null ? releasesFromLedger(options.records) : base.slots;
  const synced: DeployState = {
    ...base,
    active,
    weights: live,
    pending_weights: null,
    phase: "idle",
    rollout: null,
    rollback: null,
    promote_request: null,
    slots,
  };
  const was =
    state === null
      ? "no state was stored"
      : `the state said ${state.active} active, blue ${state.weights.blue} % / green ${state.weights.green} %, phase ${state.phase}`;
  const message = `state rebuilt from the router: all traffic on ${active} (${slots[active].release ?? "release unknown"}); ${was}`;
  return {
    kind: "sync",
    state: synced,
    message,
    entry: {
      type: "manual",
      at: options.at,
      environment: options.environment,
      deploy_id: null,
      release: slots[active].release,
      commit: null,
      commit_time: null,
      actor: options.actor,
      action: "state_sync",
      reason: message,
    },
  };
}

// --- internal ---

/** Which release each slot last received, from the deploys the ledger records. */
function releasesFromLedger(records: readonly LedgerRecord[]): DeployState["slots"] {
  const slots: Record<Slot, { release: string | null; retired: boolean }> = {
    blue: { release: null, retired: false },
    green: { release: null, retired: false },
  };
  for (const record of records) {
    if (record.type === "deploy_started" && record.to_slot !== undefined)
      slots[record.to_slot] = { release: record.release, retired: false };
    if (record.type === "retired" && record.ok === true && record.from_slot !== undefined)
      slots[record.from_slot] = { ...slots[record.from_slot], retired: true };
  }
  return slots;
}
