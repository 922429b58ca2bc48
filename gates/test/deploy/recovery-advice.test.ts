import { describe, expect, it } from "vitest";
import { recoveryAdvice } from "../../src/cli/deploy-control.js";
import { initialState, type DeployState, type RollbackIntent } from "../../src/deploy/state.js";

/** What `status` tells an operator to run when no controller is running the state's phase. */

const intent: RollbackIntent = {
  kind: "to_previous",
  target: "green",
  release: "v1",
  actor: "oncall",
  reason: "v2 broken",
  at: "2026-12-01T10:00:00.000Z",
  attempts: 0,
  give_up_at: null,
  cause: "manual",
};

function state(phase: DeployState["phase"], rollback: RollbackIntent | null): DeployState {
  return { ...initialState("production", "2026-12-01T09:00:00.000Z"), phase, rollback };
}

describe("recoveryAdvice", () => {
  it("names the one command that gets each interrupted phase out, never one that refuses it", () => {
    // A --to-previous killed while its hook redeployed v1: abort, rollback and deploy all refuse.
    expect(recoveryAdvice(state("preparing", intent))).toBe(
      "run `portcullis rollback --to-previous` again (it redeploys v1 on green), or `portcullis state sync` to take the router's weights as they are",
    );
    // Or killed while it checked the redeployed release's health.
    expect(recoveryAdvice(state("health_check", intent))).toMatch(/^run `portcullis rollback --to-previous` again/);
    // A rollback that gave up (exit 4), or was killed while it checked its target or moved traffic.
    for (const phase of ["rolling_back", "health_check"] as const) {
      expect(recoveryAdvice(state(phase, { ...intent, kind: "rollback" }))).toBe(
        "run `portcullis rollback` again (it checks green and moves all traffic there), or `portcullis state sync` to take the router's weights as they are",
      );
    }
  });
});
