import { IoError } from "../../errors.js";
import type { LedgerHead } from "../ledger.js";
import type { DeployState } from "../state.js";

/**
 * Where one environment's deployment state and ledger live. Saves are compare-and-swap on an
 * opaque token, so two controllers (two CI runners, a deploy and a rollback) never overwrite each
 * other unknowingly; the lock inside the state is built on top of that.
 */
export interface Snapshot {
  state: DeployState | null;
  ledgerText: string;
  /** The record the next one chains from (see ledgerChain): never a cut or rewritten tail. */
  ledgerHead: LedgerHead | null;
  /** The first line that breaks the ledger's chain, `line N: …`; null when it is intact. */
  ledgerBroken: string | null;
  /** Changes on every save; null when nothing was ever saved. */
  token: string | null;
}

export interface StateStore {
  /** For messages: `directory .portcullis/state/production`. */
  readonly description: string;
  load(): Promise<Snapshot>;
  /** Appends `ledgerLines` and writes `state` if the stored token is still `expected`; returns the new token. */
  save(state: DeployState, ledgerLines: string, expected: string | null): Promise<string>;
  /** Runs `fn` while no other controller using this store can; router writes go through here. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

/** The state changed since it was read: reload and decide again. */
export class StoreConflictError extends IoError {
  override readonly name = "StoreConflictError";

  constructor(store: string, detail: string) {
    super(`deployment state in ${store} changed concurrently (${detail})`, {
      fix: "retry; another controller wrote in between",
    });
  }
}
