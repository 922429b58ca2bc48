import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it, vi } from "vitest";
import { parseDuration } from "../../gates/src/policy/duration.js";
import { loadEnvironment } from "../../gates/src/policy/load-files.js";
import { STAGE_TIMEOUT_MS } from "../../gates/src/runner/plan.js";
import fc from "fast-check";
import { DEFAULT_SLA, slaFromEnv, slaThresholds } from "../lib/sla.js";

const SCENARIOS_DIR = fileURLToPath(new URL("..", import.meta.url));
const REPO_ROOT = path.resolve(SCENARIOS_DIR, "..");
const SCENARIOS = ["smoke", "load", "stress", "soak"] as const;

function typecheck(extraFiles: Record<string, string> = {}): string[] {
  const configPath = path.join(SCENARIOS_DIR, "tsconfig.json");
  const config = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, SCENARIOS_DIR);
  const host = ts.createCompilerHost(parsed.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => extraFiles[file] ?? readFile(file);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => file in extraFiles || fileExists(file);
  const program = ts.createProgram([...parsed.fileNames, ...Object.keys(extraFiles)], parsed.options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

async function loadScenario(name: string, env: Record<string, string>): Promise<{ options: { thresholds?: unknown } }> {
  Object.assign(globalThis, { __ENV: env });
  vi.resetModules();
  const module: unknown = await import(/* @vite-ignore */ path.join(SCENARIOS_DIR, `${name}.js`));
  return module as { options: { thresholds?: unknown } };
}

describe("k6 scenarios", () => {
  it("type-check against @types/k6 with checkJs", () => {
    expect(typecheck()).toEqual([]);
  });

  it("the type check is live: a wrong call to k6 is reported", () => {
    const bad = path.join(SCENARIOS_DIR, "bad-call.js");
    const diagnostics = typecheck({ [bad]: 'import http from "k6/http";\nhttp.get(42);\n' });
    expect(diagnostics.some((line) => line.includes("bad-call.js"))).toBe(true);
  });

  it.each(SCENARIOS)("%s encodes the SLA taken from the environment", async (name) => {
    const env = {
      BASE_URL: "http://127.0.0.1:1",
      SLA_P95_MS: "150",
      SLA_P99_MS: "400",
      SLA_MAX_ERROR_RATE: "0.002",
      SLA_MIN_CHECKS_RATE: "0.95",
    };
    const { options } = await loadScenario(name, env);
    const thresholds = options.thresholds as Record<string, unknown[]>;
    const expressions = (metric: string): string[] =>
      (thresholds[metric] ?? []).map((rule) =>
        typeof rule === "string" ? rule : (rule as { threshold: string }).threshold,
      );
    expect(expressions("http_req_duration")).toEqual(["p(95)<=150", "p(99)<=400"]);
    expect(expressions("http_req_failed")).toEqual(["rate<=0.002"]);
    expect(expressions("checks")).toEqual(["rate>=0.95"]);
  });

  it.each(SCENARIOS)("%s asks k6 for every percentile the performance gate judges", async (name) => {
    const { options } = await loadScenario(name, { BASE_URL: "http://127.0.0.1:1" });
    expect((options as { summaryTrendStats?: string[] }).summaryTrendStats).toEqual(
      expect.arrayContaining(["med", "p(90)", "p(95)", "p(99)", "max"]),
    );
  });

  it.each(SCENARIOS)("%s refuses to start without BASE_URL", async (name) => {
    await expect(loadScenario(name, {})).rejects.toThrow(/BASE_URL is not set/);
  });

  it("aborts early only where the scenario is long", async () => {
    const env = { BASE_URL: "http://127.0.0.1:1" };
    const aborts = async (name: string): Promise<boolean> => {
      const { options } = await loadScenario(name, env);
      const rules = (options.thresholds as Record<string, unknown[]>)["http_req_failed"] ?? [];
      return rules.some((rule) => typeof rule === "object" && (rule as { abortOnFail?: boolean }).abortOnFail === true);
    };
    expect(await aborts("smoke")).toBe(false);
    expect(await aborts("load")).toBe(true);
    expect(await aborts("soak")).toBe(true);
  });

  it("runs its defaults to a verdict: smoke makes the requests the gate needs, soak ends before the runner stops k6", async () => {
    const env = { BASE_URL: "http://127.0.0.1:1" };
    const production = loadEnvironment("production", REPO_ROOT).policy.gates.performance;
    // Every request at the SLA's p95 latency, then the think time: the slowest run the SLA allows.
    const smoke = (await loadScenario("smoke", env)).options as { vus: number; duration: string };
    const iteration = 0.5 + parseDuration(production.max_p95) / 1000;
    expect((smoke.vus * parseDuration(smoke.duration)) / 1000 / iteration).toBeGreaterThanOrEqual(
      production.min_requests,
    );
    // constant-vus for its duration, then k6's default gracefulStop (30 s) and the summary.
    const soak = (await loadScenario("soak", env)).options as { scenarios: Record<string, { duration: string }> };
    const longest = Math.max(...Object.values(soak.scenarios).map((scenario) => parseDuration(scenario.duration)));
    expect(longest + 30_000 + 5 * 60_000).toBeLessThanOrEqual(STAGE_TIMEOUT_MS.k6);
  });

  it("rejects a malformed SLA value instead of running without a threshold", () => {
    expect(() => slaFromEnv({ SLA_P95_MS: "fast" })).toThrow(/SLA_P95_MS=fast/);
  });

  it.each(["staging", "production"])("default SLA equals the %s policy's performance gate", (environment) => {
    const { policy } = loadEnvironment(environment, REPO_ROOT);
    const performance = policy.gates.performance;
    expect(DEFAULT_SLA).toEqual({
      p95Ms: parseDuration(performance.max_p95),
      p99Ms: parseDuration(performance.max_p99),
      maxErrorRate: performance.max_error_rate,
      minChecksRate: performance.min_checks_rate,
    });
    expect(slaThresholds(DEFAULT_SLA)["http_req_duration"]).toEqual(["p(95)<=200", "p(99)<=500"]);
  });

  it("writes thresholds k6 decides as the gate does, at every limit (inclusive) and for any SLA", () => {
    // k6 splits `aggregation operator value` on the operator and reads the value with Go's
    // strconv.ParseFloat, which takes `1e-7` too (metrics/thresholds_parser.go in grafana/k6).
    const k6Passes = (expression: string, measured: number): boolean => {
      const parsed = /^(?:p\(\d+(?:\.\d+)?\)|rate)(>=|<=|>|<)(\d+(?:\.\d+)?(?:e[-+]?\d+)?)$/.exec(expression);
      if (parsed === null) throw new Error(`k6 would not parse ${expression}`);
      const limit = Number(parsed[2]);
      return { ">=": measured >= limit, "<=": measured <= limit, ">": measured > limit, "<": measured < limit }[
        parsed[1] as ">=" | "<=" | ">" | "<"
      ];
    };
    const rate = fc.oneof(fc.constantFrom(0, 1, 0.001, 0.99, 1e-7, 2.5e-9), fc.double({ min: 0, max: 1, noNaN: true }));
    fc.assert(
      fc.property(rate, rate, fc.integer({ min: 0, max: 10_000 }), (maxErrorRate, minChecksRate, p95Ms) => {
        const thresholds = slaThresholds({ p95Ms, p99Ms: p95Ms, maxErrorRate, minChecksRate }) as Record<
          string,
          string[]
        >;
        const [errors] = thresholds["http_req_failed"] ?? [];
        const [checks] = thresholds["checks"] ?? [];
        const [p95] = thresholds["http_req_duration"] ?? [];
        // The gate's limits are inclusive: at the limit itself, and on either side of it.
        for (const measured of [maxErrorRate, 0, 1]) {
          expect(k6Passes(errors ?? "", measured)).toBe(measured <= maxErrorRate);
        }
        for (const measured of [minChecksRate, 0, 1]) {
          expect(k6Passes(checks ?? "", measured)).toBe(measured >= minChecksRate);
        }
        expect(k6Passes(p95 ?? "", p95Ms)).toBe(true);
        expect(k6Passes(p95 ?? "", p95Ms + 1)).toBe(false);
      }),
    );
  });
});
