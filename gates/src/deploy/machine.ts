import type { DeployAction, DeployEvent, Notice, NotifyEvent, Severity } from "./actions.js";
import type { LedgerEntry, Outcome } from "./ledger.js";
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

/**
 * The blue-green controller as a pure function: `(state, event) -> {state, actions}`. It decides;
 * the runner does (router, probes, hooks, ledger, notifications) and reports back as events.
 * An event that makes no sense in the current phase is `rejected` with the reason and changes
 * nothing, so a late or duplicated event can never move traffic.
 */
export interface Transition {
  state: DeployState;
  actions: DeployAction[];
  rejected?: string;
}

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

/** Weights with `percent` on `slot` and the rest on the other one. */
export function weightsFor(slot: Slot, percent: number): Weights {
  return slot === "blue" ? { blue: percent, green: 100 - percent } : { blue: 100 - percent, green: percent };
}

/** Phases in which a deploy is in progress (a controller should be holding the lock). */
export function inProgress(state: DeployState): boolean {
  return state.phase !== "idle";
}

// --- internal ---

type At = string;

function reject(state: DeployState, reason: string): Transition {
  return { state, actions: [], rejected: reason };
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
    slots: { ...state.slots, [to]: { release: rollout.release, retired: false } },
    phase: event.plan.deploy_hook ? "preparing" : "health_check",
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
  const slot = state.rollout?.to ?? state.rollback?.target;
  if (slot === undefined) return reject(state, "health without a deploy or rollback");
  if (!event.ok) return failedAny(state, event.at, `the ${slot} slot is not healthy: ${event.detail}`);
  if (state.rollout !== null) return { state: { ...state, phase: "warming_up" }, actions: [{ type: "warm_up", slot }] };
  return moveAll(state, slot, "previous release healthy: all traffic to it at once");
}

function shiftTo(state: DeployState, rollout: Rollout, index: number): Transition {
  const percent = rollout.plan.steps[index] ?? 100;
  const weights = weightsFor(rollout.to, percent);
  return {
    state: {
      ...state,
      phase: "shifting",
      pending_weights: weights,
      rollout: { ...rollout, step: index, counts: { pass: 0, fail: 0, inconclusive: 0 }, paused_reason: null },
    },
    actions: [
      {
        type: "set_weights",
        weights,
        reason: `step ${index + 1}/${rollout.plan.steps.length}: ${percent} % to ${rollout.release}`,
      },
    ],
  };
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
  if (state.phase === "rolling_back" && state.rollback !== null) {
    const attempts = state.rollback.attempts + 1;
    const rollbackState: DeployState = { ...state, rollback: { ...state.rollback, attempts } };
    if (attempts < MAX_ROLLBACK_ATTEMPTS)
      return moveAll(rollbackState, state.rollback.target, `retry ${attempts + 1} after: ${event.error}`);
    return rollbackFailed(rollbackState, event.at, event.error);
  }
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

function inconclusive(state: DeployState, rollout: Rollout, at: At, reason: string): Transition {
  if (rollout.plan.on_inconclusive === "pause") {
    const next: DeployState = {
      ...state,
      phase: "paused",
      rollout: { ...rollout, paused_reason: `inconclusive: ${reason}` },
    };
    return {
      state: next,
      actions: [
        notify(
          notice(
            next,
            rollout,
            at,
            "paused",
            "medium",
            `paused at step ${rollout.step + 1}, analysis inconclusive (${reason}): promote or abort`,
          ),
        ),
        { type: "wait_for_promotion" },
      ],
    };
  }
  const decided = decide(state, rollout, at, "inconclusive", reason);
  return chain(decided, (s, r) =>
    startRollback(s, r, {
      kind: "auto",
      actor: r.actor,
      reason: `analysis inconclusive at step ${r.step + 1}: ${reason}`,
      at,
    }),
  );
}

function advance(
  state: DeployState,
  rollout: Rollout,
  at: At,
  decision: "pass" | "promoted",
  reason: string,
): Transition {
  return chain(decide(state, rollout, at, decision, reason), (s, r) => {
    const nextIndex = r.step + 1;
    if (nextIndex >= r.plan.steps.length) return complete(s, r, at);
    if (r.plan.steps[nextIndex] === 100 && r.plan.manual_promotion) {
      const paused: DeployState = {
        ...s,
        phase: "paused",
        rollout: { ...r, paused_reason: "manual promotion required before 100 %" },
      };
      return {
        state: paused,
        actions: [
          notify(
            notice(
              paused,
              r,
              at,
              "paused",
              "info",
              `${r.release} paused before 100 %: run \`portcullis promote\` or \`portcullis abort\``,
            ),
          ),
          { type: "wait_for_promotion" },
        ],
      };
    }
    return shiftTo(s, r, nextIndex);
  });
}

function complete(state: DeployState, rollout: Rollout, at: At): Transition {
  const slow = Date.parse(at) - Date.parse(rollout.started_at) > rollout.plan.slow_after_ms;
  const next: DeployState = {
    ...state,
    active: rollout.to,
    rollout: null,
    rollback: null,
    phase: rollout.plan.retire_hook ? "retiring" : "idle",
  };
  const message = `${rollout.release} is live on ${rollout.to}${slow ? " (slow deploy)" : ""}`;
  return {
    state: next,
    actions: [
      ledger(
        entry(next, rollout, at, "deploy_finished", {
          outcome: "succeeded",
          reason: message,
          started_at: rollout.started_at,
          finished_at: at,
        }),
      ),
      notify(notice(next, rollout, at, "deploy_completed", slow ? "medium" : "info", message)),
      finish("succeeded", message, rollout.id),
      ...(rollout.plan.retire_hook ? [{ type: "retire", slot: rollout.from } satisfies DeployAction] : []),
    ],
  };
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

function abort(state: DeployState, event: Extract<DeployEvent, { type: "abort" }>): Transition {
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

function rollback(state: DeployState, event: Extract<DeployEvent, { type: "rollback" }>): Transition {
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

function retired(state: DeployState, event: Extract<DeployEvent, { type: "retired" }>): Transition {
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

const MAX_ROLLBACK_ATTEMPTS = 3;

interface RollbackStart {
  kind: "auto" | "rollback" | "abort";
  actor: string;
  reason: string;
  at: At;
}

function startRollback(state: DeployState, rollout: Rollout, how: RollbackStart): Transition {
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

function moveAll(state: DeployState, target: Slot, reason: string): Transition {
  const weights = allOn(target);
  return {
    state: { ...state, phase: "rolling_back", pending_weights: weights },
    actions: [{ type: "set_weights", weights, reason }],
  };
}

function rolledBack(state: DeployState, at: At): Transition {
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

function rollbackFailed(state: DeployState, at: At, error: string): Transition {
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

function failed(state: DeployState, rollout: Rollout, at: At, reason: string): Transition {
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
function failedAny(state: DeployState, at: At, reason: string): Transition {
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

function decide(
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
function chain(first: Transition, then: (state: DeployState, rollout: Rollout) => Transition): Transition {
  const rollout = first.state.rollout;
  if (rollout === null) return first;
  return prepend(first.actions, then(first.state, rollout));
}

function prepend(actions: readonly DeployAction[], result: Transition): Transition {
  return { ...result, actions: [...actions, ...result.actions] };
}

function ledger(entryValue: LedgerEntry): DeployAction {
  return { type: "ledger", entry: entryValue };
}

function notify(value: Notice): DeployAction {
  return { type: "notify", notice: value };
}

function finish(outcome: Outcome, reason: string, deployId: string | null, trafficMoved = true): DeployAction {
  return { type: "finish", outcome, reason, deploy_id: deployId, traffic_moved: trafficMoved };
}

function base(
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

function entry(
  state: DeployState,
  rollout: Rollout,
  at: At,
  type: LedgerEntry["type"],
  extra: Partial<LedgerEntry>,
  actor = rollout.actor,
): LedgerEntry {
  return { ...base(state, rollout, at, type, actor), ...extra };
}

function noticeBase(
  state: DeployState,
  rollout: Rollout | null,
  at: At,
): Omit<Notice, "event" | "severity" | "message"> {
  return { environment: state.environment, deploy_id: rollout?.id ?? null, release: rollout?.release ?? null, at };
}

function notice(
  state: DeployState,
  rollout: Rollout,
  at: At,
  event: NotifyEvent,
  severity: Severity,
  message: string,
): Notice {
  return { ...noticeBase(state, rollout, at), event, severity, message };
}
