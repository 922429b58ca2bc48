import { request, type Agent } from "undici";
import type { Thresholds } from "../config.js";
import type { PrometheusQuery } from "../../policy/deploy-settings.js";
import type { Measurement, Slot, Window } from "../state.js";
import { accessLogReader, sampleAccessLog } from "./access-log.js";
import { combine, judgeProbe, judgeQuery, judgeTraffic, judgeVolume, starve } from "./judge.js";
import { probeAgent, probeWindow } from "./probe.js";
import { queryPrometheus } from "./prometheus.js";

/**
 * The analysis adapter the runner calls: health of a slot (readiness, on the health path only),
 * warm-up, and one measurement window: active probes of the application's paths on the new slot,
 * the real requests nginx's access log shows for it, the real traffic Prometheus counts, then
 * every PromQL query, judged and combined.
 */
export interface Analyzer {
  health(slot: Slot, signal?: AbortSignal): Promise<{ ok: boolean; detail: string }>;
  warmUp(slot: Slot): Promise<{ ok: boolean; detail: string }>;
  measure(slot: Slot, release: string): Promise<Window>;
  /**
   * Asks Prometheus each query once, for the release and slot about to be deployed, before any
   * traffic moves: a query Prometheus refuses, or that returns several series, would fail every
   * window once users are on the release. Undefined when all can be asked (no data is fine: the
   * release has served nobody yet).
   */
  preflight(slot: Slot, release: string): Promise<{ problem: string; cause: "unreachable" | "query" } | undefined>;
  close(): Promise<void>;
}

/** The shortest `health_timeout` in which a healthy slot can answer 2xx the times in a row health asks. */
export const SHORTEST_HEALTH_TIMEOUT_MS = 1_000;

export interface AnalyzerOptions {
  urls: Readonly<Record<Slot, string>>;
  environment: string;
  healthPath: string;
  healthTimeoutMs: number;
  probePaths: readonly string[];
  /** 0: no probes. */
  probeRate: number;
  probeTimeoutMs: number;
  intervalMs: number;
  warmupMs: number;
  thresholds: Thresholds;
  prometheusUrl?: string | undefined;
  queries: readonly PrometheusQuery[];
  /** PromQL: requests the new release served in the last window. */
  trafficQuery?: string | undefined;
  /** nginx access log in ACCESS_LOG_FORMAT, and each slot's `host:port` as nginx logs it. */
  accessLog?: { file: string; servers: Readonly<Record<Slot, string>> } | undefined;
}

export function createAnalyzer(options: AnalyzerOptions): Analyzer {
  const agent: Agent = probeAgent();
  const probe = (slot: Slot, durationMs: number, stopAfterFailures?: number) =>
    probeWindow({
      urls: options.probePaths.map((probePath) => `${options.urls[slot]}${probePath}`),
      ratePerSecond: options.probeRate,
      durationMs,
      timeoutMs: options.probeTimeoutMs,
      dispatcher: agent,
      stopAfterFailures,
    });
  // More failures than the error budget of a full window (or of min_requests, if larger) decide
  // the window already: judgeProbe fails it in both of its branches.
  const expected = Math.ceil((options.probeRate * options.intervalMs) / 1000);
  const failFast = Math.floor(options.thresholds.maxErrorRate * Math.max(expected, options.thresholds.minRequests));
  const accessLog = options.accessLog === undefined ? undefined : accessLogReader(options.accessLog.file);
  const ask = (prometheusUrl: string, query: PrometheusQuery, slot: Slot, release: string) =>
    queryPrometheus(
      prometheusUrl,
      query,
      { release, slot, environment: options.environment },
      { timeoutMs: options.probeTimeoutMs, dispatcher: agent },
    );
  /** Every PromQL check; with a traffic query, checks over too little traffic are not judged. */
  const promql = async (slot: Slot, release: string): Promise<Measurement[]> => {
    const prometheusUrl = options.prometheusUrl;
    if (prometheusUrl === undefined) return [];
    const trafficQuery = options.trafficQuery;
    const [volume, ...checks] = await Promise.all([
      trafficQuery === undefined
        ? undefined
        : ask(prometheusUrl, { name: "prometheus_traffic", query: trafficQuery, min: 0 }, slot, release).then(
            (outcome) => judgeVolume(outcome, options.thresholds.minRequests),
          ),
      ...options.queries.map(async (query) => judgeQuery(query, await ask(prometheusUrl, query, slot, release))),
    ]);
    const judged = checks.filter((check) => check !== undefined);
    return volume === undefined ? judged : [volume, ...judged.map((check) => starve(check, volume))];
  };
  return {
    async health(slot) {
      const url = `${options.urls[slot]}${options.healthPath}`;
      const deadline = Date.now() + options.healthTimeoutMs;
      let last: string;
      // One 2xx is not health: a readiness endpoint that flaps between 200 and 500 would pass.
      let inARow = 0;
      for (;;) {
        try {
          const response = await request(url, {
            dispatcher: agent,
            signal: AbortSignal.timeout(Math.min(options.probeTimeoutMs, options.healthTimeoutMs)),
          });
          await response.body.dump();
          if (response.statusCode < 300) {
            inARow += 1;
            if (inARow >= HEALTHY_IN_A_ROW)
              return { ok: true, detail: `${url} answered ${response.statusCode} ${inARow} times in a row` };
          } else inARow = 0;
          last = `HTTP ${response.statusCode}`;
        } catch (error) {
          inARow = 0;
          last =
            error instanceof Error
              ? "code" in error && typeof error.code === "string"
                ? error.code
                : error.message
              : String(error);
        }
        if (Date.now() + 250 > deadline)
          return {
            ok: false,
            detail: `${url} not healthy within ${options.healthTimeoutMs}ms (last: ${last}; ${HEALTHY_IN_A_ROW} 2xx answers in a row needed)`,
          };
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async warmUp(slot) {
      if (options.warmupMs <= 0 || options.probeRate === 0) return { ok: true, detail: "no warm-up configured" };
      const sample = await probe(slot, options.warmupMs);
      // Warm-up only asks for answers: latency settles once caches are warm, and volume is ours.
      const judged = judgeProbe(
        sample,
        { ...options.thresholds, maxP95Ms: Number.POSITIVE_INFINITY, minRequests: 1 },
        "warmup",
      );
      return { ok: judged.result === "pass", detail: judged.reason };
    },
    async measure(slot, release) {
      const windowStart = Date.now();
      await accessLog?.mark();
      const checks =
        options.probeRate === 0
          ? await sleepWindow(options.intervalMs)
          : [judgeProbe(await probe(slot, options.intervalMs, failFast), options.thresholds)];
      if (accessLog !== undefined && options.accessLog !== undefined) {
        const text = await accessLog.readSinceMark();
        const sample = sampleAccessLog(text, options.accessLog.servers[slot], windowStart);
        checks.push(judgeTraffic("nginx_access_log", sample, options.thresholds));
      }
      checks.push(...(await promql(slot, release)));
      return combine(new Date().toISOString(), checks);
    },
    async preflight(slot, release) {
      const prometheusUrl = options.prometheusUrl;
      if (prometheusUrl === undefined) return undefined;
      const trafficQuery = options.trafficQuery;
      const queries = [
        ...(trafficQuery === undefined ? [] : [{ name: "prometheus_traffic_query", query: trafficQuery }]),
        ...options.queries,
      ];
      const answers = await Promise.all(queries.map((query) => ask(prometheusUrl, query, slot, release)));
      const errors = answers.flatMap((answer) => ("error" in answer ? [answer] : []));
      const wrong = errors.filter((answer) => answer.cause === "query");
      const failed = wrong.length > 0 ? wrong : errors;
      if (failed.length === 0) return undefined;
      return { problem: failed.map((answer) => answer.error).join("; "), cause: failed[0]?.cause ?? "query" };
    },
    close: () => agent.close(),
  };
}

// --- internal ---

/** 2xx answers in a row, 250 ms apart, that make a slot healthy (Kubernetes' `successThreshold`). */
const HEALTHY_IN_A_ROW = 3;

/** Without probes, a window is the time real traffic has to show up. */
async function sleepWindow(ms: number): Promise<Measurement[]> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return [];
}
