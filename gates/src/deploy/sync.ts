import type { LedgerEntry, LedgerRecord } from "./ledger.js";
import {
  SLOTS,
  initialState,
  otherSlot,
  sameWeights,
  type DeployState,
  type Slot,
  type SlotInfo,
  type Weights,
} from "./state.js";

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
  const known = state === null ? releasesFromLedger(options.records) : base.slots;
  // What the router serves to everyone is what users have, whatever a crashed deploy left it as.
  const slots = { ...known, [active]: { ...known[active], standing: "served" } } satisfies DeployState["slots"];
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
      ? options.records.length === 0
        ? "no state was stored"
        : `no state was stored, so the ledger's end (${options.records.length} records) could not be checked against it and is taken as it is`
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

/**
 * Which release each slot last received and its standing, from what the ledger records: a deploy
 * leaves its slot unproven unless it succeeded, and the slot it started from had served users, as
 * has the slot a rollback moved traffic to.
 */
function releasesFromLedger(records: readonly LedgerRecord[]): DeployState["slots"] {
  const slots: Record<Slot, SlotInfo> = {
    blue: { release: null, retired: false, standing: "empty" },
    green: { release: null, retired: false, standing: "empty" },
  };
  const slotOfDeploy = new Map<string, Slot>();
  for (const record of records) {
    if (record.type === "deploy_started" && record.to_slot !== undefined) {
      if (record.deploy_id !== null) slotOfDeploy.set(record.deploy_id, record.to_slot);
      const from = otherSlot(record.to_slot);
      if (slots[from].standing === "empty") slots[from] = { ...slots[from], standing: "served" };
      slots[record.to_slot] = { release: record.release, retired: false, standing: "unproven" };
    }
    const deployed = record.deploy_id === null ? undefined : slotOfDeploy.get(record.deploy_id);
    if (record.type === "deploy_finished" && record.outcome === "succeeded" && deployed !== undefined)
      slots[deployed] = { ...slots[deployed], standing: "served" };
    if (record.type === "rollback" && record.ok === true && record.to_slot !== undefined)
      slots[record.to_slot] = { release: record.release, retired: false, standing: "served" };
    if (record.type === "retired" && record.ok === true && record.from_slot !== undefined)
      slots[record.from_slot] = { ...slots[record.from_slot], retired: true };
  }
  return slots;
}
