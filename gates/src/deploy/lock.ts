import type { LedgerEntry } from "./ledger.js";
import type { DeployState, Lock } from "./state.js";

/**
 * The deploy lock lives in the state, with a lease the holder renews on every save. Pure helpers:
 * the runner decides when to call them, the store's compare-and-swap makes them safe.
 */

export interface LockView {
  lock: Lock;
  /** Milliseconds since the holder last renewed it. */
  ageMs: number;
  stale: boolean;
}

export function viewLock(state: DeployState | null, now: Date): LockView | null {
  const lock = state?.lock ?? null;
  if (lock === null) return null;
  const ageMs = Math.max(0, now.getTime() - Date.parse(lock.renewed_at));
  return { lock, ageMs, stale: ageMs > lock.lease_ms };
}

export interface LockRequest {
  owner: string;
  command: string;
  deploy_id: string | null;
  lease_ms: number;
}

/** Takes the lock when it is free or stale; otherwise says who holds it. */
export function acquireLock(
  state: DeployState,
  request: LockRequest,
  now: Date,
): { ok: true; state: DeployState; broken: LockView | null } | { ok: false; holder: LockView } {
  const view = viewLock(state, now);
  if (view !== null && !view.stale && view.lock.owner !== request.owner) return { ok: false, holder: view };
  const at = now.toISOString();
  return {
    ok: true,
    state: { ...state, lock: { ...request, acquired_at: at, renewed_at: at } },
    broken: view !== null && view.lock.owner !== request.owner ? view : null,
  };
}

/** Takes the lock whoever holds it (rollback and abort are never blocked); says what was broken. */
export function seizeLock(
  state: DeployState,
  request: LockRequest,
  now: Date,
): { state: DeployState; broken: LockView | null } {
  const view = viewLock(state, now);
  const at = now.toISOString();
  return {
    state: { ...state, lock: { ...request, acquired_at: at, renewed_at: at } },
    broken: view !== null && view.lock.owner !== request.owner ? view : null,
  };
}

/** Who holds a lock: the actor, the host and the process, and a few random bytes per controller. */
export function lockOwner(actor: string, host: string, pid: number, nonce: string): string {
  return `${actor}@${host}#${pid}-${nonce}`;
}

/** Two controllers of one process (a cancelled deploy and the abort it runs): they differ in their nonce only. */
export function sameProcess(owner: string, other: string): boolean {
  const process = (text: string) => text.slice(0, text.lastIndexOf("-"));
  return process(owner) === process(other);
}

export function holdsLock(state: DeployState | null, owner: string): boolean {
  return state?.lock?.owner === owner;
}

/** The ledger record of a broken lock: who, whose, and why. */
export function lockBrokenEntry(
  state: DeployState,
  broken: LockView,
  by: { actor: string; command: string },
  at: string,
): LedgerEntry {
  const rollout = state.rollout;
  const why = broken.stale
    ? `lease expired ${Math.round((broken.ageMs - broken.lock.lease_ms) / 1000)}s ago (holder presumed dead)`
    : `holder alive (renewed ${Math.round(broken.ageMs / 1000)}s ago): ${by.command} is never blocked by a lock`;
  return {
    type: "manual",
    action: "lock_broken",
    at,
    environment: state.environment,
    deploy_id: broken.lock.deploy_id,
    release: rollout?.release ?? null,
    commit: rollout?.commit ?? null,
    commit_time: rollout?.commit_time ?? null,
    actor: by.actor,
    reason: `${by.command} broke the lock of ${broken.lock.owner} (${broken.lock.command}): ${why}`,
  };
}

/** One line for `status` and refusals. */
export function describeLock(view: LockView): string {
  const age = Math.round(view.ageMs / 1000);
  return `${view.lock.owner} (${view.lock.command}${view.lock.deploy_id === null ? "" : ` ${view.lock.deploy_id}`}), renewed ${age}s ago, ${
    view.stale ? "STALE: its holder stopped renewing it" : `lease ${Math.round(view.lock.lease_ms / 1000)}s`
  }`;
}
