import { PortcullisError, IoError, messageOf } from "../errors.js";
import type { DeployAction, DeployEvent } from "./actions.js";
import type { Analyzer } from "./analysis/analyzer.js";
import { checksWithoutData } from "./analysis/judge.js";
import { chainEntries, type LedgerEntry, type LedgerHead } from "./ledger.js";
import { holdsLock } from "./lock.js";
import { transition } from "./machine.js";
import type { Notifier } from "./notify.js";
import { RouterError, type Router } from "./routers/router.js";
import { hostname } from "node:os";
import { processStart } from "./hook-process.js";
import { describeFailure, runShell, type ShellResult } from "./shell.js";
import type { DeployState, Lock, RunningHook, Slot } from "./state.js";
import { StoreConflictError, type Snapshot, type StateStore } from "./stores/store.js";

/**
 * The thin runner around the pure machine: feeds it events, saves every transition
 * (compare-and-swap, renewing the lock), then carries out the actions and turns their results
 * into the next events. It decides nothing itself.
 */
export interface ControllerDeps {
  store: StateStore;
  router: Router;
  analyzer: Analyzer;
  notifier: Notifier;
  hooks: {
    deploy?: string | undefined;
    retire?: string | undefined;
    timeoutMs: number;
    cwd: string;
    urls: Readonly<Record<Slot, string>>;
    /** Stops a hook that is running (a cancelled deploy does not wait for it to time out). */
    signal?: AbortSignal | undefined;
  };
  timing: {
    bakeMs: number;
    intervalMs: number;
    scaleDownDelayMs: number;
    leaseMs: number;
    /** How long a rollback keeps retrying a router that refuses it. */
    rollbackDeadlineMs: number;
  };
  environment: string;
  actor: string;
  /** Unique per process: who holds the lock. */
  owner: string;
  log: (line: string) => void;
}

/** Another controller took the lock (a rollback or abort broke it, or our lease ran out). */
export class TakenOverError extends IoError {
  override readonly name = "TakenOverError";
  readonly by: Lock | null;

  constructor(by: Lock | null) {
    // By the time a deploy looks, a rollback or abort that broke its lock has often finished and released it.
    super(
      by === null
        ? "the deploy lock was broken and released by another command (a rollback or an abort)"
        : `the deploy lock was taken by ${by.owner} (${by.command})`,
      {
        fix: "see `portcullis status` and `portcullis history`",
      },
    );
    this.by = by;
  }
}

export type Finish = Extract<DeployAction, { type: "finish" }>;

/** What to look at when a check never had data, for the checks that are no PromQL query of the user's. */
const NO_DATA_HINTS: Readonly<Record<string, string>> = {
  nginx_access_log:
    "does nginx write the new slot's requests to nginx_access_log, in `log_format portcullis`, and do users reach it?",
  prometheus_traffic: "does prometheus_traffic_query match the release's metrics?",
};

export class Controller {
  state: DeployState;
  outcome: Finish | null = null;
  /** Why the machine refused the last event it refused, for the command's message. */
  lastRejection: string | null = null;
  private token: string | null;
  private ledgerHead: LedgerHead | null;
  private saving: Promise<unknown> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | undefined;
  /** Promotion requests already acted on (by their time), so one request promotes one step. */
  private readonly consumed = new Set<string>();
  /** Stops the hook running now, if any. */
  private hookStop: AbortController | undefined;

  constructor(
    private readonly deps: ControllerDeps,
    snapshot: Snapshot,
    state: DeployState,
  ) {
    this.state = state;
    this.token = snapshot.token;
    this.ledgerHead = snapshot.ledgerHead;
  }

  /** Saves `next` (our lock renewed, or released) with the ledger entries, atomically and in call order. */
  commit(
    next: DeployState | "current",
    entries: readonly LedgerEntry[] = [],
    lock: "renew" | "release" = "renew",
  ): Promise<void> {
    const run = this.saving.then(() => this.save(next, entries, lock, true));
    this.saving = run.catch(() => undefined);
    return run;
  }

  /** The save that takes the lock: a conflict is reported (StoreConflictError), never merged. */
  acquire(next: DeployState, entries: readonly LedgerEntry[]): Promise<void> {
    const run = this.saving.then(() => this.save(next, entries, "renew", false));
    this.saving = run.catch(() => undefined);
    return run;
  }

  /** Reloads; throws TakenOverError when our lock is gone, else picks up a promotion request. */
  async refresh(): Promise<void> {
    const snapshot = await this.deps.store.load();
    if (!holdsLock(snapshot.state, this.deps.owner) || snapshot.state === null)
      throw new TakenOverError(snapshot.state?.lock ?? null);
    this.adopt(snapshot, snapshot.state);
  }

  startHeartbeat(): void {
    this.heartbeat = setInterval(
      () => {
        this.commit("current").catch((error: unknown) => {
          // A takeover is reported by the main flow on its next save; only other failures are news.
          // A hook still running is not ours to run any more: it is stopped now, not when it ends.
          if (error instanceof TakenOverError) {
            this.stopHeartbeat();
            this.hookStop?.abort();
          } else this.deps.log(`lease renewal failed: ${messageOf(error)}`);
        });
      },
      Math.max(50, Math.floor(this.deps.timing.leaseMs / 3)),
    );
    this.heartbeat.unref();
  }

  stopHeartbeat(): void {
    clearInterval(this.heartbeat);
  }

  /** One event: transition, save, then each action in order. */
  async process(event: DeployEvent): Promise<void> {
    const result = transition(this.state, event);
    if (result.rejected !== undefined) {
      this.lastRejection = result.rejected;
      this.deps.log(`  (${result.rejected})`);
      return;
    }
    await this.commit(
      result.state,
      result.actions.flatMap((action) => (action.type === "ledger" ? [action.entry] : [])),
    );
    for (const action of result.actions) await this.execute(action);
  }

  // --- internal ---

  private async save(
    next: DeployState | "current",
    entries: readonly LedgerEntry[],
    lock: "renew" | "release",
    merge: boolean,
  ): Promise<void> {
    // "current" (the heartbeat) is read when the save runs, not when it was queued.
    let candidate = next === "current" ? this.state : next;
    for (let attempt = 0; ; attempt += 1) {
      const at = new Date().toISOString();
      const chained = chainEntries(this.ledgerHead, entries);
      const toSave: DeployState = {
        ...candidate,
        revision: this.state.revision + 1,
        updated_at: at,
        ledger_head: chained.head,
        lock: lock === "release" || candidate.lock === null ? null : { ...candidate.lock, renewed_at: at },
      };
      try {
        this.token = await this.deps.store.save(toSave, chained.lines, this.token);
        this.state = toSave;
        this.ledgerHead = chained.head;
        return;
      } catch (error) {
        if (!(error instanceof StoreConflictError) || !merge || attempt >= 5) throw error;
        // Someone else wrote: while we hold the lock, that can only be a promotion request.
        await this.refresh();
        candidate = { ...candidate, promote_request: this.state.promote_request };
      }
    }
  }

  private adopt(snapshot: Snapshot, stored: DeployState): void {
    this.token = snapshot.token;
    this.ledgerHead = snapshot.ledgerHead;
    const request = stored.promote_request;
    const fresh = request !== null && !this.consumed.has(request.at) ? request : null;
    this.state = { ...this.state, revision: stored.revision, promote_request: fresh };
  }

  /** Feeds a pending promotion request to the machine, once. */
  private promoteFrom(request: NonNullable<DeployState["promote_request"]>): Promise<void> {
    this.consumed.add(request.at);
    return this.process({ type: "promote", at: new Date().toISOString(), actor: request.actor });
  }

  private async execute(action: DeployAction): Promise<void> {
    const at = (): string => new Date().toISOString();
    switch (action.type) {
      case "ledger":
        return;
      case "notify":
        this.deps.notifier.send(action.notice);
        if (action.notice.event !== "step") this.deps.log(`[${action.notice.severity}] ${action.notice.message}`);
        return;
      case "finish":
        this.outcome = action;
        return;
      case "run_hook": {
        const result = await this.hook("deploy", this.deps.hooks.deploy, action.slot, action.release);
        return this.process({ type: "hook_done", at: at(), ...result });
      }
      case "check_health": {
        this.deps.log(`checking health of ${action.slot} (${this.deps.hooks.urls[action.slot]})`);
        const result = await this.deps.analyzer.health(action.slot);
        return this.process({ type: "health", at: at(), ...result });
      }
      case "warm_up": {
        const result = await this.deps.analyzer.warmUp(action.slot);
        return this.process({ type: "warmed", at: at(), ...result });
      }
      case "set_weights":
        return this.setWeights(action);
      case "analyse":
        return this.analyse(action.slot, action.step);
      case "wait_for_promotion":
        return this.waitForPromotion();
      case "retire": {
        await new Promise((resolve) => setTimeout(resolve, this.deps.timing.scaleDownDelayMs));
        const result = await this.hook(
          "retire",
          this.deps.hooks.retire,
          action.slot,
          this.state.slots[action.slot].release ?? "",
        );
        return this.process({ type: "retired", at: at(), ...result });
      }
    }
  }

  private async setWeights(action: Extract<DeployAction, { type: "set_weights" }>): Promise<void> {
    const attempts = this.state.phase === "rolling_back" ? (this.state.rollback?.attempts ?? 0) : 0;
    // Backoff between rollback attempts: 250 ms doubling to 5 s, until the machine's deadline.
    if (attempts > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** (attempts - 1))));
    this.deps.log(`${action.reason} -> blue ${action.weights.blue} % / green ${action.weights.green} %`);
    let event: DeployEvent;
    try {
      const confirmed = await this.deps.store.exclusive(async () => {
        // Checked inside the traffic section: once a rollback holds the lock, we never write again.
        await this.refresh();
        return this.deps.router.setWeights(action.weights);
      });
      event = { type: "weights_confirmed", at: new Date().toISOString(), weights: confirmed };
    } catch (error) {
      if (error instanceof TakenOverError) throw error;
      const applied = error instanceof RouterError ? error.applied : true;
      const message = error instanceof PortcullisError ? error.describe() : messageOf(error);
      this.deps.log(`router: ${message}`);
      event = { type: "weights_failed", at: new Date().toISOString(), error: message, applied };
    }
    return this.process(event);
  }

  private async analyse(slot: Slot, step: number): Promise<void> {
    const { bakeMs, intervalMs } = this.deps.timing;
    const windows = Math.max(1, Math.round(bakeMs / intervalMs));
    const release = this.state.rollout?.release ?? "";
    const stillHere = (): boolean => this.state.phase === "analysing" && this.state.rollout?.step === step;
    for (let i = 0; i < windows; i += 1) {
      const request = this.state.promote_request;
      if (request !== null) return this.promoteFrom(request);
      const window = await this.deps.analyzer.measure(slot, release);
      this.deps.log(`  window ${i + 1}/${windows}: ${window.result} (${window.reason})`);
      await this.process({ type: "measurement", at: window.at, window });
      if (!stillHere()) return;
    }
    // The step's windows as the state recorded them, every measurement of this step.
    for (const name of checksWithoutData(this.state.rollout?.steps.at(-1)?.windows ?? [])) {
      this.deps.log(
        `  warning: ${name} had no data in any window of step ${step + 1}: the step was judged without it (${NO_DATA_HINTS[name] ?? "does its query match the release's metrics?"})`,
      );
    }
    return this.process({ type: "bake_elapsed", at: new Date().toISOString() });
  }

  private async waitForPromotion(): Promise<void> {
    const pollMs = Math.min(1_000, Math.max(100, this.deps.timing.intervalMs));
    for (;;) {
      const request = this.state.promote_request;
      if (request !== null) return this.promoteFrom(request);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      await this.refresh();
    }
  }

  /**
   * Runs a hook, recorded in the state while it runs (see RunningHook): if this process dies, the
   * next command to take the lock stops it. Stopped at once when another command takes the lock.
   */
  private async hook(
    kind: RunningHook["kind"],
    command: string | undefined,
    slot: Slot,
    release: string,
  ): Promise<{ ok: boolean; detail: string }> {
    if (command === undefined) return { ok: true, detail: "no hook configured" };
    this.deps.log(`hook for ${slot}: ${command}`);
    // Stopped by a cancelled deploy (its signal) or by a takeover (this one).
    const stop = new AbortController();
    const cancelled = this.deps.hooks.signal;
    this.hookStop = stop;
    let pgid: number | undefined;
    const running = runShell(command, {
      cwd: this.deps.hooks.cwd,
      timeoutMs: this.deps.hooks.timeoutMs,
      signal: cancelled === undefined ? stop.signal : AbortSignal.any([stop.signal, cancelled]),
      onStart: (pid) => (pgid = pid),
      env: {
        PORTCULLIS_SLOT: slot,
        PORTCULLIS_SLOT_URL: this.deps.hooks.urls[slot],
        PORTCULLIS_RELEASE: release,
        PORTCULLIS_ENVIRONMENT: this.deps.environment,
      },
    });
    let result: ShellResult;
    try {
      if (pgid !== undefined) {
        const started: RunningHook = {
          kind,
          slot,
          release,
          pgid,
          host: hostname(),
          process_start: processStart(pgid),
          started_at: new Date().toISOString(),
          owner: this.deps.owner,
        };
        await this.commit({ ...this.state, hook: started });
      }
      result = await running;
    } catch (error) {
      // Not ours to run any more (another command took the lock): it must not go on.
      stop.abort();
      await running;
      throw error;
    } finally {
      this.hookStop = undefined;
    }
    if (pgid !== undefined) await this.commit({ ...this.state, hook: null });
    if (result.outputHeld) {
      this.deps.log(
        `hook for ${slot}: a process it left running still holds the hook's output open; redirect its output (\`… > app.log 2>&1 &\`), or it may stop when this command ends`,
      );
    }
    return { ok: result.ok, detail: result.ok ? "hook succeeded" : describeFailure(command, result) };
  }
}
