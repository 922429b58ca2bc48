import { createReadStream, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PerformanceResult, type ReportFormat, type ThresholdOutcome } from "../../src/findings/finding.js";
import { k6, parseK6OutJson, parseK6OutJsonStream } from "../../src/tools/k6.js";
import { conformanceDir } from "./fixtures-dir.js";

/*
 * Real k6 outputs (../shared/fixtures/k6). Threshold outcomes below were read by hand from the
 * files; the summary-export ones are also re-derived from the raw JSON (where `true` means FAILED)
 * without the parser.
 */

const root = conformanceDir();
const dir = path.join(root ?? "", "k6");
const raw = (name: string): string => readFileSync(path.join(dir, name), "utf8");

const SUMMARIES: Readonly<Record<string, { format: ReportFormat; thresholds: ThresholdOutcome[] }>> = {
  "summary-export.threshold-failed.json": {
    format: "k6-summary-export",
    thresholds: [{ metric: "http_req_duration", expression: "p(95)<50", ok: false }],
  },
  "summary-export.threshold-passed.json": {
    format: "k6-summary-export",
    thresholds: [{ metric: "http_req_duration", expression: "p(95)<50", ok: true }],
  },
  "summary-export.mixed.json": {
    format: "k6-summary-export",
    thresholds: [
      { metric: "http_req_duration", expression: "p(95)<2000", ok: true },
      { metric: "http_req_failed", expression: "rate<0.3", ok: false },
    ],
  },
  "summary-export.submetric-thresholds.json": {
    format: "k6-summary-export",
    thresholds: [
      { metric: "http_req_duration{expected_response:true}", expression: "p(95)<500", ok: true },
      { metric: "http_req_failed{status:>=500}", expression: "rate<0.01", ok: true },
      { metric: "booking_success_rate", expression: "rate>0.05", ok: true },
      { metric: "successful_bookings", expression: "count>100", ok: true },
    ],
  },
  "handlesummary.all-passed.json": {
    format: "k6-handle-summary",
    thresholds: [
      { metric: "http_req_duration", expression: "p(95)<2000", ok: true },
      { metric: "http_req_failed", expression: "rate<0.1", ok: true },
    ],
  },
  "handlesummary.mixed.json": {
    format: "k6-handle-summary",
    thresholds: [
      { metric: "http_req_duration", expression: "p(95)<1000", ok: true },
      { metric: "http_req_duration", expression: "p(99)<2000", ok: true },
      { metric: "http_req_failed", expression: "rate<0.05", ok: false },
    ],
  },
};
const STREAM = "out-json.ticket-reserve.ndjson";

function performance(name: string): PerformanceResult {
  const result = k6.parse(raw(name), { file: name });
  if (result.performance === undefined) throw new Error(`${name}: no performance result`);
  return result.performance;
}

/** Just enough of a --summary-export file to read its thresholds as written. */
const WrittenThresholds = z.object({
  metrics: z.record(z.string(), z.object({ thresholds: z.record(z.string(), z.unknown()).optional() })),
});

/** `thresholds` of a --summary-export file as written: metric, expression, and the raw value. */
function rawTainted(name: string): { metric: string; expression: string; failed: unknown }[] {
  const { metrics } = WrittenThresholds.parse(JSON.parse(raw(name)));
  return Object.entries(metrics).flatMap(([metric, { thresholds }]) =>
    Object.entries(thresholds ?? {}).map(([expression, failed]) => ({ metric, expression, failed })),
  );
}

/** The raw `Point` lines of one metric in the sample stream. */
function rawPoints(metric: string): { time: string; value: number }[] {
  return raw(STREAM)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line): unknown => JSON.parse(line))
    .flatMap((line) => {
      if (typeof line !== "object" || line === null || !("type" in line) || line.type !== "Point") return [];
      if (!("metric" in line) || line.metric !== metric || !("data" in line)) return [];
      const data = line.data;
      if (typeof data !== "object" || data === null || !("time" in data) || !("value" in data)) return [];
      return typeof data.time === "string" && typeof data.value === "number"
        ? [{ time: data.time, value: data.value }]
        : [];
    });
}

async function* bytes(name: string): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(path.join(dir, name), { highWaterMark: 4_096 })) {
    if (Buffer.isBuffer(chunk)) yield chunk;
  }
}

describe.skipIf(root === undefined)("k6 conformance", () => {
  it("knows every file in the folder", () => {
    expect(readdirSync(dir).sort()).toEqual([...Object.keys(SUMMARIES), STREAM].sort());
  });

  it.each(Object.entries(SUMMARIES))("%s: detected by content, threshold outcomes right", (name, expected) => {
    expect(k6.detect(JSON.parse(raw(name)))).toBe(expected.format);
    const result = k6.parse(raw(name), { file: name });
    expect(result).toMatchObject({ tool: "k6", format: expected.format, findings: [], toolErrors: [], secrets: [] });
    expect(PerformanceResult.parse(result.performance)).toEqual(result.performance);
    expect(performance(name).thresholds).toEqual(expected.thresholds);
  });

  it.each(Object.keys(SUMMARIES).filter((name) => name.startsWith("summary-export")))(
    "%s: every threshold is the negation of what the export wrote",
    (name) => {
      const written = rawTainted(name);
      expect(written.length).toBeGreaterThan(0);
      expect(performance(name).thresholds).toEqual(
        written.map(({ metric, expression, failed }) => ({ metric, expression, ok: failed === false })),
      );
    },
  );

  it("threshold-failed vs threshold-passed: the p95 that decided it", () => {
    expect(
      performance("summary-export.threshold-failed.json").metrics["http_req_duration"]?.values["p(95)"],
    ).toBeCloseTo(165.288, 3);
    expect(
      performance("summary-export.threshold-passed.json").metrics["http_req_duration"]?.values["p(95)"],
    ).toBeCloseTo(1.156, 3);
  });

  it("summary-export.mixed: http_req_failed passes are failed requests (all 421), checks 408 passed / 308 failed", () => {
    const metrics = performance("summary-export.mixed.json").metrics;
    expect(metrics["http_req_failed"]).toEqual({ type: "rate", values: { passes: 421, fails: 0, rate: 1 } });
    expect(metrics["http_reqs"]?.values["count"]).toBe(421);
    expect(metrics["checks"]).toEqual({ type: "rate", values: { passes: 408, fails: 308, rate: 0.5698324022346368 } });
    expect(metrics["vus"]).toEqual({ type: "gauge", values: { value: 1, min: 1, max: 5 } });
    expect(metrics["data_received"]).toEqual({ type: "counter", values: { count: 116707, rate: 639.5170653293463 } });
  });

  it("summary-export.submetric-thresholds: tagged submetrics keep their names verbatim", () => {
    const metrics = performance("summary-export.submetric-thresholds.json").metrics;
    expect(metrics["http_req_duration{expected_response:true}"]?.type).toBe("trend");
    expect(metrics["http_req_failed{status:>=500}"]).toEqual({
      type: "rate",
      values: { passes: 0, fails: 0, rate: 0 },
    });
    expect(metrics["successful_bookings"]?.type).toBe("counter");
  });

  it("handlesummary files: types from the data, values as written", () => {
    const metrics = performance("handlesummary.mixed.json").metrics;
    expect(metrics["http_req_failed"]).toEqual({
      type: "rate",
      values: { rate: 0.9527925340990667, passes: 33181, fails: 1644 },
    });
    expect(metrics["vus_max"]).toEqual({ type: "gauge", values: { max: 500, value: 500, min: 500 } });
    expect(metrics["http_req_duration"]?.values["p(99)"]).toBeUndefined();
    expect(JSON.stringify(k6.parse(raw("handlesummary.mixed.json")))).not.toContain("roomId");
  });

  it(`${STREAM}: per-second requests, errors and latency add up to the raw samples`, async () => {
    const points = parseK6OutJson(raw(STREAM), { file: STREAM });
    expect(await parseK6OutJsonStream(bytes(STREAM), { file: STREAM })).toEqual(points);
    const requests = rawPoints("http_reqs");
    const failed = rawPoints("http_req_failed");
    const durations = rawPoints("http_req_duration");
    expect([requests.length, failed.length, durations.length]).toEqual([100, 100, 100]);
    expect(points.reduce((sum, point) => sum + point.requestsPerSecond, 0)).toBe(
      requests.reduce((sum, point) => sum + point.value, 0),
    );
    const seconds = new Set(requests.map((point) => Math.floor(Date.parse(point.time) / 1000)));
    expect(points.length).toBe(seconds.size);
    expect(points[0]?.t).toBe(0);
    const failures = failed.filter((point) => point.value !== 0).length;
    const weighted = points.reduce((sum, point) => {
      const inSecond = failed.filter(
        (sample) => Math.floor(Date.parse(sample.time) / 1000) === Date.parse(point.time) / 1000,
      ).length;
      return sum + point.errorRate * inSecond;
    }, 0);
    expect(weighted).toBeCloseTo(failures, 9);
    const maxDuration = Math.max(...durations.map((point) => point.value));
    expect(Math.max(...points.map((point) => point.p99Ms ?? 0))).toBeLessThanOrEqual(maxDuration);
    for (const point of points) {
      expect(point.p50Ms ?? 0).toBeLessThanOrEqual(point.p95Ms ?? 0);
      expect(point.p95Ms ?? 0).toBeLessThanOrEqual(point.p99Ms ?? 0);
    }
  });
});
