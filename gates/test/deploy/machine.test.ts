import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DeployAction, DeployEvent } from "../../src/deploy/actions.js";
import { transition, weightsFor } from "../../src/deploy/machine.js";
import { allOn, DeployState, initialState, type Plan, type Window } from "../../src/deploy/state.js";

const PLAN: Plan = {
  steps: [10, 25, 50, 75, 100],
  failure_limit: 0,
  inconclusive_limit: 1,
  on_inconclusive: "rollback",
  manual_promotion: false,
  deploy_hook: false,
  retire_hook: false,
  slow_after_ms: 60_000,
  rollback_deadline_ms: 60_000,
};

let clock = 0;
const at = (): string => new Date(Date.UTC(2025, 0, 1) + (clock += 1000)).toISOString();

function startEvent(plan: Partial<Plan> = {}): DeployEvent {
  return {
    type: "start",
    at: at(),
    rollout: {
      id: "d1",
      release: "v2",
      commit: "abc",
      commit_time: "2024-12-31T23:00:00.000Z",
      actor: "ci",
      forced_reason: null,
    },
    plan: { ...PLAN, ...plan },
    live: null,
  };
}

function window(result: Window["result"], reason = result): Window {
  return { at: at(), result, reason, checks: [] };
}

/**
 * Feeds events in order; every event must be accepted. The target of a rollback during a deploy,
 * or of a resumed one, is checked before traffic moves to it: unless `rollbackTargets` says
 * otherwise it answers healthy at once (the tests of that check give their own answer, as the
 * tests of a plain rollback after a deploy do).
 */
function run(
  events: readonly DeployEvent[],
  state: DeployState = liveBlue(),
  rollbackTargets: "healthy" | "asked" = "healthy",
): { state: DeployState; actions: DeployAction[] } {
  const actions: DeployAction[] = [];
  const feed = (event: DeployEvent): void => {
    const result = transition(state, event);
    expect(result.rejected, `${event.type} in ${state.phase}`).toBeUndefined();
    state = result.state;
    actions.push(...result.actions);
    const checked = result.actions.some((action) => action.type === "check_health");
    const underWay = state.rollback !== null && (state.rollout !== null || state.rollback.resuming === true);
    if (checked && underWay && rollbackTargets === "healthy")
      feed({ type: "health", at: at(), ok: true, detail: "200" });
  };
  for (const event of events) feed(event);
  return { state, actions };
}

function liveBlue(): DeployState {
  return {
    ...initialState("production", at()),
    slots: {
      blue: { release: "v1", retired: false, standing: "served" },
      green: { release: null, retired: false, standing: "empty" },
    },
  };
}

const confirm = (percent: number): DeployEvent => ({
  type: "weights_confirmed",
  at: at(),
  weights: weightsFor("green", percent),
});
const measure = (result: Window["result"]): DeployEvent => ({ type: "measurement", at: at(), window: window(result) });
const bake = (): DeployEvent => ({ type: "bake_elapsed", at: at() });
const ready: DeployEvent[] = [
  { type: "health", at: at(), ok: true, detail: "200" },
  { type: "warmed", at: at(), ok: true, detail: "ok" },
];
const healthyStep = (percent: number): DeployEvent[] => [confirm(percent), measure("pass"), bake()];

function setWeights(actions: readonly DeployAction[]): string[] {
  return actions.flatMap((action) =>
    action.type === "set_weights" ? [`${action.weights.blue}/${action.weights.green}`] : [],
  );
}
function finishOf(actions: readonly DeployAction[]): string | undefined {
  return actions.flatMap((action) => (action.type === "finish" ? [action.outcome] : [])).at(-1);
}
function ledgerTypes(actions: readonly DeployAction[]): string[] {
  return actions.flatMap((action) =>
    action.type === "ledger"
      ? [`${action.entry.type}${action.entry.outcome === undefined ? "" : `:${action.entry.outcome}`}`]
      : [],
  );
}

describe("deploy machine", () => {
  it("migrates 10 -> 100 step by step and makes green active", () => {
    const { state, actions } = run([startEvent(), ...ready, ...[10, 25, 50, 75, 100].flatMap(healthyStep)]);
    expect(setWeights(actions)).toEqual(["90/10", "75/25", "50/50", "25/75", "0/100"]);
    expect(finishOf(actions)).toBe("succeeded");
    expect(state).toMatchObject({
      phase: "idle",
      active: "green",
      weights: { blue: 0, green: 100 },
      rollout: null,
      pending_weights: null,
    });
    expect(state.slots.green.release).toBe("v2");
    expect(ledgerTypes(actions)).toEqual([
      "deploy_started",
      "step",
      "step",
      "step",
      "step",
      "step",
      "deploy_finished:succeeded",
    ]);
    expect(() => DeployState.parse(state)).not.toThrow();
  });

  it.each([
    { name: "a failed window at step 2 rolls back at once", limit: 0, windows: ["fail"] as const, rolledBack: true },
    {
      name: "failure_limit 1 tolerates one failed window",
      limit: 1,
      windows: ["fail", "pass"] as const,
      rolledBack: false,
    },
    {
      name: "failure_limit 1 rolls back on the second",
      limit: 1,
      windows: ["fail", "fail"] as const,
      rolledBack: true,
    },
  ])("$name", ({ limit, windows, rolledBack }) => {
    const events = [
      startEvent({ failure_limit: limit }),
      ...ready,
      ...healthyStep(10),
      confirm(25),
      ...windows.map(measure),
    ];
    const { state, actions } = run(events);
    expect(state.phase).toBe(rolledBack ? "rolling_back" : "analysing");
    expect(setWeights(actions).at(-1)).toBe(rolledBack ? "100/0" : "75/25");
    if (!rolledBack) return;
    const done = run([{ type: "weights_confirmed", at: at(), weights: { blue: 100, green: 0 } }], state);
    expect(finishOf(done.actions)).toBe("rolled_back");
    expect(done.state).toMatchObject({
      phase: "idle",
      active: "blue",
      weights: { blue: 100, green: 0 },
      rollout: null,
      rollback: null,
    });
    expect(ledgerTypes([...actions, ...done.actions])).toContain("deploy_finished:rolled_back");
  });

  it.each([
    { windows: ["inconclusive", "inconclusive"] as const, onInconclusive: "rollback" as const, phase: "rolling_back" },
    { windows: ["error", "inconclusive"] as const, onInconclusive: "rollback" as const, phase: "rolling_back" },
    { windows: ["inconclusive", "inconclusive"] as const, onInconclusive: "pause" as const, phase: "paused" },
    { windows: ["inconclusive"] as const, onInconclusive: "rollback" as const, phase: "analysing" },
  ])(
    "inconclusive windows $windows with on_inconclusive=$onInconclusive -> $phase",
    ({ windows, onInconclusive, phase }) => {
      const { state } = run([
        startEvent({ on_inconclusive: onInconclusive }),
        ...ready,
        confirm(10),
        ...windows.map(measure),
      ]);
      expect(state.phase).toBe(phase);
    },
  );

  it("never passes a step without a passing window (too little data is not success)", () => {
    const { state, actions } = run([
      startEvent({ inconclusive_limit: 5 }),
      ...ready,
      confirm(10),
      measure("inconclusive"),
      bake(),
    ]);
    expect(state.phase).toBe("rolling_back");
    expect(state.rollout?.steps[0]?.decision).toBe("inconclusive");
    expect(setWeights(actions).at(-1)).toBe("100/0");
  });

  it("pauses before 100 % with manual_promotion and continues on promote", () => {
    const paused = run([startEvent({ manual_promotion: true }), ...ready, ...[10, 25, 50, 75].flatMap(healthyStep)]);
    expect(paused.state.phase).toBe("paused");
    expect(paused.actions.at(-1)).toEqual({ type: "wait_for_promotion" });
    const promoted = run([{ type: "promote", at: at(), actor: "alice" }, ...healthyStep(100)], paused.state);
    expect(setWeights(promoted.actions)).toEqual(["0/100"]);
    expect(ledgerTypes(promoted.actions)[0]).toBe("manual");
    expect(finishOf(promoted.actions)).toBe("succeeded");
  });

  it("drops a promotion request left over from an earlier deploy", () => {
    const leftover = { ...liveBlue(), promote_request: { actor: "old", at: at() } };
    expect(run([startEvent()], leftover).state.promote_request).toBeNull();
  });

  it("fails without touching traffic when the router did not apply the first step", () => {
    const { state, actions } = run([
      startEvent(),
      ...ready,
      { type: "weights_failed", at: at(), error: "nginx: [emerg] bad", applied: false },
    ]);
    expect(setWeights(actions)).toEqual(["90/10"]);
    expect(finishOf(actions)).toBe("failed");
    expect(state).toMatchObject({
      phase: "idle",
      active: "blue",
      weights: { blue: 100, green: 0 },
      pending_weights: null,
    });
  });

  it("rolls back when the router may have applied a step it could not confirm", () => {
    const { state, actions } = run([
      startEvent(),
      ...ready,
      ...healthyStep(10),
      { type: "weights_failed", at: at(), error: "read back 50/50", applied: true },
    ]);
    expect(state.phase).toBe("rolling_back");
    expect(setWeights(actions).at(-1)).toBe("100/0");
  });

  it("retries an unconfirmed rollback until its deadline, notifying each failure, then reports it failed", () => {
    const failing = (): DeployEvent => ({ type: "weights_failed", at: at(), error: "reload failed", applied: true });
    const { state, actions } = run([
      startEvent({ rollback_deadline_ms: 3_500 }),
      ...ready,
      ...healthyStep(10),
      confirm(25),
      measure("fail"),
      failing(),
      failing(),
      failing(),
    ]);
    expect(setWeights(actions).filter((w) => w === "100/0")).toHaveLength(3);
    const critical = actions.filter((a) => a.type === "notify" && a.notice.event === "rollback_failed");
    expect(critical.map((a) => (a.type === "notify" ? a.notice.severity : ""))).toEqual([
      "critical",
      "critical",
      "critical",
    ]);
    expect(actions.find((a) => a.type === "finish")).toMatchObject({ outcome: "failed", rollback_failed: true });
    expect(finishOf(actions)).toBe("failed");
    expect(state.phase).toBe("rolling_back");
    expect(state.rollback?.target).toBe("blue");
  });

  it("checks the slot an automatic rollback goes back to, and leaves traffic where it is when it died (exit 4)", () => {
    const failedStep = [startEvent(), ...ready, ...healthyStep(10), confirm(25), measure("fail")];
    const asked = run(failedStep, liveBlue(), "asked");
    expect(asked.actions.at(-1)).toEqual({ type: "check_health", slot: "blue" });
    expect(setWeights(asked.actions)).toEqual(["90/10", "75/25"]);
    const dead = run([{ type: "health", at: at(), ok: false, detail: "connection refused" }], asked.state);
    expect(setWeights(dead.actions)).toEqual([]);
    expect(dead.actions.find((a) => a.type === "finish")).toMatchObject({ outcome: "failed", rollback_failed: true });
    // Still a rollback under way, for the next `rollback` to resume once blue is back.
    expect(dead.state).toMatchObject({ phase: "rolling_back", rollback: { target: "blue", cause: "release" } });
    const resumed = run(
      [{ type: "rollback", at: at(), actor: "oncall", reason: "blue is back", deadline_ms: 60_000 }],
      dead.state,
      "asked",
    );
    expect(resumed.actions.at(-1)).toEqual({ type: "check_health", slot: "blue" });
    const stillDead = run([{ type: "health", at: at(), ok: false, detail: "503" }], resumed.state);
    expect(setWeights(stillDead.actions)).toEqual([]);
    expect(stillDead.state).toMatchObject({ phase: "rolling_back", rollback: { cause: "release" } });
    const back = run(
      [
        { type: "rollback", at: at(), actor: "oncall", reason: "now", deadline_ms: 60_000 },
        { type: "health", at: at(), ok: true, detail: "200" },
        { type: "weights_confirmed", at: at(), weights: { blue: 100, green: 0 } },
      ],
      stillDead.state,
      "asked",
    );
    expect(setWeights(back.actions)).toEqual(["100/0"]);
    expect(back.state).toMatchObject({ phase: "idle", active: "blue", rollback: null });
  });

  it("aborts a deploy that moved no traffic without checking the live slot, which a dead one must not wedge", () => {
    const aborted = run(
      [
        startEvent({ deploy_hook: true }),
        { type: "abort", at: at(), actor: "bob", reason: "wrong build", deadline_ms: 60_000 },
      ],
      liveBlue(),
      "asked",
    );
    expect(aborted.actions.some((a) => a.type === "check_health")).toBe(false);
    expect(setWeights(aborted.actions)).toEqual(["100/0"]);
    const done = run([{ type: "weights_confirmed", at: at(), weights: { blue: 100, green: 0 } }], aborted.state);
    expect(finishOf(done.actions)).toBe("aborted");
    expect(done.state).toMatchObject({ phase: "idle", rollback: null, rollout: null });
  });

  it("never counts an abort as a change failure, even when its rollback gave up", () => {
    const moved = run([startEvent(), ...ready, confirm(10)], liveBlue(), "asked").state;
    const abort = run(
      [
        { type: "abort", at: at(), actor: "bob", reason: "looks wrong", deadline_ms: 60_000 },
        { type: "health", at: at(), ok: false, detail: "connection refused" },
      ],
      moved,
      "asked",
    );
    const finished = abort.actions.flatMap((a) =>
      a.type === "ledger" && a.entry.type === "deploy_finished" ? [a.entry] : [],
    );
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ outcome: "failed" });
    expect(finished[0]?.cause).toBeUndefined();
  });

  it("keeps what started a rollback when a crash interrupted it and an operator takes it over", () => {
    const interrupted = run(
      [startEvent(), ...ready, ...healthyStep(10), confirm(25), measure("fail")],
      liveBlue(),
      "asked",
    ).state;
    const taken = run(
      [
        { type: "abort", at: at(), actor: "bob", reason: "cleaning up", deadline_ms: 60_000 },
        { type: "weights_confirmed", at: at(), weights: { blue: 100, green: 0 } },
      ],
      interrupted,
    );
    expect(finishOf(taken.actions)).toBe("rolled_back");
    const finished = taken.actions.flatMap((a) =>
      a.type === "ledger" && a.entry.type === "deploy_finished" ? [a.entry] : [],
    );
    expect(finished).toMatchObject([{ outcome: "rolled_back", cause: "release" }]);
  });

  it("aborts at any phase of a deploy and records who did it", () => {
    const { state, actions } = run([
      startEvent(),
      ...ready,
      confirm(10),
      { type: "abort", at: at(), actor: "bob", reason: "looks wrong", deadline_ms: 60_000 },
      { type: "weights_confirmed", at: at(), weights: { blue: 100, green: 0 } },
    ]);
    expect(finishOf(actions)).toBe("aborted");
    expect(ledgerTypes(actions)).toEqual(["deploy_started", "manual", "step", "deploy_finished:aborted"]);
    expect(state.active).toBe("blue");
  });

  it("rolls a completed release back to the other slot", () => {
    const live = run([startEvent(), ...ready, ...[10, 25, 50, 75, 100].flatMap(healthyStep)]).state;
    const { state, actions } = run(
      [
        { type: "rollback", at: at(), actor: "oncall", reason: "errors", deadline_ms: 60_000 },
        { type: "health", at: at(), ok: true, detail: "200" },
        { type: "weights_confirmed", at: at(), weights: { blue: 100, green: 0 } },
      ],
      live,
    );
    expect(state).toMatchObject({ active: "blue", phase: "idle" });
    expect(ledgerTypes(actions)).toEqual(["manual", "rollback"]);
    expect(finishOf(actions)).toBe("rolled_back");
  });

  it("redeploys the previous release for rollback --to-previous when no slot serves it", () => {
    const live: DeployState = {
      ...liveBlue(),
      slots: {
        blue: { release: "v3", retired: false, standing: "served" },
        green: { release: "v2", retired: true, standing: "served" },
      },
    };
    const previous = { release: "v2", slot: "green" as const, redeploy: true, deploy_hook: true };
    const { state, actions } = run(
      [
        { type: "rollback", at: at(), actor: "oncall", reason: "v3 broken", deadline_ms: 60_000, previous },
        { type: "hook_done", at: at(), ok: true, detail: "" },
        { type: "health", at: at(), ok: true, detail: "200" },
        { type: "weights_confirmed", at: at(), weights: { blue: 0, green: 100 } },
      ],
      live,
    );
    expect(actions.map((a) => a.type)).toEqual([
      "ledger",
      "notify",
      "run_hook",
      "check_health",
      "set_weights",
      "ledger",
      "notify",
      "finish",
    ]);
    expect(state).toMatchObject({
      active: "green",
      slots: { blue: { standing: "served" }, green: { release: "v2", retired: false, standing: "served" } },
    });
  });

  it.each([
    { name: "confirmation when idle", event: confirm(10), state: liveBlue() },
    { name: "promote when idle", event: { type: "promote", at: at(), actor: "x" } as const, state: liveBlue() },
    {
      name: "abort when idle",
      event: { type: "abort", at: at(), actor: "x", reason: "r", deadline_ms: 1_000 } as const,
      state: liveBlue(),
    },
    {
      name: "rollback to a slot that never served",
      event: { type: "rollback", at: at(), actor: "x", reason: "r", deadline_ms: 1_000 } as const,
      state: liveBlue(),
    },
    { name: "a second start", event: startEvent(), state: run([startEvent()]).state },
    { name: "a measurement while shifting", event: measure("pass"), state: run([startEvent(), ...ready]).state },
    { name: "confirmation of other weights", event: confirm(50), state: run([startEvent(), ...ready]).state },
  ])("rejects $name and changes nothing", ({ event, state }) => {
    const result = transition(state, event);
    expect(result.rejected).toEqual(expect.any(String));
    expect(result.state).toBe(state);
    expect(result.actions).toEqual([]);
  });

  it("property: any event sequence keeps a valid state and only asks for step or all-on weights", () => {
    const ev = (make: () => DeployEvent): (() => DeployEvent) => make;
    const eventArb: fc.Arbitrary<() => DeployEvent> = fc.oneof(
      fc.constant(ev(() => startEvent({ failure_limit: 1 }))),
      fc.boolean().map((ok) => ev(() => ({ type: "health", at: at(), ok, detail: "" }))),
      fc.boolean().map((ok) => ev(() => ({ type: "warmed", at: at(), ok, detail: "" }))),
      fc.constantFrom(0, 10, 25, 50, 75, 100).map((p) => ev(() => confirm(p))),
      fc.boolean().map((applied) => ev(() => ({ type: "weights_failed", at: at(), error: "e", applied }))),
      fc.constantFrom("pass", "fail", "inconclusive", "error").map((r) => ev(() => measure(r))),
      fc.constant(ev(() => bake())),
      fc.constant(ev(() => ({ type: "promote", at: at(), actor: "p" }))),
      fc.constant(ev(() => ({ type: "abort", at: at(), actor: "a", reason: "r", deadline_ms: 1_000 }))),
      fc.constant(ev(() => ({ type: "rollback", at: at(), actor: "r", reason: "r", deadline_ms: 1_000 }))),
    );
    const allowed = new Set(["100/0", "0/100", "90/10", "75/25", "50/50", "25/75", "10/90"]);
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (makers) => {
        let state = liveBlue();
        for (const make of makers) {
          const result = transition(state, make());
          if (result.rejected !== undefined) expect(result.state).toBe(state);
          for (const w of setWeights(result.actions)) expect(allowed.has(w)).toBe(true);
          state = result.state;
          expect(DeployState.safeParse(state).success).toBe(true);
          expect(state.weights.blue + state.weights.green).toBe(100);
          if (state.phase === "idle") expect(state.rollout).toBeNull();
        }
      }),
      { seed: 5, numRuns: 300 },
    );
  });
});

describe("blue-green machine: live weights and rollback targets", () => {
  it.each([
    { name: "the router agrees", live: { blue: 100, green: 0 }, refused: null },
    { name: "the router cannot say", live: null, refused: null },
    {
      name: "green serves everything while the state says blue",
      live: { blue: 0, green: 100 },
      refused: /state and router disagree: the router serves blue 0 % \/ green 100 %.*`portcullis state sync`/,
    },
    { name: "green serves part of the traffic", live: { blue: 75, green: 25 }, refused: /state and router disagree/ },
  ])("starts a deploy only from the live weights: $name", ({ live, refused }) => {
    const event = { ...startEvent({ deploy_hook: true }), live } as DeployEvent;
    const result = transition(liveBlue(), event);
    if (refused === null) {
      expect(result.rejected).toBeUndefined();
      expect(result.actions.at(-1)).toMatchObject({ type: "run_hook", slot: "green" });
    } else {
      expect(result.rejected).toMatch(refused);
      expect(result.actions).toEqual([]);
    }
  });

  const plainRollback: DeployEvent = {
    type: "rollback",
    at: "2025-01-02T00:00:00.000Z",
    actor: "oncall",
    reason: "incident",
    deadline_ms: 60_000,
  };
  const rolledBackAt25 = [startEvent(), ...ready, ...healthyStep(10), confirm(25), measure("fail")];
  const backOnBlue: DeployEvent = { type: "weights_confirmed", at: "2025-01-01T12:00:00.000Z", weights: allOn("blue") };

  it.each([
    { name: "rolled back by its analysis", events: [...rolledBackAt25, backOnBlue] },
    { name: "failed its health check", events: [startEvent(), { type: "health", at: at(), ok: false, detail: "503" }] },
    {
      name: "aborted mid-rollout",
      events: [
        startEvent(),
        ...ready,
        confirm(10),
        { type: "abort", at: at(), actor: "oncall", reason: "drill", deadline_ms: 60_000 },
        backOnBlue,
      ],
    },
  ] satisfies { name: string; events: DeployEvent[] }[])(
    "a plain rollback never sends users to the release of a deploy that $name",
    ({ events }) => {
      const ended = run(events).state;
      expect(ended).toMatchObject({
        phase: "idle",
        active: "blue",
        slots: { green: { release: "v2", standing: "unproven" } },
      });
      const result = transition(ended, plainRollback);
      expect(result.rejected).toBe(
        "the green slot holds v2, which no recorded deploy promoted: use `rollback --to-previous` with a deploy_hook",
      );
      expect(result.actions).toEqual([]);
    },
  );

  it("a deploy's slot is unproven until it is promoted, then served; the slot it left can be rolled back to", () => {
    const started = run([startEvent(), ...ready]).state;
    expect(started.slots.green.standing).toBe("unproven");
    const live = run([...[10, 25, 50, 75, 100].flatMap(healthyStep)], started).state;
    expect(live.slots).toMatchObject({ blue: { standing: "served" }, green: { standing: "served" } });
    const { actions } = run([plainRollback], live);
    expect(actions.at(-1)).toEqual({ type: "check_health", slot: "blue" });
  });

  it("the first deploy can be rolled back to what blue served before it, a release never recorded", () => {
    const first = run(
      [startEvent(), ...ready, ...[10, 25, 50, 75, 100].flatMap(healthyStep)],
      initialState("production", at()),
    ).state;
    expect(first.slots.blue).toEqual({ release: null, retired: false, standing: "served" });
    const { state, actions } = run(
      [plainRollback, { type: "health", at: at(), ok: true, detail: "200" }, backOnBlue],
      first,
    );
    expect(finishOf(actions)).toBe("rolled_back");
    expect(state).toMatchObject({ active: "blue", weights: allOn("blue") });
    expect(transition(initialState("production", at()), plainRollback).rejected).toMatch(
      /the green slot never served a release/,
    );
  });

  it("reads a state saved before slots had a standing: the live slot served, the other one's release is not known to have", () => {
    const saved = (state: DeployState) => {
      const copy = JSON.parse(JSON.stringify(state)) as { slots: Record<string, Record<string, unknown>> };
      for (const slot of Object.values(copy.slots)) delete slot["standing"];
      return DeployState.parse(copy);
    };
    expect(saved(liveBlue()).slots).toEqual({
      blue: { release: "v1", retired: false, standing: "served" },
      green: { release: null, retired: false, standing: "empty" },
    });
    expect(saved(initialState("production", at())).slots).toEqual(initialState("production", at()).slots);
    const beforeUpgrade = saved({
      ...liveBlue(),
      slots: {
        blue: { release: "v3", retired: false, standing: "served" },
        green: { release: "v2", retired: false, standing: "served" },
      },
    });
    expect(beforeUpgrade.slots.green.standing).toBe("unproven");
    expect(transition(beforeUpgrade, plainRollback).rejected).toMatch(/use `rollback --to-previous`/);
  });

  it("health-checks the target of a plain rollback and leaves traffic where it is when it is dead", () => {
    const live = run([startEvent(), ...ready, ...[10, 25, 50, 75, 100].flatMap(healthyStep)]).state;
    const { state, actions } = run(
      [
        { type: "rollback", at: at(), actor: "oncall", reason: "errors", deadline_ms: 60_000 },
        { type: "health", at: at(), ok: false, detail: "ECONNREFUSED" },
      ],
      live,
    );
    expect(actions.some((a) => a.type === "set_weights")).toBe(false);
    expect(actions.find((a) => a.type === "finish")).toMatchObject({ outcome: "failed", rollback_failed: true });
    expect(state).toMatchObject({ active: "green", phase: "idle", weights: { blue: 0, green: 100 } });
  });
});
