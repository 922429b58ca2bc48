import { build } from "hdr-histogram-js";
import { Agent, request } from "undici";

/**
 * Active probes of one slot over a time window: requests at a fixed rate through undici, to each
 * application path in turn, latency percentiles from an HDR histogram (microsecond resolution).
 * A probe fails on a 5xx, a network error (refused, reset) or a timeout; a 2xx-4xx answer is the
 * application speaking (a 404 or 401 on a path is its answer, as in Flagger's request-success
 * rate). The window waits for requests still in flight.
 */
export interface ProbeSample {
  requests: number;
  failures: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** The first failure, to explain a verdict: `HTTP 500`, `ECONNREFUSED`, `timeout`. */
  firstFailure: string | null;
}

export interface ProbeOptions {
  /** Probed in turn, one request each. */
  urls: readonly string[];
  ratePerSecond: number;
  durationMs: number;
  timeoutMs: number;
  dispatcher: Agent;
  /**
   * Ends the window early once failures exceed this: the window's verdict is then already a
   * failure whatever follows, and a rollback should not wait for the rest of it.
   */
  stopAfterFailures?: number | undefined;
}

/** A keep-alive agent sized for probing one slot at a time. */
export function probeAgent(): Agent {
  return new Agent({ connections: 64, keepAliveTimeout: 4_000 });
}

export async function probeWindow(options: ProbeOptions): Promise<ProbeSample> {
  const histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const inFlight = new Set<Promise<void>>();
  // More in flight than a timeout's worth of requests means the slot is not answering: skipped
  // ticks then show up as too few requests (inconclusive), never as passes.
  const maxInFlight = Math.max(4, Math.ceil((options.ratePerSecond * options.timeoutMs) / 1000));
  const periodMs = 1000 / options.ratePerSecond;
  let requests = 0;
  let failures = 0;
  let firstFailure: string | null = null;
  const fail = (why: string): void => {
    failures += 1;
    firstFailure ??= why;
  };
  const one = async (url: string): Promise<void> => {
    const started = performance.now();
    try {
      const response = await request(url, {
        dispatcher: options.dispatcher,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.body.dump();
      if (response.statusCode >= 500) fail(`HTTP ${response.statusCode} on ${new URL(url).pathname}`);
    } catch (error) {
      fail(describeError(error));
    }
    histogram.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
  };
  const start = performance.now();
  for (let tick = 0; ; tick += 1) {
    const due = start + tick * periodMs;
    if (due - start >= options.durationMs || failures > (options.stopAfterFailures ?? Number.POSITIVE_INFINITY)) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (inFlight.size >= maxInFlight) continue;
    const url = options.urls[requests % options.urls.length] ?? "";
    requests += 1;
    const pending: Promise<void> = one(url).finally(() => inFlight.delete(pending));
    inFlight.add(pending);
  }
  await Promise.all(inFlight);
  const toMs = (percentile: number): number =>
    histogram.totalCount === 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000;
  const sample = { requests, failures, p50Ms: toMs(50), p95Ms: toMs(95), p99Ms: toMs(99), firstFailure };
  histogram.destroy();
  return sample;
}

// --- internal ---

function describeError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "HeadersTimeoutError" || error.name === "BodyTimeoutError")
      return "timeout";
    const code = "code" in error && typeof error.code === "string" ? error.code : undefined;
    return code ?? error.message;
  }
  return String(error);
}
