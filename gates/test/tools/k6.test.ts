import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPortcullisError } from "../../src/errors.js";
import { loadEnvironment } from "../../src/policy/load-files.js";
import { PerformanceResult, type ToolResult } from "../../src/findings/finding.js";
import { isK6OutJson, k6, K6_EXIT, K6_IMAGE, parseK6OutJson, parseK6OutJsonStream } from "../../src/tools/k6.js";
import { failure } from "./failure.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/k6/${name}`, import.meta.url), "utf8");

function performance(result: ToolResult): PerformanceResult {
  if (result.performance === undefined) throw new Error("no performance result");
  return result.performance;
}

async function* lines(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let start = 0; start < bytes.length; start += size) {
    yield bytes.slice(start, start + size);
    await Promise.resolve();
  }
}

describe("k6 image, exit codes and argv", () => {
  it("pins a 1.x release", () => {
    expect(K6_IMAGE.ref).toMatch(/^grafana\/k6:1\.\d+\.\d+$/);
    expect(K6_IMAGE.ref.endsWith(`:${K6_IMAGE.version}`)).toBe(true);
  });

  it.each([
    [0, "clean"],
    [99, "findings"],
    [97, "error"],
    [105, "error"],
    [107, "error"],
    [108, "error"],
    [1, "error"],
    [255, "error"],
  ])("exit code %s means %s", (code, meaning) => {
    expect(k6.exitMeaning(code)).toBe(meaning);
    expect(k6.exitCodes).toBe(K6_EXIT);
  });

  it.each([
    [
      { script: "scenarios/load.js", summaryExport: "/out/k6.json" },
      ["run", "--summary-export", "/out/k6.json", "--quiet", "scenarios/load.js"],
    ],
    [
      { script: "scenarios/load.js", summaryExport: "/out/k6.json", outJson: "/out/k6.ndjson" },
      ["run", "--summary-export", "/out/k6.json", "--out", "json=/out/k6.ndjson", "--quiet", "scenarios/load.js"],
    ],
  ])("k6 run %o", (options, expected) => {
    expect(k6.argv.run(options)).toEqual(expected);
  });

  it("passes the target in BASE_URL and refuses what is not an http(s) URL", () => {
    expect(k6.env({ baseUrl: "http://127.0.0.1:8080" })).toEqual({ BASE_URL: "http://127.0.0.1:8080" });
    expect(k6.env({ baseUrl: "https://staging.example", summaryPath: "/out/summary.json" })).toEqual({
      BASE_URL: "https://staging.example",
      K6_SUMMARY_PATH: "/out/summary.json",
    });
    expect(failure(() => k6.env({ baseUrl: "staging.example" }))).toMatchInlineSnapshot(
      `"[USAGE] k6 BASE_URL must be an http(s) URL (the value is not shown: it may carry credentials) — fix: pass the target as http://host:port (for example http://127.0.0.1:8080)"`,
    );
    expect(failure(() => k6.argv.run({ script: "-e", summaryExport: "s.json" }))).toMatchInlineSnapshot(
      `"[USAGE] script: k6 script must be a non-empty path not starting with "-" — fix: prefix a relative path with ./"`,
    );
  });
});

describe("k6 summaries", () => {
  const exported = k6.parse(fixture("summary-export.json"), { file: "k6.json" });
  const handled = k6.parse(fixture("handle-summary.json"), { file: "summary.json" });

  it("reads --summary-export: metric types from their statistics, rate `value` as `rate`", () => {
    expect(exported).toMatchObject({
      tool: "k6",
      format: "k6-summary-export",
      findings: [],
      toolErrors: [],
      secrets: [],
    });
    expect(performance(exported).metrics).toEqual({
      http_req_duration: {
        type: "trend",
        values: { avg: 61.42, min: 3.108, med: 48.9, max: 1204.55, "p(90)": 139.2, "p(95)": 212.7, "p(99)": 480.31 },
      },
      "http_req_duration{expected_response:true}": {
        type: "trend",
        values: { avg: 60.01, min: 3.108, med: 48.2, max: 1204.55, "p(90)": 137.9, "p(95)": 209.4, "p(99)": 471.9 },
      },
      // passes counts the requests that failed: http_req_failed is true for a failed request.
      http_req_failed: { type: "rate", values: { passes: 18, fails: 5982, rate: 0.003 } },
      http_reqs: { type: "counter", values: { count: 6000, rate: 99.86 } },
      vus: { type: "gauge", values: { value: 1, min: 1, max: 20 } },
      checks: { type: "rate", values: { passes: 5982, fails: 18, rate: 0.997 } },
    });
  });

  it("inverts the export's thresholds: `true` there means the threshold failed", () => {
    expect(performance(exported).thresholds).toEqual([
      { metric: "http_req_duration", expression: "p(95)<200", ok: false },
      { metric: "http_req_duration", expression: "p(99)<500", ok: true },
      { metric: "http_req_duration{expected_response:true}", expression: "p(95)<250", ok: true },
      { metric: "http_req_failed", expression: "rate<0.001", ok: false },
      { metric: "http_reqs", expression: "count>=1000", ok: true },
    ]);
  });

  it("drops a statistic the export wrote as null (a custom Trend fed Infinity), as handleSummary data is read", () => {
    const raw = JSON.parse(fixture("summary-export.json")) as { metrics: Record<string, unknown> };
    raw.metrics["custom_wait"] = { avg: null, min: 0, med: null, max: null, "p(90)": null, "p(95)": null };
    const read = performance(k6.parse(JSON.stringify(raw), { file: "k6.json" }));
    expect(read.metrics["custom_wait"]).toEqual({ type: "trend", values: { min: 0 } });
    expect(read.metrics["http_req_duration"]).toEqual(performance(exported).metrics["http_req_duration"]);
  });

  it("reads handleSummary data of the same run to the same metrics and outcomes, dropping NaN written as null", () => {
    expect(handled.format).toBe("k6-handle-summary");
    const { iteration_duration: iteration, ...metrics } = performance(handled).metrics;
    expect(metrics).toEqual(performance(exported).metrics);
    expect(iteration).toEqual({
      type: "trend",
      values: { min: 0, med: 0, max: 0, "p(90)": 0, "p(95)": 0, "p(99)": 0 },
    });
    expect(performance(handled).thresholds).toEqual(performance(exported).thresholds);
    expect(JSON.stringify(handled)).not.toContain("setup-token-not-read");
  });

  it.each([
    ["summary-export.json", "k6-summary-export"],
    ["handle-summary.json", "k6-handle-summary"],
  ])("detects %s as %s by content", (name, format) => {
    expect(k6.detect(JSON.parse(fixture(name)))).toBe(format);
  });

  it.each([
    [{ root_group: {}, metrics: {} }, "k6-summary-export"],
    [{ state: { testRunDurationMs: 0 }, metrics: {} }, "k6-handle-summary"],
    [{ metrics: { http_reqs: { count: 1 } } }, undefined],
    [{ root_group: {}, metrics: [] }, undefined],
    [[], undefined],
  ])("detect(%o) -> %s", (document, format) => {
    expect(k6.detect(document)).toBe(format);
  });
});

describe("k6 report errors", () => {
  const exportWith = (patch: (text: string) => string): string => patch(fixture("summary-export.json"));

  it("pins the texts of empty, malformed and wrong-tool reports", () => {
    expect(failure(() => k6.parse("", { file: "k6.json" }))).toMatchInlineSnapshot(
      `"[REPORT_EMPTY] k6.json: the k6 report is empty; expected a k6 summary (--summary-export JSON or handleSummary data) — fix: check that k6 1.7.1 run --summary-export <file> ran to completion and wrote its report; a clean run still writes one"`,
    );
    expect(failure(() => k6.parse(fixture("summary-export.json").slice(0, 200), { file: "k6.json" }))).toMatch(
      /^\[REPORT_MALFORMED\] k6\.json: /,
    );
    expect(failure(() => k6.parse("{}", { file: "k6.json" }))).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] k6.json: expected a k6 summary (--summary-export JSON or handleSummary data), got an empty JSON object — fix: pass a k6 summary (--summary-export JSON or handleSummary data) here"`,
    );
    expect(
      failure(() => k6.parse('{"SchemaVersion":2,"ArtifactName":".","Results":[]}', { file: "k6.json" })),
    ).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] k6.json: expected a k6 summary (--summary-export JSON or handleSummary data), got a trivy JSON report — fix: this looks like a trivy report: pass it as --report trivy=<file>, or give the k6 report here"`,
    );
  });

  it("names the JSON path of a wrong type", () => {
    expect(
      failure(() =>
        k6.parse(
          exportWith((t) => t.replace('"p(95)<200": true', '"p(95)<200": "true"')),
          { file: "k6.json" },
        ),
      ),
    ).toMatchInlineSnapshot(
      `"[REPORT_INVALID] k6.json: metrics.http_req_duration.thresholds.p(95)<200: the k6 report does not match the k6 summary (--summary-export JSON or handleSummary data) layout: metrics.http_req_duration.thresholds.p(95)<200: Invalid input: expected boolean, received string — fix: re-generate the report with k6 1.7.1 run --summary-export <file>; do not edit reports by hand"`,
    );
  });

  it.each([
    [exportWith((t) => t.replace('"avg": 61.42', '"avg": "61.42"')), "metrics.http_req_duration.avg"],
    // null is dropped (k6 writes a non-finite statistic so); a counter with no count is of no known type.
    [
      exportWith((t) =>
        t.replace('"count": 6000', '"count": null').replace(/("http_reqs": \{[^}]*)"rate": [\d.]+/, '$1"rate": null'),
      ),
      "metrics.http_reqs",
    ],
    [exportWith((t) => t.replace('"value": 1,\n      "min": 1,\n      "max": 20', '"label": 1')), "metrics.vus"],
    [fixture("handle-summary.json").replace('"type":"gauge"', '"type":"histogram"'), "metrics.vus.type"],
    [
      fixture("handle-summary.json").replace('{"ok":true}', '{"passed":true}'),
      "metrics.http_req_duration.thresholds.p(99)<500.ok",
    ],
    [
      fixture("handle-summary.json").replace('"values":{"value":1', '"values":{"value":"1"'),
      "metrics.vus.values.value",
    ],
  ])("REPORT_INVALID at %#", (raw, path) => {
    try {
      k6.parse(raw);
      expect.unreachable("should have thrown");
    } catch (error) {
      expect(isPortcullisError(error) && { code: error.code, path: error.path }).toEqual({
        code: "REPORT_INVALID",
        path,
      });
    }
  });
});

describe("k6 properties", () => {
  const expression = fc.constantFrom("p(95)<200", "p(99)<500", "rate<0.001", "count>100", "avg<50", "p(99.9)<900");
  const metric = fc.constantFrom(
    "http_req_duration",
    "http_req_failed",
    "http_req_duration{expected_response:true}",
    "custom",
  );
  const thresholdsByMetric = fc.dictionary(
    metric,
    fc.dictionary(expression, fc.boolean(), { minKeys: 1, maxKeys: 3 }),
    {
      maxKeys: 4,
    },
  );

  it("reads every threshold of either format with the right outcome (the export stores `failed`)", () => {
    fc.assert(
      fc.property(thresholdsByMetric, (tainted) => {
        const exportDoc = {
          root_group: {},
          metrics: Object.fromEntries(
            Object.entries(tainted).map(([name, exprs]) => [name, { avg: 1, med: 1, thresholds: exprs }]),
          ),
        };
        const handleDoc = {
          state: {},
          metrics: Object.fromEntries(
            Object.entries(tainted).map(([name, exprs]) => [
              name,
              {
                type: "trend",
                values: { avg: 1, med: 1 },
                thresholds: Object.fromEntries(Object.entries(exprs).map(([expr, failed]) => [expr, { ok: !failed }])),
              },
            ]),
          ),
        };
        const expected = Object.entries(tainted).flatMap(([name, exprs]) =>
          Object.entries(exprs).map(([expr, failed]) => ({ metric: name, expression: expr, ok: !failed })),
        );
        expect(performance(k6.parse(JSON.stringify(exportDoc))).thresholds).toEqual(expected);
        expect(performance(k6.parse(JSON.stringify(handleDoc))).thresholds).toEqual(expected);
      }),
      { seed: 99, numRuns: 200 },
    );
  });

  it("turns mutated summaries into a valid performance result or a typed error, never anything else", () => {
    const source = fc.constantFrom(fixture("summary-export.json"), fixture("handle-summary.json"));
    const mutation = fc.record({
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      char: fc.constantFrom("x", "}", '"', "1", "-", "null"),
    });
    fc.assert(
      fc.property(source, mutation, fc.boolean(), (raw, { at, char }, truncate) => {
        const index = Math.floor(at * raw.length);
        const mutated = truncate ? raw.slice(0, index) : raw.slice(0, index) + char + raw.slice(index + 1);
        try {
          const result = k6.parse(mutated);
          expect(PerformanceResult.parse(result.performance)).toEqual(result.performance);
          expect(result.findings).toEqual([]);
        } catch (error) {
          expect(isPortcullisError(error) && error.name).toBe("ReportError");
        }
      }),
      { seed: 1234, numRuns: 300 },
    );
  });

  it("never turns garbage into a result", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.jsonValue().map((value) => JSON.stringify(value) ?? ""),
        ),
        (garbage) => {
          expect(() => k6.parse(garbage)).toThrow(expect.objectContaining({ name: "ReportError" }));
        },
      ),
      { seed: 5, numRuns: 300 },
    );
  });
});

describe("k6 --out json series", () => {
  const expected = [
    {
      t: 0,
      time: "2026-11-20T09:00:00.000Z",
      requestsPerSecond: 2,
      errorRate: 0.5,
      p50Ms: 50,
      p90Ms: 58,
      p95Ms: 59,
      p99Ms: 59.8,
    },
    {
      t: 2,
      time: "2026-11-20T09:00:02.000Z",
      requestsPerSecond: 1,
      errorRate: 0,
      p50Ms: 100,
      p90Ms: 100,
      p95Ms: 100,
      p99Ms: 100,
    },
  ];

  it("buckets requests, failures and latency percentiles per second (k6's interpolation), skipping other metrics", () => {
    const points = parseK6OutJson(fixture("out.ndjson"));
    expect(
      points.map(({ p90Ms, p99Ms, ...point }) => ({ ...point, p90Ms: p90Ms?.toFixed(6), p99Ms: p99Ms?.toFixed(6) })),
    ).toEqual(
      expected.map(({ p90Ms, p99Ms, ...point }) => ({ ...point, p90Ms: p90Ms.toFixed(6), p99Ms: p99Ms.toFixed(6) })),
    );
  });

  it.each([1, 5, 64, 4096])("reads the same from a stream in byte pieces of %i", async (size) => {
    expect(await parseK6OutJsonStream(lines(fixture("out.ndjson"), size))).toEqual(
      parseK6OutJson(fixture("out.ndjson")),
    );
  });

  it("tells a sample stream from a summary", () => {
    expect(isK6OutJson(fixture("out.ndjson"))).toBe(true);
    expect(isK6OutJson(fixture("summary-export.json"))).toBe(false);
    expect(isK6OutJson(fixture("handle-summary.json"))).toBe(false);
    expect(isK6OutJson("")).toBe(false);
  });

  it("pins its errors with the line that is wrong", () => {
    const base = fixture("out.ndjson");
    expect(failure(() => parseK6OutJson("\n\n", { file: "k6.ndjson" }))).toMatchInlineSnapshot(
      `"[REPORT_EMPTY] k6.ndjson: the k6 --out json file is empty — fix: run k6 with --out json=<file> and let the run finish"`,
    );
    expect(failure(() => parseK6OutJson(base.slice(0, base.length - 30), { file: "k6.ndjson" }))).toMatchInlineSnapshot(
      `"[REPORT_MALFORMED] k6.ndjson: line 14 of the k6 --out json file is not valid JSON (truncated?) — fix: pass the NDJSON file written by k6 run --out json=<file> (one sample per line), complete and unedited"`,
    );
    expect(failure(() => parseK6OutJson(fixture("handle-summary.json"), { file: "k6.ndjson" }))).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] k6.ndjson: line 1 of the k6 --out json file is not a k6 --out json sample — fix: pass the NDJSON file written by k6 run --out json=<file> (one sample per line), complete and unedited"`,
    );
    expect(
      failure(() => parseK6OutJson(base.replace('"value":40', '"value":"40"'), { file: "k6.ndjson" })),
    ).toMatchInlineSnapshot(
      `"[REPORT_INVALID] k6.ndjson: data.value: line 4 of the k6 --out json file has an invalid data.value (Invalid input: expected number, received string) — fix: pass the NDJSON file written by k6 run --out json=<file> (one sample per line), complete and unedited"`,
    );
    expect(
      failure(() => parseK6OutJson(base.replace("2026-11-20T10:00:02.050000+01:00", "soon"), { file: "k6.ndjson" })),
    ).toMatchInlineSnapshot(
      `"[REPORT_INVALID] k6.ndjson: data.time: line 12 of the k6 --out json file has an invalid data.time (expected a timestamp) — fix: pass the NDJSON file written by k6 run --out json=<file> (one sample per line), complete and unedited"`,
    );
  });
});

describe("k6 SLA environment", () => {
  it("hands the environment's performance policy to the scenarios, in the units they read", () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const { policy } = loadEnvironment("production", root);
    expect(
      k6.env({
        baseUrl: "http://127.0.0.1:8080",
        sla: { ...policy.gates.performance, max_p95: "1.5s", max_error_rate: 0.002 },
      }),
    ).toEqual({
      BASE_URL: "http://127.0.0.1:8080",
      SLA_P95_MS: "1500",
      SLA_P99_MS: "500",
      SLA_MAX_ERROR_RATE: "0.002",
      SLA_MIN_CHECKS_RATE: "0.99",
    });
  });
});
