import type { PerformanceResult } from "../findings/finding.js";
import { parseDuration } from "../policy/duration.js";
import type { PerformanceGatePolicy } from "../policy/schema.js";
import { LATENCY_CHECKS, type CheckUnit, type GateCheck } from "../model/checks.js";

/** A reason the gate cannot be judged (no data never passes). */
export interface MissingData {
  message: string;
  fix: string;
}

export interface PerformanceAssessment {
  checks: GateCheck[];
  /** Too little data to judge anything (no or too few requests): the gate is `error`. */
  insufficient: MissingData[];
  /** Bounds whose metric is absent: the other bounds are still judged, and a failed one wins. */
  missing: MissingData[];
}

const TREND_STATS_FIX =
  "add the percentile to the k6 options: summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)']";

/**
 * Compares one k6 run with the policy: request count, p(95) and p(99) of http_req_duration, the
 * http_req_failed rate, the checks rate and, when honoured, k6's own thresholds. Every comparison
 * is listed; a metric that is absent is missing data, never a pass: the gate is `error` unless a
 * bound that could be judged failed (95 % failed requests is a `fail` whatever p(99) was). Too few
 * requests, or no count at all, leave nothing to judge. Limits are inclusive: a p(95) equal to
 * max_p95 is within it.
 */
export function assessPerformance(
  policy: PerformanceGatePolicy,
  performance: PerformanceResult,
  /** The k6 report the checks come from, when several are judged (`k6.smoke`). */
  source?: string,
): PerformanceAssessment {
  const checks: GateCheck[] = [];
  const insufficient: MissingData[] = [];
  const missing: MissingData[] = [];
  const prefix = source === undefined ? "" : `${source}: `;
  const from = source === undefined ? {} : { source };
  const value = (metric: string, stat: string): number | undefined => {
    const measured = performance.metrics[metric]?.values[stat];
    return measured !== undefined && Number.isFinite(measured) ? measured : undefined;
  };
  const compare = (spec: Comparison): void => {
    const measured = value(spec.metric, spec.stat);
    if (measured === undefined) {
      (spec.missingWhenLow === true ? insufficient : missing).push({
        message: `${prefix}no ${spec.metric} ${spec.stat} in the k6 summary`,
        fix: spec.fix,
      });
      return;
    }
    const ok = spec.bound === "max" ? measured <= spec.limit : measured >= spec.limit;
    checks.push({
      kind: "limit",
      name: spec.name,
      ...from,
      bound: spec.bound,
      limit: spec.limit,
      measured,
      unit: spec.unit,
      ok,
    });
    if (!ok && spec.missingWhenLow === true) {
      insufficient.push({
        message: `${prefix}only ${measured} requests, fewer than min_requests ${spec.limit}: too little data to judge`,
        fix: "run the load test longer or with more virtual users, or lower gates.performance.min_requests",
      });
    }
  };

  compare({
    name: "http_reqs count",
    metric: "http_reqs",
    stat: "count",
    bound: "min",
    limit: policy.min_requests,
    unit: "count",
    fix: "point the load test at the target so it makes HTTP requests (no requests, no verdict)",
    missingWhenLow: true,
  });
  compare({
    name: LATENCY_CHECKS.p95,
    metric: "http_req_duration",
    stat: "p(95)",
    bound: "max",
    limit: parseDuration(policy.max_p95),
    unit: "ms",
    fix: TREND_STATS_FIX,
  });
  compare({
    name: LATENCY_CHECKS.p99,
    metric: "http_req_duration",
    stat: "p(99)",
    bound: "max",
    limit: parseDuration(policy.max_p99),
    unit: "ms",
    fix: TREND_STATS_FIX,
  });
  compare({
    name: "http_req_failed rate",
    metric: "http_req_failed",
    stat: "rate",
    bound: "max",
    limit: policy.max_error_rate,
    unit: "ratio",
    fix: "make sure the scenario sends HTTP requests with k6/http, whose http_req_failed metric this reads",
  });
  if (policy.min_checks_rate > 0) {
    compare({
      name: "checks rate",
      metric: "checks",
      stat: "rate",
      bound: "min",
      limit: policy.min_checks_rate,
      unit: "ratio",
      fix: "add check() calls to the scenario, or set gates.performance.min_checks_rate: 0",
    });
  }
  if (policy.honour_k6_thresholds) {
    for (const threshold of performance.thresholds) {
      checks.push({
        kind: "k6_threshold",
        ...from,
        metric: threshold.metric,
        expression: threshold.expression,
        ok: threshold.ok,
      });
    }
  }
  return { checks, insufficient, missing };
}

// --- internal ---

interface Comparison {
  name: string;
  metric: string;
  stat: string;
  bound: "max" | "min";
  limit: number;
  unit: CheckUnit;
  fix: string;
  /** Below the minimum means "not enough data" (error) rather than a failure. */
  missingWhenLow?: boolean;
}
