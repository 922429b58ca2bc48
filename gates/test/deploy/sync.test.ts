import { describe, expect, it } from "vitest";
import { chainEntries, type LedgerEntry } from "../../src/deploy/ledger.js";
import { planSync } from "../../src/deploy/sync.js";
import type { Slot } from "../../src/deploy/state.js";
import { ledgerEntry } from "../compliance/bundle-fixtures.js";

/** `state sync` with no state stored: the slots rebuilt from the ledger, as the machine would have left them. */

const record = (type: LedgerEntry["type"], deploy: string | null, extra: Partial<LedgerEntry> = {}): LedgerEntry =>
  ledgerEntry(type, deploy, null, extra);

const started = (deploy: string, to: Slot): LedgerEntry =>
  record("deploy_started", deploy, { from_slot: to === "blue" ? "green" : "blue", to_slot: to });
const finished = (deploy: string, outcome: "succeeded" | "rolled_back" | "failed"): LedgerEntry =>
  record("deploy_finished", deploy, { outcome });

function slotsAfter(entries: LedgerEntry[], live: Slot) {
  const plan = planSync({
    state: null,
    environment: "production",
    live: live === "blue" ? { blue: 100, green: 0 } : { blue: 0, green: 100 },
    records: chainEntries(null, entries).records,
    actor: "oncall",
    at: "2026-05-04T10:00:00.000Z",
  });
  if (plan.kind !== "sync") throw new Error(`expected a sync, got ${plan.kind}`);
  return plan.state.slots;
}

describe("planSync", () => {
  it("leaves a deploy that did not succeed unproven, and the slot it started from served", () => {
    const slots = slotsAfter(
      [started("r1", "green"), finished("r1", "succeeded"), started("r2", "blue"), finished("r2", "rolled_back")],
      "green",
    );
    expect(slots).toEqual({
      blue: { release: "r2", retired: false, standing: "unproven" },
      green: { release: "r1", retired: false, standing: "served" },
    });
  });

  it("a first deploy's slot served; the slot live before it served a release never recorded", () => {
    const slots = slotsAfter([started("r1", "green"), finished("r1", "succeeded")], "green");
    expect(slots).toEqual({
      blue: { release: null, retired: false, standing: "served" },
      green: { release: "r1", retired: false, standing: "served" },
    });
  });

  it("what the router serves to everyone has served users, whatever a crashed deploy left it as", () => {
    expect(slotsAfter([started("r1", "green")], "green").green.standing).toBe("served");
    expect(slotsAfter([], "blue")).toEqual({
      blue: { release: null, retired: false, standing: "served" },
      green: { release: null, retired: false, standing: "empty" },
    });
  });

  it("a rollback outside a deploy puts its release on the slot it moved traffic to", () => {
    const slots = slotsAfter(
      [
        started("r1", "green"),
        finished("r1", "succeeded"),
        started("r2", "blue"),
        finished("r2", "failed"),
        record("rollback", null, { release: "r0", to_slot: "blue", ok: true }),
      ],
      "blue",
    );
    expect(slots.blue).toEqual({ release: "r0", retired: false, standing: "served" });
  });
});
