import { summarizeDeploys } from "./metrics.js";
import { Controller, TakenOverError, type ControllerDeps, type Finish } from "./controller.js";
import { parseLedger, type LedgerEntry, type LedgerRecord } from "./ledger.js";
import { acquireLock, describeLock, lockBrokenEntry, sameProcess, seizeLock, viewLock } from "./lock.js";
import { PortcullisError } from "../errors.js";
import { initialState, otherSlot, type DeployState, type Plan, type Slot, type Weights } from "./state.js";
import { StoreConflictError } from "./stores/store.js";
import { hostname } from "node:os";
import { stopProcessGroup } from "./hook-process.js";

/**
 * Entry points of the controller: a deploy, a rollback or abort (never blocked by the lock), and
 * a promotion request to a running deploy. Each returns what happened; the CLI maps it to an
 * exit code.
 */

export interface DeployRequest {
  id: string;
  release: string;
  commit: string | null;
  commit_time: string | null;
  forced_reason: string | null;
  plan: Plan;
}

export type RunResult =
  | { kind: "not_started"; reason: string }
  | { kind: "rejected"; reason: string }
  | {
      kind: "finished";
      outcome: Finish["outcome"];
      reason: string;
      traffic_moved: boolean;
      rollback_failed: boolean;
    }
  | { kind: "taken_over"; reason: string }
  /** The deploy's settings cannot work (a PromQL query Prometheus refuses): nothing was changed. */
  | { kind: "misconfigured"; reason: string }
  /** The ledger's chain is broken: nothing that reads or extends it may go on. */
  | { kind: "ledger_broken"; reason: string };

export async function runDeploy(deps: ControllerDeps, request: DeployRequest): Promise<RunResult> {
  const snapshot = await deps.store.load();
  if (snapshot.ledgerBroken !== null) return ledgerBroken(deps, snapshot.ledgerBroken);
  const now = new Date();
  const base = snapshot.state ?? initialState(deps.environment, now.toISOString());
  const acquired = acquireLock(
    base,
    { owner: deps.owner, command: "deploy", deploy_id: request.id, lease_ms: deps.timing.leaseMs },
    now,
  );
  if (!acquired.ok)
    return { kind: "not_started", reason: `another controller holds the lock: ${describeLock(acquired.holder)}` };
  const controller = new Controller(deps, snapshot, base);
  const entries: LedgerEntry[] =
    acquired.broken === null
      ? []
      : [lockBrokenEntry(base, acquired.broken, { actor: deps.actor, command: "deploy" }, now.toISOString())];
  try {
    await controller.acquire(acquired.state, entries);
  } catch (error) {
    if (error instanceof StoreConflictError)
      return { kind: "not_started", reason: `${error.message}: another controller started at the same time` };
    throw error;
  }
  return supervise(deps, controller, async () => {
    const orphan = await stopOrphanedHook(deps, controller, "deploy");
    if (orphan !== null) return orphan;
    const recovered = await recover(deps, controller);
    if (recovered !== null) return recovered;
    const live = await liveWeights(deps);
    if (typeof live === "string") return { kind: "not_started", reason: live };
    if (live === null)
      deps.log(
        `${deps.router.description} cannot report its live weights: trusting the stored state (set command_get)`,
      );
    // Before users reach the release: a query that can never be judged would fail its first window.
    const target = otherSlot(controller.state.active);
    const preflight = await deps.analyzer.preflight(target, request.release);
    if (preflight !== undefined) {
      const asked = `asking Prometheus each query once for ${request.release} on ${target}`;
      return preflight.cause === "query"
        ? { kind: "misconfigured", reason: `${asked}: ${preflight.problem}` }
        : { kind: "not_started", reason: `${asked}: ${preflight.problem}; no step could be judged` };
    }
    await controller.process({
      type: "start",
      live,
      at: new Date().toISOString(),
      rollout: {
        id: request.id,
        release: request.release,
        commit: request.commit,
        commit_time: request.commit_time,
        actor: deps.actor,
        forced_reason: request.forced_reason,
      },
      plan: request.plan,
    });
    return resultOf(controller);
  });
}

export interface InterventionRequest {
  kind: "rollback" | "abort";
  reason: string;
  toPrevious: boolean;
  deployHook: boolean;
}

/** Rollback or abort: seizes the lock whoever holds it (recording why), then moves all traffic at once. */
export async function runIntervention(deps: ControllerDeps, request: InterventionRequest): Promise<RunResult> {
  const seized = await deps.store.exclusive(async () => {
    for (let attempt = 0; ; attempt += 1) {
      const snapshot = await deps.store.load();
      const now = new Date();
      const base = snapshot.state ?? initialState(deps.environment, now.toISOString());
      const taken = seizeLock(
        base,
        {
          owner: deps.owner,
          command: request.kind,
          deploy_id: base.rollout?.id ?? null,
          lease_ms: deps.timing.leaseMs,
        },
        now,
      );
      const controller = new Controller(deps, snapshot, base);
      const entries =
        taken.broken === null
          ? []
          : [lockBrokenEntry(base, taken.broken, { actor: deps.actor, command: request.kind }, now.toISOString())];
      try {
        await controller.acquire(taken.state, entries);
        return { controller, ledgerText: snapshot.ledgerText, broken: snapshot.ledgerBroken };
      } catch (error) {
        if (!(error instanceof StoreConflictError) || attempt >= 10) throw error;
      }
    }
  });
  const { controller, ledgerText, broken } = seized;
  return supervise(deps, controller, async () => {
    // --to-previous takes a release name from the ledger: never from a broken chain (nor is a
    // stopped hook written to it first). A plain rollback reads nothing from it, so a damaged
    // ledger never blocks an emergency.
    if (request.kind === "rollback" && request.toPrevious && broken !== null) return ledgerBroken(deps, broken);
    // Never a reason to hold back a rollback: a hook that cannot be stopped is said and recorded.
    await stopOrphanedHook(deps, controller, request.kind);
    const at = new Date().toISOString();
    const deadline_ms = deps.timing.rollbackDeadlineMs;
    if (request.kind === "abort") {
      await controller.process({ type: "abort", at, actor: deps.actor, reason: request.reason, deadline_ms });
    } else {
      const previous = request.toPrevious
        ? previousStable(parseLedger(ledgerText), controller.state, request.deployHook)
        : undefined;
      if (request.toPrevious && previous === undefined)
        return { kind: "rejected", reason: "the ledger records no earlier stable release than the live one" };
      await controller.process({
        type: "rollback",
        at,
        actor: deps.actor,
        reason: request.reason,
        deadline_ms,
        ...(broken === null ? {} : { ledger_broken: broken }),
        ...(previous === undefined ? {} : { previous }),
      });
    }
    if (controller.outcome === null)
      return {
        kind: "rejected",
        reason: controller.lastRejection ?? `nothing to ${request.kind} in phase ${controller.state.phase}`,
      };
    return resultOf(controller);
  });
}

/** Asks the running deploy to promote; the controller acts on it and records it. */
export async function requestPromotion(
  deps: Pick<ControllerDeps, "store" | "actor" | "environment">,
): Promise<RunResult> {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const snapshot = await deps.store.load();
    const state = snapshot.state;
    if (state?.rollout === null || state === null || (state.phase !== "paused" && state.phase !== "analysing")) {
      return { kind: "rejected", reason: `no deploy waiting for promotion (phase ${state?.phase ?? "idle"})` };
    }
    const lock = viewLock(state, new Date());
    if (lock === null || lock.stale) {
      return {
        kind: "not_started",
        reason: `no controller is running ${state.rollout.id} (${lock === null ? "no lock" : describeLock(lock)}): run \`portcullis abort\` or deploy again`,
      };
    }
    const next: DeployState = {
      ...state,
      revision: state.revision + 1,
      updated_at: new Date().toISOString(),
      promote_request: { actor: deps.actor, at: new Date().toISOString() },
    };
    try {
      await deps.store.save(next, "", snapshot.token);
      return {
        kind: "finished",
        outcome: "succeeded",
        reason: `promotion of ${state.rollout.release} requested; ${lock.lock.owner} will act on it`,
        traffic_moved: false,
        rollback_failed: false,
      };
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
    }
  }
  return { kind: "not_started", reason: "the deployment state kept changing; try again" };
}

/**
 * The release live before the current one, from the ledger: the last release that succeeded
 * before the deploy that put the live release up (a release rolled back to is found by its own
 * earlier deploy), so a second `--to-previous` goes further back instead of returning to the
 * release just left. A release rolled back after it succeeded is skipped: `metrics` counts it a
 * change failure, and it is no stable release to return to. Served by a slot still up, or
 * redeployed on the idle slot.
 */
export function previousStable(
  records: readonly LedgerRecord[],
  state: DeployState,
  deployHook: boolean,
): { release: string; slot: Slot; redeploy: boolean; deploy_hook: boolean } | undefined {
  const live = state.slots[state.active].release;
  const succeeded = records.filter(
    (record) => record.type === "deploy_finished" && record.outcome === "succeeded" && record.release !== null,
  );
  const reverted = new Set(
    summarizeDeploys(records)
      .filter((deploy) => deploy.reverted_at !== null)
      .map((deploy) => deploy.id),
  );
  const liveDeploy = succeeded.findLastIndex((record) => record.release === live);
  const before = liveDeploy < 0 ? succeeded : succeeded.slice(0, liveDeploy);
  const release = before.findLast(
    (record) => record.release !== live && (record.deploy_id === null || !reverted.has(record.deploy_id)),
  )?.release;
  if (release === undefined || release === null) return undefined;
  const idle = otherSlot(state.active);
  const serving = state.slots[idle].release === release && !state.slots[idle].retired;
  return { release, slot: idle, redeploy: !serving, deploy_hook: deployHook };
}

// --- internal ---

async function supervise(
  deps: ControllerDeps,
  controller: Controller,
  body: () => Promise<RunResult>,
): Promise<RunResult> {
  controller.startHeartbeat();
  let takenOver = false;
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof TakenOverError)) throw error;
    takenOver = true;
    return { kind: "taken_over", reason: error.message };
  } finally {
    controller.stopHeartbeat();
    if (!takenOver)
      await controller
        .commit("current", [], "release")
        .catch((error: unknown) => deps.log(`could not release the lock: ${String(error)}`));
    await deps.notifier.flush(5_000);
  }
}

/** How long a hook left by another controller gets to end after SIGTERM, and again after SIGKILL. */
const ORPHAN_GRACE_MS = 5_000;

/**
 * A hook the state records for another controller (one that died, or whose lock was just taken):
 * stopped before anything else, since it would go on changing a slot that may now serve users,
 * and recorded in the ledger. One this host cannot stop (another host's, or one whose start was not
 * recorded) is said and recorded too; a deploy then refuses to start, a rollback or abort goes on.
 */
async function stopOrphanedHook(
  deps: ControllerDeps,
  controller: Controller,
  command: "deploy" | "rollback" | "abort",
): Promise<RunResult | null> {
  const hook = controller.state.hook;
  if (hook === null || hook.owner === deps.owner) return null;
  // A cancelled deploy's own abort: the deploy stops its hook itself (its signal), nothing is orphaned.
  if (sameProcess(hook.owner, deps.owner)) {
    await controller.commit({ ...controller.state, hook: null });
    return null;
  }
  const here = hostname();
  const fate =
    hook.host === here
      ? await stopProcessGroup(hook.pgid, hook.process_start, { graceMs: ORPHAN_GRACE_MS })
      : "elsewhere";
  const what = `the ${hook.kind} hook of ${hook.owner} for ${hook.slot} (${hook.release}; process group ${hook.pgid} on ${hook.host}, started ${hook.started_at})`;
  const said = {
    stopped: `stopped ${what}`,
    ended: `${what} had ended`,
    unkillable: `could not stop ${what}: it survived SIGKILL`,
    unknown: `left ${what} alone: its start was not recorded, so process group ${hook.pgid} may be another program's now`,
    elsewhere: `cannot stop ${what} from ${here}`,
  }[fate];
  deps.log(said);
  const ok = fate === "stopped" || fate === "ended";
  if (!ok && command === "deploy") {
    return {
      kind: "not_started",
      reason: `${said}: make sure it has ended (on ${hook.host}: \`kill -TERM -- -${hook.pgid}\`), then run \`portcullis abort\`, which records that and clears it (and then says whether there was anything else to abort)`,
    };
  }
  await controller.commit({ ...controller.state, hook: null }, [
    {
      type: "manual",
      action: "hook_stopped",
      at: new Date().toISOString(),
      environment: controller.state.environment,
      deploy_id: controller.state.rollout?.id ?? null,
      release: hook.release,
      commit: controller.state.rollout?.commit ?? null,
      commit_time: controller.state.rollout?.commit_time ?? null,
      actor: deps.actor,
      to_slot: hook.slot,
      ok,
      reason: `${command}: ${said}`,
    },
  ]);
  return null;
}

/** A deploy found the previous one interrupted (its lease expired): make it safe first. */
async function recover(deps: ControllerDeps, controller: Controller): Promise<RunResult | null> {
  const state = controller.state;
  if (state.phase === "idle") return null;
  const at = new Date().toISOString();
  const what =
    state.rollout === null
      ? `an unfinished ${state.phase}`
      : `deploy ${state.rollout.id} (${state.rollout.release}) interrupted in phase ${state.phase}`;
  deps.log(`found ${what}: restoring a safe state first`);
  if (state.phase === "retiring")
    await controller.process({
      type: "retired",
      at,
      ok: false,
      detail: "controller stopped before retiring the old slot",
    });
  else if (state.rollout !== null)
    await controller.process({
      type: "abort",
      at,
      actor: deps.actor,
      reason: "its controller stopped (lease expired); traffic restored before a new deploy",
      deadline_ms: deps.timing.rollbackDeadlineMs,
    });
  else
    await controller.process({
      type: "rollback",
      at,
      actor: deps.actor,
      reason: "resuming an unfinished rollback before a new deploy",
      deadline_ms: deps.timing.rollbackDeadlineMs,
    });
  controller.outcome = null;
  if (controller.state.phase === "idle") return null;
  return {
    kind: "not_started",
    reason: `could not restore a safe state after ${what} (phase ${controller.state.phase})`,
  };
}

function resultOf(controller: Controller): RunResult {
  const outcome = controller.outcome;
  if (outcome === null)
    return { kind: "rejected", reason: controller.lastRejection ?? `stopped in phase ${controller.state.phase}` };
  return {
    kind: "finished",
    outcome: outcome.outcome,
    reason: outcome.reason,
    traffic_moved: outcome.traffic_moved,
    rollback_failed: outcome.rollback_failed,
  };
}

/** The router's live weights, or why they could not be read (a deploy never guesses them). */
async function liveWeights(deps: ControllerDeps): Promise<Weights | null | string> {
  try {
    return await deps.router.readWeights();
  } catch (error) {
    const message = error instanceof PortcullisError ? error.describe() : String(error);
    return `could not read the live weights from ${deps.router.description}: ${message}`;
  }
}

function ledgerBroken(deps: ControllerDeps, broken: string): RunResult {
  return {
    kind: "ledger_broken",
    reason: `the ledger of ${deps.environment} in ${deps.store.description} is broken at ${broken}: run \`portcullis ledger verify\`, restore the ledger from a backup or the store's history`,
  };
}
