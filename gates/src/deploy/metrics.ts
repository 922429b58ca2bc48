import type { LedgerRecord, Outcome } from "./ledger.js";
import type { RollbackCause } from "./state.js";

/**
 * DORA metrics from the ledger, each against the design's targets: deployment frequency > 5 a
 * week, lead time < 4 h, change failure rate < 5 %, time to restore < 15 min.
 *
 * Definitions (documented in docs/deploy.md):
 * - a deploy counts in the window when it finished inside it;
 * - frequency: succeeded deploys per 7 days of window;
 * - lead time: median of finished_at - commit_time over succeeded deploys that carry a commit time;
 * - change failure rate: (rolled_back + succeeded-then-reverted) / (succeeded + rolled_back), over
 *   rollbacks caused by the release (its analysis failed, or a person rolled it back); aborted and
 *   failed deploys never served a decision to users and count in neither; rollbacks caused by
 *   missing telemetry or a router failure say nothing about the change: counted on their own line;
 * - time to restore: median, over those failures, of how long users had the failed release: a
 *   deploy rolled back from its start (its first step sends users to it) to the end of its rollback,
 *   which restored the previous release; a deploy reverted after it succeeded from its end to the
 *   rollback that undid it. A failure whose span is unknown (a record without its start) is counted
 *   apart (`restore_unknown`). Blue-green restores by rollback, not by the next deploy.
 */

export const TARGETS = {
  frequency_per_week: { op: ">", value: 5, unit: "/week" },
  lead_time_hours: { op: "<", value: 4, unit: "h" },
  change_failure_rate: { op: "<", value: 0.05, unit: "" },
  time_to_restore_minutes: { op: "<", value: 15, unit: "min" },
} as const;
export type MetricName = keyof typeof TARGETS;

export interface MetricValue {
  /** null: no data in the window (never reported as met). */
  value: number | null;
  target: string;
  met: boolean | null;
  /** How many deploys or failures the value is computed from. */
  samples: number;
}

export interface DoraMetrics {
  environment: string | null;
  window: { from: string; to: string; days: number };
  deploys: Record<Outcome | "reverted", number>;
  /** Rollbacks not caused by the release, outside the change failure rate. */
  rollbacks_not_caused_by_the_release: { telemetry: number; router: number };
  /** Failures whose restore time cannot be told (an older record without the deploy's start). */
  restore_unknown: number;
  /**
   * Succeeded deploys whose commit time is after they finished (a clock ahead, a wrong
   * `--commit-time`): a negative lead time is no lead time, and is left out of the median.
   */
  commit_after_finish: number;
  metrics: Record<MetricName, MetricValue>;
}

export interface DeploySummary {
  id: string;
  release: string | null;
  commit_time: string | null;
  started_at: string | null;
  finished_at: string;
  outcome: Outcome;
  /** For a rollback: why (records written before causes were recorded count as the release's). */
  cause: RollbackCause | null;
  /** When a rollback undid it after it succeeded; null when none did. */
  reverted_at: string | null;
}

/**
 * One summary per finished deploy, in ledger order; a rollback after a release marks the deploy that
 * put the release it moved users away from live. One that undid a rollback (users back on a release
 * an earlier rollback restored) undid no change, and telemetry or a router undid no release.
 */
export function summarizeDeploys(records: readonly LedgerRecord[]): DeploySummary[] {
  const deploys: DeploySummary[] = [];
  // The deploy whose release users have; null when an earlier rollback put it there.
  let live: DeploySummary | null = null;
  for (const record of records) {
    if (record.type === "deploy_finished" && record.deploy_id !== null && record.outcome !== undefined) {
      const deploy: DeploySummary = {
        id: record.deploy_id,
        release: record.release,
        commit_time: record.commit_time,
        started_at: record.started_at ?? null,
        finished_at: record.finished_at ?? record.at,
        outcome: record.outcome,
        // A failed deploy carries a cause only when users had it (its rollback gave up, exit 4).
        cause: record.outcome === "rolled_back" ? (record.cause ?? "release") : (record.cause ?? null),
        reverted_at: null,
      };
      deploys.push(deploy);
      if (deploy.outcome === "succeeded" || (deploy.outcome === "failed" && deploy.cause !== null)) live = deploy;
    }
    if (record.type === "rollback" && record.ok === true) {
      // Records written before rollbacks named the release they left: the last deploy that succeeded.
      const undone =
        record.previous_release === undefined
          ? deploys.findLast((deploy) => deploy.outcome === "succeeded")
          : live?.release === record.previous_release
            ? live
            : undefined;
      const byTheRelease = record.cause !== "telemetry" && record.cause !== "router";
      if (undone !== undefined && undone.reverted_at === null && byTheRelease) undone.reverted_at = record.at;
      live = null;
    }
  }
  return deploys;
}

export function computeMetrics(
  records: readonly LedgerRecord[],
  options: { now: Date; windowMs: number; environment?: string },
): DoraMetrics {
  const to = options.now.getTime();
  const from = to - options.windowMs;
  const relevant =
    options.environment === undefined
      ? records
      : records.filter((record) => record.environment === options.environment);
  const all = summarizeDeploys(relevant);
  const inWindow = all.filter((deploy) => within(deploy.finished_at, from, to));
  const count = (outcome: Outcome): number => inWindow.filter((deploy) => deploy.outcome === outcome).length;
  const succeeded = inWindow.filter((deploy) => deploy.outcome === "succeeded");
  const notTheRelease = (cause: RollbackCause): number =>
    inWindow.filter((deploy) => deploy.outcome === "rolled_back" && deploy.cause === cause).length;
  const releaseRollbacks = inWindow.filter(
    (deploy) =>
      (deploy.outcome === "rolled_back" || deploy.outcome === "failed") &&
      (deploy.cause === "release" || deploy.cause === "manual"),
  );
  const reverted = inWindow.filter((deploy) => deploy.outcome === "succeeded" && deploy.reverted_at !== null);
  const failures = [...releaseRollbacks, ...reverted];
  const spans = succeeded.flatMap((deploy) =>
    deploy.commit_time === null ? [] : [Date.parse(deploy.finished_at) - Date.parse(deploy.commit_time)],
  );
  const leadTimes = spans.filter((span) => span >= 0);
  // Users had a succeeded release from its end, any other from its start (its first step); until
  // the end of its own rollback, or the rollback that undid it later. A deploy whose rollback gave
  // up and was never resumed has no restore to measure.
  const restores = failures.flatMap((failure) => {
    const impact = failure.outcome === "succeeded" ? failure.finished_at : failure.started_at;
    const restored = failure.outcome === "rolled_back" ? failure.finished_at : failure.reverted_at;
    return impact === null || restored === null ? [] : [Date.parse(restored) - Date.parse(impact)];
  });
  const days = options.windowMs / 86_400_000;
  const changes = succeeded.length + releaseRollbacks.length;
  return {
    environment: options.environment ?? null,
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), days },
    deploys: {
      succeeded: succeeded.length,
      rolled_back: count("rolled_back"),
      aborted: count("aborted"),
      failed: count("failed"),
      reverted: reverted.length,
    },
    rollbacks_not_caused_by_the_release: { telemetry: notTheRelease("telemetry"), router: notTheRelease("router") },
    restore_unknown: failures.length - restores.length,
    commit_after_finish: spans.length - leadTimes.length,
    metrics: {
      frequency_per_week: metric(
        "frequency_per_week",
        days > 0 ? succeeded.length / (days / 7) : null,
        succeeded.length,
      ),
      lead_time_hours: metric("lead_time_hours", median(leadTimes, 3_600_000), leadTimes.length),
      change_failure_rate: metric("change_failure_rate", changes === 0 ? null : failures.length / changes, changes),
      time_to_restore_minutes: metric("time_to_restore_minutes", median(restores, 60_000), restores.length),
    },
  };
}

/** The target as text: `< 4 h`, `< 5 %`. */
export function describeTarget(name: MetricName): string {
  const target = TARGETS[name];
  if (name === "change_failure_rate") return `${target.op} ${target.value * 100} %`;
  return `${target.op} ${target.value}${target.unit.startsWith("/") ? target.unit : ` ${target.unit}`}`;
}

// --- internal ---

function within(at: string, from: number, to: number): boolean {
  const time = Date.parse(at);
  return time > from && time <= to;
}

function median(values: readonly number[], unitMs: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value =
    sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return value / unitMs;
}

function metric(name: MetricName, value: number | null, samples: number): MetricValue {
  const target = TARGETS[name];
  const met = value === null ? null : target.op === ">" ? value > target.value : value < target.value;
  return { value, target: describeTarget(name), met, samples };
}
