import { request, type Agent } from "undici";
import type { Thresholds } from "../config.js";
import type { PrometheusQuery } from "../../policy/deploy-settings.js";
import type { Slot, Window } from "../state.js";
import { combine, judgeProbe, judgeQuery } from "./judge.js";
import { probeAgent, probeWindow } from "./probe.js";
import { queryPrometheus } from "./prometheus.js";

/**
 * The analysis adapter the runner calls: health of a slot, warm-up, and one measurement window
 * (active probes of the new slot, then every PromQL query, judged and combined).
 */
export interface Analyzer {
  health(slot: Slot, signal?: AbortSignal): Promise<{ ok: boolean; detail: string }>;
  warmUp(slot: Slot): Promise<{ ok: boolean; detail: string }>;
  measure(slot: Slot, release: string): Promise<Window>;
  close(): Promise<void>;
}

export interface AnalyzerOptions {
  urls: Readonly<Record<Slot, string>>;
  environment: string;
  healthPath: string;
  healthTimeoutMs: number;
  probePath: string;
  probeRate: number;
  probeTimeoutMs: number;
  intervalMs: number;
  warmupMs: number;
  thresholds: Thresholds;
  prometheusUrl?: string | undefined;
  queries: readonly PrometheusQuery[];
}

export function createAnalyzer(options: AnalyzerOptions): Analyzer {
  const agent: Agent = probeAgent();
  const probe = (slot: Slot, durationMs: number, stopAfterFailures?: number) =>
    probeWindow({
      url: `${options.urls[slot]}${options.probePath}`,
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
  return {
    async health(slot) {
      const url = `${options.urls[slot]}${options.healthPath}`;
      const deadline = Date.now() + options.healthTimeoutMs;
      let last: string;
      for (;;) {
        try {
          const response = await request(url, {
            dispatcher: agent,
            signal: AbortSignal.timeout(Math.min(options.probeTimeoutMs, options.healthTimeoutMs)),
          });
          await response.body.dump();
          if (response.statusCode < 300) return { ok: true, detail: `${url} answered ${response.statusCode}` };
          last = `HTTP ${response.statusCode}`;
        } catch (error) {
          last =
            error instanceof Error
              ? "code" in error && typeof error.code === "string"
                ? error.code
                : error.message
              : String(error);
        }
        if (Date.now() + 250 > deadline)
          return { ok: false, detail: `${url} not healthy within ${options.healthTimeoutMs}ms (last: ${last})` };
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async warmUp(slot) {
      if (options.warmupMs <= 0) return { ok: true, detail: "no warm-up configured" };
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
      const sample = await probe(slot, options.intervalMs, failFast);
      const checks = [judgeProbe(sample, options.thresholds)];
      const prometheusUrl = options.prometheusUrl;
      if (prometheusUrl !== undefined) {
        const context = { release, slot, environment: options.environment };
        const results = await Promise.all(
          options.queries.map(async (query) =>
            judgeQuery(
              query,
              await queryPrometheus(prometheusUrl, query, context, {
                timeoutMs: options.probeTimeoutMs,
                dispatcher: agent,
              }),
            ),
          ),
        );
        checks.push(...results);
      }
      return combine(new Date().toISOString(), checks);
    },
    close: () => agent.close(),
  };
}
