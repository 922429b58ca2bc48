// The SLA every scenario enforces, read from the environment so that the runner (host or Dagger)
// passes the target environment's performance policy and the two can never drift. The defaults are
// the design SLA, equal to environments/production.yml (a test keeps them in sync).

/** @typedef {{ p95Ms: number, p99Ms: number, maxErrorRate: number, minChecksRate: number }} Sla */

/**
 * The trend statistics k6 writes to its summary. k6's default stops at p(95); the performance gate
 * judges p(99) too, and a missing metric is `error` (no data never passes).
 * @type {string[]}
 */
export const SUMMARY_TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"];

/** @type {Sla} */
export const DEFAULT_SLA = { p95Ms: 200, p99Ms: 500, maxErrorRate: 0.001, minChecksRate: 0.99 };

/**
 * @param {Record<string, string | undefined>} env k6's __ENV
 * @returns {Sla}
 */
export function slaFromEnv(env) {
  return {
    p95Ms: numberFrom(env, "SLA_P95_MS", DEFAULT_SLA.p95Ms),
    p99Ms: numberFrom(env, "SLA_P99_MS", DEFAULT_SLA.p99Ms),
    maxErrorRate: numberFrom(env, "SLA_MAX_ERROR_RATE", DEFAULT_SLA.maxErrorRate),
    minChecksRate: numberFrom(env, "SLA_MIN_CHECKS_RATE", DEFAULT_SLA.minChecksRate),
  };
}

/**
 * k6 thresholds encoding the SLA. `abort` stops the run as soon as the SLA is clearly lost, which
 * saves minutes on long scenarios; the delay lets the first seconds of warm-up settle first.
 * @param {Sla} sla
 * @param {{ abort?: boolean, delayAbortEval?: string }} [options]
 * @returns {Record<string, Array<string | { threshold: string, abortOnFail: boolean, delayAbortEval?: string }>>}
 */
export function slaThresholds(sla, options = {}) {
  /** @param {string} threshold */
  const rule = (threshold) =>
    options.abort === true
      ? { threshold, abortOnFail: true, delayAbortEval: options.delayAbortEval ?? "30s" }
      : threshold;
  // Inclusive, as the gate's limits are: `rate<0` could never pass a zero-tolerance policy.
  return {
    http_req_duration: [rule(`p(95)<=${sla.p95Ms}`), rule(`p(99)<=${sla.p99Ms}`)],
    http_req_failed: [rule(`rate<=${sla.maxErrorRate}`)],
    checks: [rule(`rate>=${sla.minChecksRate}`)],
  };
}

/**
 * @param {Record<string, string | undefined>} env
 * @param {string} name
 * @param {number} fallback
 */
function numberFrom(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}=${raw} is not a non-negative number`);
  return value;
}
