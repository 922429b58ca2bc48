import type { Thresholds } from "../config.js";
import type { PrometheusQuery } from "../../policy/deploy-settings.js";
import { type Measurement, type MeasurementResult, type Window } from "../state.js";
import type { ProbeSample } from "./probe.js";

/**
 * Pure verdicts on measurements. No data is never a pass: fewer requests than min_requests is
 * inconclusive, unless the failures seen already exceed the error budget of min_requests.
 */
export function judgeProbe(
  sample: ProbeSample,
  thresholds: Thresholds,
  source: Measurement["source"] = "probe",
): Measurement {
  const errorRate = sample.requests === 0 ? 0 : sample.failures / sample.requests;
  const values = {
    requests: sample.requests,
    failures: sample.failures,
    error_rate: round(errorRate),
    p50_ms: round(sample.p50Ms),
    p95_ms: round(sample.p95Ms),
    p99_ms: round(sample.p99Ms),
  };
  const why = sample.firstFailure === null ? "" : ` (first: ${sample.firstFailure})`;
  const measurement = (result: MeasurementResult, reason: string): Measurement => ({
    source,
    name: "http",
    result,
    reason,
    values,
  });
  if (sample.requests < thresholds.minRequests) {
    if (sample.failures / thresholds.minRequests > thresholds.maxErrorRate) {
      return measurement(
        "fail",
        `${sample.failures} failed of only ${sample.requests} requests: over max_error_rate ${thresholds.maxErrorRate} even at min_requests${why}`,
      );
    }
    return measurement("inconclusive", `only ${sample.requests} requests (< min_requests ${thresholds.minRequests})`);
  }
  if (errorRate > thresholds.maxErrorRate) {
    return measurement(
      "fail",
      `error rate ${percent(errorRate)} > max_error_rate ${percent(thresholds.maxErrorRate)} (${sample.failures}/${sample.requests})${why}`,
    );
  }
  if (sample.p95Ms > thresholds.maxP95Ms)
    return measurement("fail", `p95 ${round(sample.p95Ms)}ms > max_p95 ${thresholds.maxP95Ms}ms`);
  return measurement(
    "pass",
    `${sample.requests} requests, error rate ${percent(errorRate)}, p95 ${round(sample.p95Ms)}ms`,
  );
}

/** A PromQL result: a number, `null` for an empty result, or the error that prevented it. */
/**
 * A query's value, or why there is none: Prometheus could not be asked (`unreachable`), or it
 * answered that the query itself is wrong (`query`: refused, or more than one series), which no
 * amount of waiting changes.
 */
export type QueryValue = { value: number | null } | { error: string; cause: "unreachable" | "query" };

export function judgeQuery(query: PrometheusQuery, outcome: QueryValue): Measurement {
  const base = { source: "prometheus" as const, name: query.name };
  if ("error" in outcome) return { ...base, result: "error", reason: outcome.error, values: {} };
  const { value } = outcome;
  if (value === null || Number.isNaN(value))
    return { ...base, result: "inconclusive", reason: `${query.name}: no data`, values: {} };
  // The ledger keeps the value as measured (JSON has no infinity: `+Inf` is only in the reason).
  const values = Number.isFinite(value) ? { value } : {};
  if (query.max !== undefined && value > query.max)
    return { ...base, result: "fail", reason: `${query.name} = ${shown(value, query.max)} > max ${query.max}`, values };
  if (query.min !== undefined && value < query.min)
    return { ...base, result: "fail", reason: `${query.name} = ${shown(value, query.min)} < min ${query.min}`, values };
  return { ...base, result: "pass", reason: `${query.name} = ${shown(value)}`, values };
}

/** A PromQL value for a reason: rounded, unless rounding puts it on or across the limit it crossed. */
function shown(value: number, limit?: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  const rounded = round(value);
  return limit !== undefined && Math.sign(rounded - limit) !== Math.sign(value - limit)
    ? String(value)
    : String(rounded);
}

/**
 * Real traffic to the new release, judged like the probes. Too few requests is `starved`: it does
 * not hold the window back while another check has data, but with nothing else it is no pass.
 */
export function judgeTraffic(name: string, sample: ProbeSample, thresholds: Thresholds): Measurement {
  const judged = { ...judgeProbe(sample, thresholds, "traffic"), name };
  if (judged.result !== "inconclusive") return judged;
  return { ...judged, reason: `${name}: ${judged.reason}`, starved: true };
}

/** The PromQL volume query: how many requests the new release served in the window. */
export function judgeVolume(outcome: QueryValue, minRequests: number): Measurement {
  const base = { source: "traffic" as const, name: "prometheus_traffic" };
  if ("error" in outcome) return { ...base, result: "error", reason: outcome.error, values: {} };
  const requests = outcome.value ?? 0;
  const values = { requests: round(requests) };
  if (outcome.value === null || Number.isNaN(requests) || requests < minRequests)
    return {
      ...base,
      result: "inconclusive",
      reason: `prometheus_traffic: ${outcome.value === null ? "no data" : `${round(requests)} requests`} (< min_requests ${minRequests})`,
      values,
      starved: true,
    };
  return { ...base, result: "pass", reason: `prometheus_traffic: ${round(requests)} requests`, values };
}

/**
 * A PromQL check over too little traffic, or over a volume the traffic query could not tell, says
 * nothing (`x or vector(0)` reads as a pass with no requests at all). A failure it measured still
 * stands: even a few requests, all failing, are no reason to promote.
 */
export function starve(check: Measurement, volume: Measurement): Measurement {
  if (volume.result === "pass" || check.result === "error" || check.result === "fail") return check;
  return { ...check, result: "inconclusive", reason: `${check.name} not judged: ${volume.reason}`, starved: true };
}

/**
 * A window's result is its worst check: fail, then error, then inconclusive, then pass. A check
 * starved of traffic only counts when no other check passed: no traffic and no probe data is
 * inconclusive, never a pass.
 */
export function combine(at: string, checks: readonly Measurement[]): Window {
  const order: readonly MeasurementResult[] = ["fail", "error", "inconclusive", "pass"];
  const anyData = checks.some((check) => check.result === "pass");
  const counted = checks.filter((check) => !(anyData && check.starved === true));
  const worst = order.find((result) => counted.some((check) => check.result === result)) ?? "inconclusive";
  const deciding = counted.filter((check) => check.result === worst).map((check) => check.reason);
  const reason = checks.length === 0 ? "no checks configured" : deciding.join("; ");
  return { at, result: worst, reason, checks: [...checks] };
}

/**
 * The checks that had no data in any of the windows (a PromQL query matching nothing, an access
 * log the release never writes to): a step can pass on the others, and nothing else would say so.
 */
export function checksWithoutData(windows: readonly Window[]): string[] {
  const names = [...new Set(windows.flatMap((window) => window.checks.map((check) => check.name)))];
  return names.filter((name) =>
    windows.every((window) => window.checks.every((check) => check.name !== name || check.result === "inconclusive")),
  );
}

// --- internal ---

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function percent(rate: number): string {
  return `${round(rate * 100)} %`;
}
