import { describe, expect, it } from "vitest";
import { chainEntries, type LedgerEntry, type Outcome } from "../../src/deploy/ledger.js";
import { computeMetrics } from "../../src/deploy/metrics.js";

const DAY = 86_400_000;

function finished(id: string, finishedAt: string, outcome: Outcome, commitTime: string | null): LedgerEntry[] {
  const started = new Date(Date.parse(finishedAt) - 10 * 60_000).toISOString();
  const common = {
    environment: "production",
    deploy_id: id,
    release: id,
    commit: `sha-${id}`,
    commit_time: commitTime,
    actor: "ci",
  };
  return [
    { ...common, type: "deploy_started", at: started, from_slot: "blue", to_slot: "green" },
    {
      ...common,
      type: "deploy_finished",
      at: finishedAt,
      outcome,
      reason: outcome,
      started_at: started,
      finished_at: finishedAt,
    },
  ];
}

/** A month of history; the expected figures below are computed by hand in the comments. */
function history(): LedgerEntry[] {
  return [
    ...finished("A", "2025-02-20T10:00:00.000Z", "succeeded", "2025-02-20T09:00:00.000Z"), // before the window
    ...finished("B", "2025-03-05T10:00:00.000Z", "succeeded", "2025-03-05T08:00:00.000Z"), // lead 2 h
    ...finished("C", "2025-03-06T12:00:00.000Z", "rolled_back", "2025-03-06T11:00:00.000Z"), // failure: users had it 10 min
    ...finished("D", "2025-03-06T12:30:00.000Z", "succeeded", "2025-03-06T11:30:00.000Z"), // lead 1 h
    ...finished("E", "2025-03-10T09:00:00.000Z", "succeeded", "2025-03-09T09:00:00.000Z"), // lead 24 h, reverted 60 min later
    {
      type: "rollback",
      at: "2025-03-10T10:00:00.000Z",
      environment: "production",
      deploy_id: null,
      release: "D",
      commit: null,
      commit_time: null,
      actor: "oncall",
      ok: true,
      to_slot: "blue",
    },
    ...finished("F", "2025-03-10T10:10:00.000Z", "succeeded", "2025-03-10T09:40:00.000Z"), // lead 0.5 h
    ...finished("G", "2025-03-12T10:00:00.000Z", "aborted", null),
    ...finished("H", "2025-03-12T11:00:00.000Z", "failed", null),
    ...finished("I", "2025-03-20T10:00:00.000Z", "succeeded", null), // no commit time: no lead time
    ...finished("J", "2025-03-25T10:00:00.000Z", "rolled_back", null), // users had it 10 min, restored by its rollback
    // An older record without the deploy's start: its restore time cannot be told.
    ...finished("L", "2025-03-26T10:00:00.000Z", "rolled_back", null).map((entry) =>
      entry.type === "deploy_finished" ? { ...entry, started_at: undefined } : entry,
    ),
    ...finished("K", "2025-03-20T10:00:00.000Z", "succeeded", null).map((e) => ({ ...e, environment: "staging" })),
  ];
}

describe("DORA metrics", () => {
  it("match hand-computed values on a generated month", () => {
    const { records } = chainEntries(null, history());
    const result = computeMetrics(records, {
      now: new Date("2025-03-31T00:00:00.000Z"),
      windowMs: 28 * DAY,
      environment: "production",
    });
    expect(result.deploys).toEqual({ succeeded: 5, rolled_back: 3, aborted: 1, failed: 1, reverted: 1 });
    // 5 succeeded in 4 weeks.
    expect(result.metrics.frequency_per_week).toEqual({ value: 1.25, target: "> 5/week", met: false, samples: 5 });
    // Lead times 0.5, 1, 2, 24 h: median (1 + 2) / 2.
    expect(result.metrics.lead_time_hours).toEqual({ value: 1.5, target: "< 4 h", met: true, samples: 4 });
    // Failures C, J, L and reverted E over 5 succeeded + 3 rolled back.
    expect(result.metrics.change_failure_rate.value).toBeCloseTo(4 / 8, 10);
    expect(result.metrics.change_failure_rate.met).toBe(false);
    // Users had the failed release 10 min (C), 10 min (J) and 60 min (E, until the rollback undid
    // it, not until the next deploy); L's start is unknown.
    expect(result.metrics.time_to_restore_minutes).toEqual({ value: 10, target: "< 15 min", met: true, samples: 3 });
    expect(result.restore_unknown).toBe(1);
  });

  it("reports no data as unmet, never as met", () => {
    const result = computeMetrics([], { now: new Date("2025-03-31T00:00:00.000Z"), windowMs: 30 * DAY });
    expect(result.metrics.lead_time_hours).toMatchObject({ value: null, met: null });
    expect(result.metrics.change_failure_rate).toMatchObject({ value: null, met: null });
    expect(result.metrics.frequency_per_week).toMatchObject({ value: 0, met: false });
  });

  it("leaves a commit time after the deploy finished out of the lead time, and counts it, never a met negative lead time", () => {
    const entries = [
      ...finished("A", "2025-03-28T10:00:00.000Z", "succeeded", "2025-03-28T13:00:00.000Z"), // 3 h in the future
      ...finished("B", "2025-03-29T10:00:00.000Z", "succeeded", "2025-03-29T04:00:00.000Z"), // lead 6 h
    ];
    const result = computeMetrics(chainEntries(null, entries).records, {
      now: new Date("2025-03-31T00:00:00.000Z"),
      windowMs: 7 * DAY,
    });
    expect(result.metrics.lead_time_hours).toEqual({ value: 6, target: "< 4 h", met: false, samples: 1 });
    expect(result.commit_after_finish).toBe(1);
    const alone = computeMetrics(chainEntries(null, entries.slice(0, 2)).records, {
      now: new Date("2025-03-31T00:00:00.000Z"),
      windowMs: 7 * DAY,
    });
    expect(alone.metrics.lead_time_hours).toMatchObject({ value: null, met: null });
  });

  it("meets every target on a healthy week", () => {
    const entries = Array.from({ length: 7 }, (_, day) =>
      finished(
        `W${day}`,
        new Date(Date.UTC(2025, 2, 24 + day, 12)).toISOString(),
        "succeeded",
        new Date(Date.UTC(2025, 2, 24 + day, 10)).toISOString(),
      ),
    ).flat();
    const result = computeMetrics(chainEntries(null, entries).records, {
      now: new Date("2025-03-31T00:00:00.000Z"),
      windowMs: 7 * DAY,
    });
    expect(result.metrics.frequency_per_week).toMatchObject({ value: 7, met: true });
    expect(result.metrics.lead_time_hours).toMatchObject({ value: 2, met: true });
    expect(result.metrics.change_failure_rate).toMatchObject({ value: 0, met: true });
  });
});

describe("DORA metrics and rollback causes", () => {
  it("counts rollbacks caused by missing telemetry or the router on their own line, not as change failures", () => {
    const now = new Date("2025-03-31T00:00:00.000Z");
    const withCause = (id: string, at: string, cause: "release" | "telemetry" | "router") =>
      finished(id, at, "rolled_back", null).map((e) => (e.type === "deploy_finished" ? { ...e, cause } : e));
    const records = chainEntries(null, [
      ...finished("S", "2025-03-20T10:00:00.000Z", "succeeded", null),
      ...withCause("T", "2025-03-21T10:00:00.000Z", "telemetry"),
      ...withCause("R", "2025-03-22T10:00:00.000Z", "router"),
      ...withCause("X", "2025-03-23T10:00:00.000Z", "release"),
    ]).records;
    const result = computeMetrics(records, { now, windowMs: 30 * DAY, environment: "production" });
    expect(result.rollbacks_not_caused_by_the_release).toEqual({ telemetry: 1, router: 1 });
    expect(result.metrics.change_failure_rate).toMatchObject({ value: 0.5, samples: 2 });
  });
});

describe("DORA metrics: which deploy a rollback after a release undid", () => {
  const now = new Date("2025-03-31T00:00:00.000Z");
  const rollback = (at: string, from: string, to: string, cause?: "manual" | "telemetry"): LedgerEntry => ({
    type: "rollback",
    at,
    environment: "production",
    deploy_id: null,
    release: to,
    commit: null,
    commit_time: null,
    actor: "oncall",
    ok: true,
    from_slot: "green",
    previous_release: from,
    to_slot: "blue",
    ...(cause === undefined ? {} : { cause }),
  });
  const metricsOf = (entries: LedgerEntry[]) =>
    computeMetrics(chainEntries(null, entries).records, { now, windowMs: 30 * DAY, environment: "production" });

  it("charges a deploy whose rollback gave up (exit 4) and was resumed, never the release it restored", () => {
    const gaveUp = finished("R6", "2025-03-20T10:00:00.000Z", "failed", null).map((entry) =>
      entry.type === "deploy_finished" ? { ...entry, cause: "release" as const } : entry,
    );
    const result = metricsOf([
      ...finished("R5", "2025-03-19T10:00:00.000Z", "succeeded", null),
      ...gaveUp,
      // Resumed 20 minutes after the deploy gave up; users had R6 from its start, 30 minutes.
      rollback("2025-03-20T10:20:00.000Z", "R6", "R5"),
    ]);
    expect(result.deploys).toMatchObject({ succeeded: 1, failed: 1, reverted: 0 });
    expect(result.metrics.change_failure_rate).toMatchObject({ value: 0.5, samples: 2 });
    expect(result.metrics.time_to_restore_minutes).toMatchObject({ value: 30, samples: 1 });
  });

  it("charges the release users were moved away from, and nothing for undoing a rollback or for telemetry", () => {
    const result = metricsOf([
      ...finished("V1", "2025-03-10T10:00:00.000Z", "succeeded", null),
      ...finished("V2", "2025-03-11T10:00:00.000Z", "succeeded", null),
      rollback("2025-03-11T11:00:00.000Z", "V2", "V1"),
      // Back to V2: an earlier rollback put V1 there, no deploy.
      rollback("2025-03-11T12:00:00.000Z", "V1", "V2"),
      ...finished("V3", "2025-03-12T10:00:00.000Z", "succeeded", null),
      rollback("2025-03-12T11:00:00.000Z", "V3", "V2", "telemetry"),
    ]);
    expect(result.deploys).toMatchObject({ succeeded: 3, reverted: 1 });
    expect(result.metrics.change_failure_rate).toMatchObject({ value: 1 / 3, samples: 3 });
    expect(result.metrics.time_to_restore_minutes).toMatchObject({ value: 60, samples: 1 });
  });
});
