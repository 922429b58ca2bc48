import { z } from "zod";
import { ReportError, UsageError } from "../errors.js";
import { parseDuration } from "../policy/duration.js";
import type { PerformanceGatePolicy } from "../policy/schema.js";
import {
  METRIC_TYPES,
  type Metric,
  type PerformanceResult,
  type ReportFormat,
  type ThresholdOutcome,
  type ToolResult,
} from "../findings/finding.js";
import { invalidReport, isRecord, parseReportJson, wrongTool, type ReportContext } from "./report-json.js";
import type { ExitMeaning, ParseOptions, PinnedImage, RunnableAdapter, ToolAdapter } from "./types.js";

/** What this adapter carries beyond ToolAdapter: argv builders and exit-code constants. */
type AdapterExtras = RunnableAdapter & {
  env(options: K6EnvOptions): Record<string, string>;
};

/**
 * The pinned k6 image (v1.7.1, 2026-04): the version the recorded outputs and the scenarios were
 * checked against. k6 2.x keeps `--summary-export` (2.0 removed `--no-summary` and
 * `--summary-mode=legacy`); moving to it is a pin change once its output is checked.
 */
export const K6_IMAGE: PinnedImage = { ref: "grafana/k6:1.7.1", version: "1.7.1" };

/** k6 exit codes. Every other code (107 script error, 108 aborted, 105 interrupted…) is a failed run. */
export const K6_EXIT = {
  ok: 0,
  /** The run completed and at least one threshold failed: a result for the gate, not an error. */
  thresholdsFailed: 99,
} as const;

export interface K6RunOptions {
  /** The k6 script (a scenario under `scenarios/`). */
  script: string;
  /** Where k6 writes its end-of-test summary (`--summary-export`). */
  summaryExport: string;
  /** Where k6 streams every sample as NDJSON (`--out json=<f>`), for the per-second charts. */
  outJson?: string;
}

export interface K6EnvOptions {
  /** The system under test; scripts read it as `__ENV.BASE_URL`. */
  baseUrl: string;
  /** Where the scenarios' handleSummary writes k6's summary data (`__ENV.K6_SUMMARY_PATH`). */
  summaryPath?: string;
  /** The environment's performance policy, so the scenarios' own thresholds are the gate's. */
  sla?: PerformanceGatePolicy;
}

/** The k6 adapter: `--summary-export` JSON and handleSummary data, argv for `k6 run`. */
export const k6 = {
  name: "k6",
  image: K6_IMAGE,
  formats: ["k6-summary-export", "k6-handle-summary"],
  formatLabels: {
    "k6-summary-export": "a k6 --summary-export summary",
    "k6-handle-summary": "a k6 handleSummary summary",
  },
  kinds: {
    k6: {
      label: "a k6 summary (--summary-export or handleSummary)",
      feeds: ["performance"],
      requiredBy: ["performance"],
    },
  },
  exitCodes: K6_EXIT,
  versionArgv: ["version"],
  argv: {
    /** `k6 run --summary-export <f> [--out json=<f>] --quiet <script>`; run with `k6.env(...)`. */
    run(options: K6RunOptions): string[] {
      return [
        "run",
        "--summary-export",
        operand("summaryExport", options.summaryExport),
        ...(options.outJson === undefined ? [] : ["--out", `json=${operand("outJson", options.outJson)}`]),
        "--quiet",
        operand("script", options.script),
      ];
    },
  },
  /** Environment for `k6 run`: BASE_URL (and K6_SUMMARY_PATH when given). */
  env(options: K6EnvOptions): Record<string, string> {
    if (!/^https?:\/\/[^/\s]+/.test(options.baseUrl) || !URL.canParse(options.baseUrl)) {
      throw new UsageError(
        "USAGE",
        "k6 BASE_URL must be an http(s) URL (the value is not shown: it may carry credentials)",
        {
          tool: "k6",
          fix: "pass the target as http://host:port (for example http://127.0.0.1:8080)",
        },
      );
    }
    return {
      BASE_URL: options.baseUrl,
      ...(options.summaryPath === undefined ? {} : { K6_SUMMARY_PATH: options.summaryPath }),
      ...(options.sla === undefined ? {} : slaEnv(options.sla)),
    };
  },
  detect(document: unknown): ReportFormat | undefined {
    if (!isRecord(document) || !isRecord(document["metrics"])) return undefined;
    if (!("root_group" in document || "state" in document || "options" in document)) return undefined;
    const [first] = Object.values(document["metrics"]);
    if (first === undefined) return "state" in document ? "k6-handle-summary" : "k6-summary-export";
    return isRecord(first) && ("values" in first || "type" in first) ? "k6-handle-summary" : "k6-summary-export";
  },
  /** Parses a k6 summary (either format) into metrics and threshold outcomes; k6 has no findings. */
  parse(raw: string, options: ParseOptions = {}): ToolResult {
    return k6.parseDocument(parseReportJson(raw, k6Context(options)), options);
  },
  parseDocument(document: unknown, options: ParseOptions = {}): ToolResult {
    const context = k6Context(options);
    const format = k6.detect(document);
    if (format === undefined) throw wrongTool(document, context);
    const performance =
      format === "k6-summary-export" ? fromSummaryExport(document, context) : fromHandleSummary(document, context);
    return { tool: "k6", format, findings: [], toolErrors: [], performance, secrets: [] };
  },
  /** Exit 99 says a threshold failed: a summary with every threshold passing beside it is `error`. */
  findingsExitHasFindings: true,
  // k6 re-evaluates its thresholds after one aborted the run: the summary may then pass them all.
  findingsExitWording: {
    means: "a threshold failed (at the end, or one that aborted the run)",
    butReport: "the summary shows every threshold passing",
    so: "the run was cut short, or the summary is not that run's",
    fix: "read k6's output for the threshold that aborted the run, fix the cause and run it again",
  },
  exitMeaning(exitCode: number): ExitMeaning {
    if (exitCode === K6_EXIT.ok) return "clean";
    return exitCode === K6_EXIT.thresholdsFailed ? "findings" : "error";
  },
  /** A `--out json` sample stream (NDJSON) is k6's own output, but not the summary the gates read. */
  explainNotJson(raw: string, options: ParseOptions): ReportError | undefined {
    if (!isK6OutJson(raw)) return undefined;
    return new ReportError("REPORT_WRONG_TOOL", "this is a k6 --out json sample stream (NDJSON), not a k6 summary", {
      file: options.file,
      tool: "k6",
      fix: "pass the --summary-export (or handleSummary) file as --report k6=<file>; the sample stream only feeds the HTML report's charts",
    });
  },
} as const satisfies ToolAdapter & AdapterExtras;

/**
 * The SLA variables the scenarios read (scenarios/lib/sla.js): the k6 thresholds then encode the
 * same limits as the performance gate, so a script and its environment cannot drift apart.
 */
export function slaEnv(policy: PerformanceGatePolicy): Record<string, string> {
  return {
    SLA_P95_MS: String(parseDuration(policy.max_p95)),
    SLA_P99_MS: String(parseDuration(policy.max_p99)),
    SLA_MAX_ERROR_RATE: String(policy.max_error_rate),
    SLA_MIN_CHECKS_RATE: String(policy.min_checks_rate),
  };
}

/** One second of a k6 run, from `--out json` (assignable to the HTML report's TimePoint). */
export interface K6SeriesPoint {
  /** Seconds since the first sample's second. */
  t: number;
  /** Start of that second, ISO 8601 UTC. */
  time: string;
  requestsPerSecond: number;
  /** Failed / all `http_req_failed` samples in that second; 0 when there were none. */
  errorRate: number;
  /** `http_req_duration` percentiles in that second (k6's interpolation); absent without requests. */
  p50Ms?: number;
  p90Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
}

/** Per-second request rate, error rate and latency percentiles from a `k6 run --out json=<f>` file. */
export function parseK6OutJson(raw: string, options: ParseOptions = {}): K6SeriesPoint[] {
  const series = new K6SeriesBuilder(k6OutContext(options));
  raw.split("\n").forEach((line, index) => series.add(line, index + 1));
  return series.finish();
}

/**
 * True when the text is a `--out json` sample stream (its first line a Metric or Point object):
 * lets the registry tell a user who passed it as a report what it is.
 */
export function isK6OutJson(raw: string): boolean {
  const firstLine =
    raw
      .replace(/^\uFEFF/, "")
      .trimStart()
      .split("\n", 1)[0] ?? "";
  try {
    const parsed = OutLine.safeParse(JSON.parse(firstLine));
    return parsed.success && (parsed.data.type === "Metric" || parsed.data.type === "Point");
  } catch {
    return false;
  }
}

/** parseK6OutJson for a stream: an hour of samples need not fit in one string. */
export async function parseK6OutJsonStream(
  chunks: AsyncIterable<string | Uint8Array>,
  options: ParseOptions = {},
): Promise<K6SeriesPoint[]> {
  const series = new K6SeriesBuilder(k6OutContext(options));
  const decoder = new TextDecoder();
  let pending = "";
  let lineNumber = 0;
  const take = (text: string): void => {
    const lines = (pending + text).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) series.add(line, (lineNumber += 1));
  };
  for await (const chunk of chunks)
    take(typeof chunk === "string" ? decoder.decode() + chunk : decoder.decode(chunk, { stream: true }));
  take(decoder.decode());
  series.add(pending, lineNumber + 1);
  return series.finish();
}

// --- internal ---

/*
 * Third-party schemas: k6 adds keys across versions (`contains`, `setup_data`, `state`…), so only
 * the fields read here are checked; unknown keys are accepted and dropped.
 */

/** `--summary-export`: statistics flat on the metric; `thresholds[expr]` is true when it FAILED. */
// k6 writes the export with JSON.stringify: a non-finite statistic (a custom Trend fed Infinity) is null, dropped.
const ExportMetric = z
  .object({ thresholds: z.record(z.string(), z.boolean()).optional() })
  .catchall(z.number().nullable());
const SummaryExport = z.object({ metrics: z.record(z.string(), ExportMetric) });

/** handleSummary data: JSON.stringify writes NaN as null, which is kept as "no value". */
const HandleSummary = z.object({
  metrics: z.record(
    z.string(),
    z.object({
      type: z.enum(METRIC_TYPES),
      values: z.record(z.string(), z.number().nullable()),
      thresholds: z.record(z.string(), z.object({ ok: z.boolean() })).optional(),
    }),
  ),
});

const OutLine = z.object({ type: z.string(), metric: z.string().optional(), data: z.unknown() });
const OutPoint = z.object({
  time: z.string().refine((time) => Number.isFinite(Date.parse(time)), "expected a timestamp"),
  value: z.number(),
});
const SERIES_METRICS = new Set(["http_reqs", "http_req_failed", "http_req_duration"]);

function fromSummaryExport(document: unknown, context: ReportContext): PerformanceResult {
  const parsed = SummaryExport.safeParse(document);
  if (!parsed.success) throw invalidReport(parsed.error, context);
  const metrics: Record<string, Metric> = {};
  const thresholds: ThresholdOutcome[] = [];
  for (const [name, { thresholds: exprs, ...written }] of Object.entries(parsed.data.metrics)) {
    const stats = Object.fromEntries(
      Object.entries(written).filter((entry): entry is [string, number] => entry[1] !== null),
    );
    const type = exportMetricType(stats);
    if (type === undefined) {
      throw new ReportError("REPORT_INVALID", `the k6 summary export has a metric whose type cannot be told: ${name}`, {
        file: context.file,
        tool: "k6",
        path: `metrics.${name}`,
        fix: `re-generate the report with ${context.producer}; do not edit reports by hand`,
      });
    }
    const { value, ...rest } = stats;
    metrics[name] = {
      type,
      values: type === "rate" ? { ...rest, ...(value === undefined ? {} : { rate: value }) } : stats,
    };
    // k6 writes whether the threshold failed ("tainted"), not whether it passed.
    for (const [expression, failed] of Object.entries(exprs ?? {}))
      thresholds.push({ metric: name, expression, ok: !failed });
  }
  return { metrics, thresholds };
}

function fromHandleSummary(document: unknown, context: ReportContext): PerformanceResult {
  const parsed = HandleSummary.safeParse(document);
  if (!parsed.success) throw invalidReport(parsed.error, context);
  const metrics: Record<string, Metric> = {};
  const thresholds: ThresholdOutcome[] = [];
  for (const [name, metric] of Object.entries(parsed.data.metrics)) {
    const values = Object.fromEntries(
      Object.entries(metric.values).filter((entry): entry is [string, number] => entry[1] !== null),
    );
    metrics[name] = { type: metric.type, values };
    for (const [expression, { ok }] of Object.entries(metric.thresholds ?? {}))
      thresholds.push({ metric: name, expression, ok });
  }
  return { metrics, thresholds };
}

/** The export does not name metric types; the statistics k6 writes for each type tell them apart. */
function exportMetricType(stats: Record<string, number>): Metric["type"] | undefined {
  const keys = Object.keys(stats);
  if (keys.includes("passes") || keys.includes("fails")) return "rate";
  if (keys.includes("avg") || keys.includes("med") || keys.some((key) => key.startsWith("p("))) return "trend";
  if (keys.includes("count")) return "counter";
  if (keys.includes("value")) return "gauge";
  return keys.includes("min") || keys.includes("max") ? "trend" : undefined;
}

interface Second {
  requests: number;
  failed: number;
  failedSamples: number;
  durations: number[];
}

class K6SeriesBuilder {
  private readonly seconds = new Map<number, Second>();
  private sawContent = false;

  constructor(private readonly context: ReportContext) {}

  add(rawLine: string, lineNumber: number): void {
    const line = lineNumber === 1 ? rawLine.replace(/^\uFEFF/, "").trim() : rawLine.trim();
    if (line === "") return;
    this.sawContent = true;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw this.error("REPORT_MALFORMED", lineNumber, "is not valid JSON (truncated?)", { cause });
    }
    const parsed = OutLine.safeParse(value);
    if (!parsed.success) throw this.error("REPORT_WRONG_TOOL", lineNumber, "is not a k6 --out json sample");
    const { type, metric, data } = parsed.data;
    if (type !== "Point" || metric === undefined || !SERIES_METRICS.has(metric)) return;
    const point = OutPoint.safeParse(data);
    if (!point.success) {
      const issue = point.error.issues[0];
      const path = ["data", ...(issue?.path ?? []).map(String)].join(".");
      throw this.error("REPORT_INVALID", lineNumber, `has an invalid ${path} (${issue?.message ?? "invalid"})`, {
        path,
      });
    }
    const second = Math.floor(Date.parse(point.data.time) / 1000);
    const bucket = this.seconds.get(second) ?? { requests: 0, failed: 0, failedSamples: 0, durations: [] };
    this.seconds.set(second, bucket);
    if (metric === "http_reqs") bucket.requests += point.data.value;
    else if (metric === "http_req_duration") bucket.durations.push(point.data.value);
    else {
      bucket.failed += point.data.value === 0 ? 0 : 1;
      bucket.failedSamples += 1;
    }
  }

  finish(): K6SeriesPoint[] {
    if (!this.sawContent) {
      throw new ReportError("REPORT_EMPTY", "the k6 --out json file is empty", {
        file: this.context.file,
        tool: "k6",
        fix: "run k6 with --out json=<file> and let the run finish",
      });
    }
    const seconds = [...this.seconds.keys()].sort((a, b) => a - b);
    const start = seconds[0] ?? 0;
    return seconds.map((second) => {
      const bucket = this.seconds.get(second) ?? { requests: 0, failed: 0, failedSamples: 0, durations: [] };
      const sorted = bucket.durations.sort((a, b) => a - b);
      return {
        t: second - start,
        time: new Date(second * 1000).toISOString(),
        requestsPerSecond: bucket.requests,
        errorRate: bucket.failedSamples === 0 ? 0 : bucket.failed / bucket.failedSamples,
        ...(sorted.length === 0
          ? {}
          : {
              p50Ms: percentile(sorted, 0.5),
              p90Ms: percentile(sorted, 0.9),
              p95Ms: percentile(sorted, 0.95),
              p99Ms: percentile(sorted, 0.99),
            }),
      };
    });
  }

  private error(
    code: "REPORT_MALFORMED" | "REPORT_WRONG_TOOL" | "REPORT_INVALID",
    lineNumber: number,
    what: string,
    extra: { cause?: unknown; path?: string } = {},
  ): ReportError {
    return new ReportError(code, `line ${lineNumber} of the k6 --out json file ${what}`, {
      file: this.context.file,
      tool: "k6",
      ...extra,
      fix: "pass the NDJSON file written by k6 run --out json=<file> (one sample per line), complete and unedited",
    });
  }
}

/** k6's own percentile: linear interpolation between the two nearest ranks (TrendSink.P). */
function percentile(sorted: readonly number[], fraction: number): number {
  const rank = fraction * (sorted.length - 1);
  const low = sorted[Math.floor(rank)] ?? 0;
  const high = sorted[Math.ceil(rank)] ?? low;
  return low + (high - low) * (rank - Math.floor(rank));
}

function k6Context(options: ParseOptions): ReportContext {
  return {
    tool: "k6",
    expected: "k6 summary (--summary-export JSON or handleSummary data)",
    producer: `k6 ${K6_IMAGE.version} run --summary-export <file>`,
    file: options.file,
  };
}

function k6OutContext(options: ParseOptions): ReportContext {
  return { tool: "k6", expected: "k6 --out json NDJSON", producer: "k6 run --out json=<file>", file: options.file };
}

/** A value k6 would read as a flag (or an empty one) is a caller bug, not something to run. */
function operand(name: string, value: string): string {
  if (value === "" || value.startsWith("-")) {
    throw new UsageError("USAGE", `k6 ${name} must be a non-empty path not starting with "-"`, {
      tool: "k6",
      path: name,
      fix: "prefix a relative path with ./",
    });
  }
  return value;
}
