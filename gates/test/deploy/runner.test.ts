import { describe, expect, it } from "vitest";
import { chainEntries, type LedgerEntry } from "../../src/deploy/ledger.js";
import { previousStable } from "../../src/deploy/runner.js";
import { initialState, type DeployState } from "../../src/deploy/state.js";

/** A deploy of `release` that succeeded at `at`, as the ledger records it. */
function succeeded(release: string, at: string): LedgerEntry[] {
  const common = {
    environment: "production",
    deploy_id: release,
    release,
    commit: `sha-${release}`,
    commit_time: null,
    actor: "ci",
  };
  const started = new Date(Date.parse(at) - 10 * 60_000).toISOString();
  return [
    { ...common, type: "deploy_started", at: started, from_slot: "blue", to_slot: "green" },
    {
      ...common,
      type: "deploy_finished",
      at,
      outcome: "succeeded",
      reason: "ok",
      started_at: started,
      finished_at: at,
    },
  ];
}

describe("previousStable (rollback --to-previous)", () => {
  it("skips a release rolled back after it succeeded: metrics counts it a change failure, no stable release", () => {
    const rollback: LedgerEntry = {
      type: "rollback",
      at: "2025-03-10T10:00:00.000Z",
      environment: "production",
      deploy_id: null,
      release: "A",
      commit: null,
      commit_time: null,
      actor: "oncall",
      ok: true,
      to_slot: "blue",
    };
    const { records } = chainEntries(null, [
      ...succeeded("A", "2025-03-05T10:00:00.000Z"),
      ...succeeded("B", "2025-03-06T10:00:00.000Z"),
      rollback,
      ...succeeded("C", "2025-03-11T10:00:00.000Z"),
    ]);
    const base = initialState("production", "2025-03-01T00:00:00.000Z");
    const state: DeployState = {
      ...base,
      active: "green",
      slots: {
        blue: { ...base.slots.blue, release: "B", standing: "served" },
        green: { ...base.slots.green, release: "C", standing: "served" },
      },
    };
    expect(previousStable(records, state, true)).toEqual({
      release: "A",
      slot: "blue",
      redeploy: true,
      deploy_hook: true,
    });
  });
});
