import type { DeployAction } from "./actions.js";
import type { DeployState, Rollout } from "./state.js";
import {
  type At,
  type Transition,
  chain,
  decide,
  entry,
  finish,
  ledger,
  notice,
  notify,
  weightsFor,
} from "./machine-parts.js";
import { startRollback } from "./machine-rollback.js";

/** The forward path of a deploy: each traffic step, the decisions after it, completion. */
export function shiftTo(state: DeployState, rollout: Rollout, index: number): Transition {
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

export function inconclusive(state: DeployState, rollout: Rollout, at: At, reason: string): Transition {
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
      deadline_ms: r.plan.rollback_deadline_ms,
      // No data is never a pass, but neither is it the release failing: DORA counts it apart.
      cause: "telemetry",
    }),
  );
}

export function advance(
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

export function complete(state: DeployState, rollout: Rollout, at: At): Transition {
  const slow = Date.parse(at) - Date.parse(rollout.started_at) > rollout.plan.slow_after_ms;
  const next: DeployState = {
    ...state,
    active: rollout.to,
    slots: { ...state.slots, [rollout.to]: { ...state.slots[rollout.to], standing: "served" } },
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
