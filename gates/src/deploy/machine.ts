import type { DeployEvent } from "./actions.js";
import {
  allOn,
  otherSlot,
  sameWeights,
  type DeployState,
  type Rollout,
  type Slot,
  type StepRecord,
  type Weights,
} from "./state.js";
import { type At, type Transition, chain, decide, entry, ledger, notice, notify, reject } from "./machine-parts.js";
import { abort, failed, failedAny, retired, rollback, startRollback } from "./machine-rollback.js";
import { moveAll, rollbackFailed, rollbackRetry, rolledBack } from "./machine-traffic-back.js";
import { advance, inconclusive, shiftTo } from "./machine-steps.js";

export { type Transition, weightsFor } from "./machine-parts.js";

/**
 * The blue-green controller as a pure function: `(state, event) -> {state, actions}`. It decides;
 * the runner does (router, probes, hooks, ledger, notifications) and reports back as events.
 * An event that makes no sense in the current phase is `rejected` with the reason and changes
 * nothing, so a late or duplicated event can never move traffic.
 */
export function transition(state: DeployState, event: DeployEvent): Transition {
  switch (event.type) {
    case "start":
      return start(state, event);
    case "hook_done":
      return afterHook(state, event);
    case "health":
      return afterHealth(state, event);
    case "warmed":
      return withRollout(state, "warming_up", event, (rollout) =>
        event.ok
          ? shiftTo(state, rollout, 0)
          : failed(state, rollout, event.at, `warm-up of the ${rollout.to} slot failed: ${event.detail}`),
      );
    case "weights_confirmed":
      return confirmed(state, event.at, event.weights);
    case "weights_failed":
      return routerFailed(state, event);
    case "measurement":
      return withRollout(state, "analysing", event, (rollout) => measured(state, rollout, event));
    case "bake_elapsed":
      return withRollout(state, "analysing", event, (rollout) =>
        rollout.counts.pass === 0
          ? inconclusive(state, rollout, event.at, "no passing measurement during the bake")
          : advance(state, rollout, event.at, "pass", `${rollout.counts.pass} window(s) passed`),
      );
    case "promote":
      return promote(state, event);
    case "abort":
      return abort(state, event);
    case "rollback":
      return rollback(state, event);
    case "retired":
      return retired(state, event);
  }
}

// --- internal ---

/**
 * A deploy starts only from what the router really serves: the slot it is about to run the deploy
 * hook on must serve nothing, and the stored state must agree with the router (a lost or stale
 * state would otherwise make the deploy guess which slot is live).
 */
function liveRefusal(state: DeployState, live: Weights | null, to: Slot): string | null {
  if (live === null) return null;
  const serving = `the router serves blue ${live.blue} % / green ${live.green} %`;
  const stored = `the stored state says blue ${state.weights.blue} % / green ${state.weights.green} %`;
  const sync = "run `portcullis state sync` to rebuild the state from the router's live weights";
  if (sameWeights(live, state.weights)) {
    if (live[to] === 0) return null;
    return `${serving}: the ${to} slot serves users, so no deploy hook may run on it; roll back or finish the deploy in progress first`;
  }
  return `state and router disagree: ${serving}, ${stored}; ${sync}`;
}

function withRollout(
  state: DeployState,
  phase: DeployState["phase"],
  event: DeployEvent,
  then: (rollout: Rollout) => Transition,
): Transition {
  if (state.phase !== phase || state.rollout === null)
    return reject(state, `${event.type} ignored in phase ${state.phase}`);
  return then(state.rollout);
}

function start(state: DeployState, event: Extract<DeployEvent, { type: "start" }>): Transition {
  if (state.phase !== "idle" || state.rollout !== null)
    return reject(state, `a deploy is already in phase ${state.phase}`);
  const from = state.active;
  const to = otherSlot(from);
  const refused = liveRefusal(state, event.live, to);
  if (refused !== null) return reject(state, refused);
  const rollout: Rollout = {
    ...event.rollout,
    from,
    to,
    previous_release: state.slots[from].release,
    plan: event.plan,
    step: -1,
    counts: { pass: 0, fail: 0, inconclusive: 0 },
    steps: [],
    started_at: event.at,
    paused_reason: null,
  };
  const next: DeployState = {
    ...state,
    rollout,
    // Unproven until this deploy promotes it, so that however else the deploy ends (rolled back,
    // aborted, failed, interrupted) no plain rollback sends users to the release it put there.
    slots: { ...state.slots, [to]: { release: rollout.release, retired: false, standing: "unproven" } },
    phase: event.plan.deploy_hook ? "preparing" : "health_check",
    // A promotion asked of an earlier deploy must never promote this one.
    promote_request: null,
  };
  const forced =
    rollout.forced_reason === null
      ? []
      : [
          notice(
            next,
            rollout,
            event.at,
            "forced",
            "high",
            `deploy of ${rollout.release} forced past the gates: ${rollout.forced_reason}`,
          ),
        ];
  return {
    state: next,
    actions: [
      ledger(
        entry(next, rollout, event.at, "deploy_started", {
          from_slot: from,
          to_slot: to,
          previous_release: rollout.previous_release,
          forced_reason: rollout.forced_reason,
        }),
      ),
      notify(
        notice(
          next,
          rollout,
          event.at,
          "deploy_started",
          "info",
          `deploying ${rollout.release} to ${to} (live: ${rollout.previous_release ?? "nothing"} on ${from})`,
        ),
      ),
      ...forced.map(notify),
      event.plan.deploy_hook
        ? { type: "run_hook", hook: "deploy", slot: to, release: rollout.release }
        : { type: "check_health", slot: to },
    ],
  };
}

function afterHook(state: DeployState, event: Extract<DeployEvent, { type: "hook_done" }>): Transition {
  if (state.phase !== "preparing") return reject(state, `hook_done ignored in phase ${state.phase}`);
  const slot = state.rollout?.to ?? state.rollback?.target;
  if (slot === undefined) return reject(state, "hook_done without a deploy or rollback");
  if (event.ok) return { state: { ...state, phase: "health_check" }, actions: [{ type: "check_health", slot }] };
  return failedAny(state, event.at, `deploy hook failed on the ${slot} slot: ${event.detail}`);
}

function afterHealth(state: DeployState, event: Extract<DeployEvent, { type: "health" }>): Transition {
  if (state.phase !== "health_check") return reject(state, `health ignored in phase ${state.phase}`);
  const rollback = state.rollback;
  const slot = rollback?.target ?? state.rollout?.to;
  if (slot === undefined) return reject(state, "health without a deploy or rollback");
  if (!event.ok) {
    const reason = `the ${slot} slot is not healthy: ${event.detail}`;
    // A rollback under way (during a deploy, or resumed) stays under way for the next `rollback`.
    const underWay = rollback !== null && (state.rollout !== null || rollback.resuming === true);
    return underWay
      ? rollbackFailed({ ...state, phase: "rolling_back" }, event.at, reason)
      : failedAny(state, event.at, reason);
  }
  if (rollback === null) return { state: { ...state, phase: "warming_up" }, actions: [{ type: "warm_up", slot }] };
  return moveAll(
    state,
    slot,
    state.rollout !== null
      ? `rollback: ${slot} healthy, all traffic to it at once`
      : `${rollback.resuming === true ? "resuming an unfinished rollback: " : ""}previous release healthy: all traffic to it at once`,
  );
}

function confirmed(state: DeployState, at: At, weights: Weights): Transition {
  const pending = state.pending_weights;
  if (pending === null || !sameWeights(pending, weights))
    return reject(state, "weights_confirmed does not match the weights asked for");
  const base: DeployState = { ...state, weights, pending_weights: null };
  if (state.phase === "rolling_back") return rolledBack(base, at);
  const rollout = state.rollout;
  if (state.phase !== "shifting" || rollout === null)
    return reject(state, `weights_confirmed ignored in phase ${state.phase}`);
  const record: StepRecord = {
    index: rollout.step,
    percent: rollout.plan.steps[rollout.step] ?? 100,
    weights,
    confirmed_at: at,
    windows: [],
    decision: null,
    reason: null,
    decided_at: null,
  };
  const next: Rollout = { ...rollout, steps: [...rollout.steps, record] };
  const nextState: DeployState = { ...base, phase: "analysing", rollout: next };
  return {
    state: nextState,
    actions: [
      notify(
        notice(
          nextState,
          next,
          at,
          "step",
          "info",
          `step ${rollout.step + 1}/${rollout.plan.steps.length}: ${record.percent} % on ${rollout.to} (${rollout.release}), analysing`,
        ),
      ),
      { type: "analyse", slot: rollout.to, step: rollout.step },
    ],
  };
}

function routerFailed(state: DeployState, event: Extract<DeployEvent, { type: "weights_failed" }>): Transition {
  if (state.phase === "rolling_back" && state.rollback !== null)
    return rollbackRetry(state, state.rollback, event.at, event.error);
  const rollout = state.rollout;
  if (state.phase !== "shifting" || rollout === null)
    return reject(state, `weights_failed ignored in phase ${state.phase}`);
  const reason = `router failed at step ${rollout.step + 1}: ${event.error}`;
  const untouched = !event.applied && sameWeights(state.weights, allOn(rollout.from));
  if (untouched) return failed({ ...state, pending_weights: null }, rollout, event.at, reason);
  return startRollback({ ...state, pending_weights: null }, rollout, {
    kind: "auto",
    actor: rollout.actor,
    reason,
    at: event.at,
    deadline_ms: rollout.plan.rollback_deadline_ms,
    cause: "router",
  });
}

function measured(
  state: DeployState,
  rollout: Rollout,
  event: Extract<DeployEvent, { type: "measurement" }>,
): Transition {
  const { window } = event;
  const counts = { ...rollout.counts };
  if (window.result === "pass") counts.pass += 1;
  else if (window.result === "fail") counts.fail += 1;
  else counts.inconclusive += 1;
  const steps = rollout.steps.map((step, i) =>
    i === rollout.steps.length - 1 ? { ...step, windows: [...step.windows, window] } : step,
  );
  const next: Rollout = { ...rollout, counts, steps };
  const nextState: DeployState = { ...state, rollout: next };
  if (window.result === "fail" && counts.fail > rollout.plan.failure_limit) {
    const decided = decide(
      nextState,
      next,
      event.at,
      "fail",
      `${counts.fail} failed window(s) > failure_limit ${rollout.plan.failure_limit}: ${window.reason}`,
    );
    return chain(decided, (s, r) =>
      startRollback(s, r, {
        kind: "auto",
        actor: r.actor,
        reason: `analysis failed at step ${r.step + 1}: ${window.reason}`,
        at: event.at,
        deadline_ms: r.plan.rollback_deadline_ms,
        cause: "release",
      }),
    );
  }
  if (
    (window.result === "inconclusive" || window.result === "error") &&
    counts.inconclusive > rollout.plan.inconclusive_limit
  ) {
    return inconclusive(
      nextState,
      next,
      event.at,
      `${counts.inconclusive} inconclusive window(s) > inconclusive_limit ${rollout.plan.inconclusive_limit}: ${window.reason}`,
    );
  }
  return { state: nextState, actions: [] };
}

function promote(state: DeployState, event: Extract<DeployEvent, { type: "promote" }>): Transition {
  const rollout = state.rollout;
  if (rollout === null || (state.phase !== "paused" && state.phase !== "analysing"))
    return reject(state, `nothing to promote in phase ${state.phase}`);
  const manual = ledger(
    entry(state, rollout, event.at, "manual", { action: "promote", reason: `promoted by ${event.actor}` }, event.actor),
  );
  const told = notify(
    notice(state, rollout, event.at, "promoted", "info", `${rollout.release} promoted by ${event.actor}`),
  );
  const cleared: DeployState = { ...state, promote_request: null };
  const current = rollout.steps.at(-1);
  const result =
    state.phase === "paused" && current?.decision !== null && current?.decision !== undefined
      ? shiftTo(cleared, rollout, rollout.step + 1)
      : advance(
          cleared,
          rollout,
          event.at,
          "promoted",
          `promoted by ${event.actor}${rollout.paused_reason === null ? "" : ` (${rollout.paused_reason})`}`,
        );
  return { state: result.state, actions: [manual, told, ...result.actions] };
}
