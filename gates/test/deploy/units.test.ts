import { createServer, type Server } from "node:http";
import fc from "fast-check";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleAccessLog } from "../../src/deploy/analysis/access-log.js";
import {
  checksWithoutData,
  combine,
  judgeProbe,
  judgeQuery,
  judgeTraffic,
  judgeVolume,
  starve,
} from "../../src/deploy/analysis/judge.js";
import { parseLive } from "../../src/deploy/routers/nginx-live.js";
import { queryPrometheus } from "../../src/deploy/analysis/prometheus.js";
import {
  checkProbeBudget,
  planOf,
  probePaths,
  requireRouterSettings,
  resolveSettings,
  resolveThresholds,
  resolveWebhooks,
} from "../../src/deploy/config.js";
import { checkGateReport } from "../../src/deploy/gate-report.js";
import { parseWeights } from "../../src/deploy/routers/command.js";
import { renderUpstream } from "../../src/deploy/routers/nginx.js";
import { DeploySettings } from "../../src/policy/deploy-settings.js";
import { PerformanceGatePolicy } from "../../src/policy/schema.js";
import type { Report } from "../../src/model/report.js";
import { REPORT_COMMIT, passingReport } from "./helpers/gate-report.js";

const THRESHOLDS = { maxErrorRate: 0.01, maxP95Ms: 200, minRequests: 20 };
const sample = (requests: number, failures: number, p95Ms = 20) => ({
  requests,
  failures,
  p50Ms: 5,
  p95Ms,
  p99Ms: p95Ms,
  firstFailure: failures > 0 ? "HTTP 500" : null,
});

describe("probe and query verdicts", () => {
  it.each([
    { name: "enough clean requests", s: sample(100, 0), result: "pass" },
    { name: "error rate over the bound", s: sample(100, 2), result: "fail" },
    { name: "slow p95", s: sample(100, 0, 350), result: "fail" },
    { name: "too few requests, none failed", s: sample(5, 0), result: "inconclusive" },
    { name: "no requests at all", s: sample(0, 0), result: "inconclusive" },
    { name: "too few requests but already over budget", s: sample(5, 1), result: "fail" },
  ])("$name -> $result", ({ s, result }) => {
    expect(judgeProbe(s, THRESHOLDS).result).toBe(result);
  });

  it("property: fewer requests than min_requests never passes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0, max: 19 }), (requests, failures) => {
        expect(judgeProbe(sample(requests, Math.min(failures, requests)), THRESHOLDS).result).not.toBe("pass");
      }),
      { seed: 7 },
    );
  });

  it.each([
    { outcome: { value: 0.2 }, result: "fail" },
    { outcome: { value: 0.01 }, result: "pass" },
    { outcome: { value: null }, result: "inconclusive" },
    { outcome: { value: Number.NaN }, result: "inconclusive" },
    { outcome: { error: "down", cause: "unreachable" as const }, result: "error" },
  ])("query $outcome -> $result", ({ outcome, result }) => {
    expect(judgeQuery({ name: "q", query: "x", max: 0.05 }, outcome).result).toBe(result);
  });

  it("never rounds a value onto or across the limit it crossed in the reason", () => {
    const crossed = judgeQuery({ name: "q", query: "x", max: 0.0012 }, { value: 0.00125 });
    expect(crossed).toMatchObject({ result: "fail", reason: "q = 0.00125 > max 0.0012" });
    const clear = judgeQuery({ name: "q", query: "x", max: 0.01 }, { value: 0.123456 });
    expect(clear.reason).toBe("q = 0.123 > max 0.01");
  });

  it("names the checks that had no data in any window, and only those", () => {
    const probe = judgeProbe(sample(100, 0), THRESHOLDS);
    const empty = judgeQuery({ name: "empty", query: "x", max: 1 }, { value: null });
    const sometimes = (value: number | null) => judgeQuery({ name: "sometimes", query: "x", max: 1 }, { value });
    const windows = [combine("t1", [probe, empty, sometimes(null)]), combine("t2", [probe, empty, sometimes(0.5)])];
    expect(checksWithoutData(windows)).toEqual(["empty"]);
    expect(checksWithoutData([])).toEqual([]);
  });

  it("combines a window to its worst check", () => {
    const pass = judgeProbe(sample(100, 0), THRESHOLDS);
    const none = judgeQuery({ name: "q", query: "x", max: 1 }, { value: null });
    expect(combine("t", [pass, none])).toMatchObject({ result: "inconclusive", reason: "q: no data" });
    expect(combine("t", [pass]).result).toBe("pass");
    expect(combine("t", []).result).toBe("inconclusive");
  });
});

describe("Prometheus HTTP API answers", () => {
  let server: Server;
  let url: string;
  const answers: Record<string, unknown> = {
    one: { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [1, "0.25"] }] } },
    empty: { status: "success", data: { resultType: "vector", result: [] } },
    many: {
      status: "success",
      data: {
        resultType: "vector",
        result: [
          { metric: { a: "1" }, value: [1, "1"] },
          { metric: { a: "2" }, value: [1, "2"] },
        ],
      },
    },
    scalar: { status: "success", data: { resultType: "scalar", result: [1, "3"] } },
    bad: { status: "error", errorType: "bad_data", error: "parse error at char 3" },
    slow: { status: "error", errorType: "timeout", error: "query timed out in expression evaluation" },
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      const query = new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "";
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answers[query] ?? { nope: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it.each([
    { query: "one", expected: { value: 0.25 } },
    { query: "empty", expected: { value: null } },
    { query: "scalar", expected: { value: 3 } },
    {
      query: "many",
      expected: { error: "q: 2 series returned; aggregate the query (sum, avg) to one value", cause: "query" },
    },
    { query: "bad", expected: { error: "q: Prometheus rejected the query: parse error at char 3", cause: "query" } },
    {
      query: "slow",
      expected: {
        error: "q: Prometheus rejected the query: query timed out in expression evaluation",
        cause: "unreachable",
      },
    },
    { query: "garbage", expected: { error: "q: unexpected Prometheus answer (HTTP 200)", cause: "unreachable" } },
  ])("$query -> $expected", async ({ query, expected }) => {
    const agent = new Agent();
    const result = await queryPrometheus(
      url,
      { name: "q", query },
      { release: "v2", slot: "green", environment: "e" },
      { timeoutMs: 2_000, dispatcher: agent },
    );
    await agent.close();
    expect(result).toEqual(expected);
  });
});

describe("routers' text formats", () => {
  const servers = { blue: "10.0.0.5:8080", green: "10.0.0.6:8080" };
  it("renders 0 % as down and carries the weights it wrote, with its generation, for nginx to return", () => {
    const text = renderUpstream("app", servers, { blue: 100, green: 0 }, "g0");
    expect(text).toContain("server 10.0.0.6:8080 down; # green");
    expect(text).toContain('map $host $app_weights { default "generation=g0 blue=100 green=0"; }');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), (green) => {
        const weights = { blue: 100 - green, green };
        const rendered = renderUpstream("app", servers, weights, `g${green}`);
        expect(rendered).toContain(`server 10.0.0.5:8080 ${green === 100 ? "down" : `weight=${100 - green}`}; # blue`);
        expect(parseLive(rendered)).toEqual({ generation: `g${green}`, weights });
      }),
      { seed: 3 },
    );
  });

  it.each([
    { text: "10 90\n", weights: { blue: 10, green: 90 } },
    { text: "blue=25 green=75", weights: { blue: 25, green: 75 } },
    { text: '{"blue":0,"green":100}', weights: { blue: 0, green: 100 } },
    { text: "10 80", weights: null },
    { text: "", weights: null },
  ])("command_get output $text", ({ text, weights }) => {
    expect(parseWeights(text)).toEqual(weights);
  });
});

describe("deploy settings from the environment file and flags", () => {
  const file = DeploySettings.parse({
    router: "command",
    command_set: "set {blue} {green}",
    bake: "10s",
    steps: [20, 100],
  });

  it("lets flags win over the file and keeps the file's other values", () => {
    const settings = resolveSettings(
      file,
      { bake: "1s", manual_promotion: true, steps: "5,50,100" },
      "environments/x.yml",
    );
    expect(settings).toMatchObject({
      router: "command",
      bake: "1s",
      manual_promotion: true,
      steps: [5, 50, 100],
      command_set: "set {blue} {green}",
    });
    expect(planOf(settings)).toMatchObject({
      steps: [5, 50, 100],
      manual_promotion: true,
      deploy_hook: false,
      slow_after_ms: 1_800_000,
    });
  });

  it.each([
    { flags: { bake: "soon" }, message: /--bake: expected a duration/ },
    { flags: { steps: "10,5,100" }, message: /--steps: steps must increase strictly/ },
    { flags: { steps: "10,50" }, message: /--steps: the last step must be 100/ },
    { flags: { probe_rate: "fast" }, message: /--probe-rate: expected a number/ },
    { flags: { max_error_rate: "2" }, message: /--max-error-rate: / },
  ])("names the flag in errors: $flags", ({ flags, message }) => {
    expect(() => resolveSettings(file, flags, undefined)).toThrow(message);
  });

  it("lets --probe-paths win over the file's deprecated probe_path, and refuses both flags at once", () => {
    const withOld = DeploySettings.parse({ ...file, probe_path: "/old" });
    expect(probePaths(resolveSettings(withOld, {}, undefined))).toEqual(["/old"]);
    expect(probePaths(resolveSettings(withOld, { probe_paths: "/api,/checkout" }, undefined))).toEqual([
      "/api",
      "/checkout",
    ]);
    expect(() => resolveSettings(file, { probe_path: "/a", probe_paths: "/b" }, undefined)).toThrow(
      /--probe-path and --probe-paths name the probed paths twice/,
    );
  });

  it("names the file key when the file is wrong", () => {
    expect(() => resolveSettings({ ...file, interval: "often" }, {}, "environments/x.yml")).toThrow(
      /deploy\.interval: expected a duration/,
    );
  });

  it("requires each router's own settings", () => {
    expect(() => requireRouterSettings(DeploySettings.parse({}))).toThrow(
      /router nginx needs --nginx-upstream-file, --nginx-live-url, --blue, --green/,
    );
    expect(() => requireRouterSettings(DeploySettings.parse({ router: "gateway-api", gateway_route: "web" }))).toThrow(
      /--gateway-blue-backend, --gateway-green-backend/,
    );
  });

  it("defaults thresholds from the environment's performance gate unless overridden", () => {
    const performance = PerformanceGatePolicy.parse({ max_p95: "300ms", max_error_rate: 0.002, min_requests: 50 });
    expect(resolveThresholds(DeploySettings.parse({}), performance)).toEqual({
      maxErrorRate: 0.002,
      maxP95Ms: 300,
      minRequests: 50,
    });
    expect(resolveThresholds(DeploySettings.parse({ max_p95: "1s", min_requests: 5 }), performance)).toEqual({
      maxErrorRate: 0.002,
      maxP95Ms: 1000,
      minRequests: 5,
    });
  });

  it("refuses settings under which no window could ever pass", () => {
    const thresholds = { maxErrorRate: 0.001, maxP95Ms: 200, minRequests: 100 };
    expect(() => checkProbeBudget(DeploySettings.parse({ probe_rate: 10, interval: "5s" }), thresholds)).toThrow(
      /gives at most 50 probes per window, fewer than min_requests 100/,
    );
    expect(() => checkProbeBudget(DeploySettings.parse({}), thresholds)).not.toThrow();
  });

  it("reads webhook URLs from the environment with env:NAME, and says which is missing", () => {
    const settings = DeploySettings.parse({ webhooks: ["https://hooks.example/a"], slack_webhooks: ["env:SLACK_URL"] });
    expect(resolveWebhooks(settings, { SLACK_URL: "https://hooks.slack.example/T/B/x" })).toEqual([
      { url: "https://hooks.example/a", format: "json" },
      { url: "https://hooks.slack.example/T/B/x", format: "slack" },
    ]);
    expect(() => resolveWebhooks(settings, {})).toThrow(/slack_webhooks: environment variable SLACK_URL is not set/);
  });
});

describe("gate report before deploy", () => {
  const report = (extra: Partial<Report> = {}) => JSON.stringify(passingReport(extra));
  const expected = { environment: "production", commit: REPORT_COMMIT };

  it.each([
    { name: "a passing report of the same commit", text: report(), want: { ok: true } },
    { name: "an abbreviated commit", text: report(), commit: "0123456", want: { ok: true } },
    { name: "no report", text: undefined, want: { ok: false }, reason: /not found/ },
    { name: "a truncated report", text: report().slice(0, 40), want: { ok: false }, reason: /not JSON/ },
    {
      name: "another tool's JSON",
      text: '{"Results":[]}',
      want: { ok: false },
      reason: /not a portcullis report.json/,
    },
    {
      name: "another environment",
      text: report({ environment: "staging" }),
      want: { ok: false },
      reason: /for environment staging, not production/,
    },
    { name: "another commit", text: report({ commit: "fedcba9" }), want: { ok: false }, reason: /for commit fedcba9/ },
    { name: "a blocked report", text: report({ passed: false }), want: { ok: false }, reason: /gates blocked/ },
    {
      name: "a report of some gates only (--gate)",
      text: report({ onlyGates: ["secrets", "sast"] }),
      want: { ok: false },
      reason: /judged only secrets, sast \(--gate\)/,
    },
  ])("$name", ({ text, commit, want, reason }) => {
    const check = checkGateReport(text, "report.json", { ...expected, commit: commit ?? expected.commit });
    expect(check).toMatchObject(want);
    if (reason !== undefined) expect(check.ok ? "" : check.reason).toMatch(reason);
  });

  it("refuses a report judged by another policy than the deploy's environment, naming both", () => {
    const policy = { hash: "def0123456789", source: "environments/production.yml" };
    expect(checkGateReport(report({ policyHash: policy.hash }), "report.json", { ...expected, policy }).ok).toBe(true);
    const check = checkGateReport(report({ policySource: "./lax.yml" }), "report.json", { ...expected, policy });
    expect(check.ok ? "" : check.reason).toBe(
      "gate report was judged by another policy (./lax.yml, abc) than this deploy's (environments/production.yml, def012345678)",
    );
    const older = checkGateReport(report({ portcullisVersion: "0.0.9" }), "report.json", { ...expected, policy });
    expect(older.ok ? "" : older.reason).toMatch(
      /; the report was judged by Portcullis 0\.0\.9, this is \S+, and a policy's hash includes its version's defaults$/,
    );
  });

  it("cannot match a report without --commit", () => {
    const check = checkGateReport(report(), "report.json", { environment: "production", commit: null });
    expect(check.ok ? "" : check.reason).toMatch(/no --commit/);
  });
});

describe("real traffic and live weights", () => {
  it("counts each upstream attempt for its slot from the portcullis log_format, 5xx as failures", () => {
    const log = [
      "1700000000.100|127.0.0.1:8002|200|0.010|200",
      "1700000000.200|127.0.0.1:8002|500|0.020|500",
      "1700000000.300|127.0.0.1:8001, 127.0.0.1:8002|502, 404|0.001, 0.030|404",
      "1700000000.400|-|-|-|200",
      "1699999999.000|127.0.0.1:8002|500|0.010|500",
      "garbage",
    ].join("\n");
    const sampled = sampleAccessLog(log, "127.0.0.1:8002", 1_700_000_000_000);
    expect(sampled).toMatchObject({ requests: 3, failures: 1, firstFailure: "upstream answered 500" });
    expect(sampleAccessLog(log, "127.0.0.1:8001", 1_700_000_000_000)).toMatchObject({ requests: 1, failures: 1 });
  });

  it("never passes a window with no traffic and no probe data, but lets probes decide when traffic is thin", () => {
    const thin = judgeTraffic("nginx_access_log", sample(2, 0), THRESHOLDS);
    expect(thin).toMatchObject({ result: "inconclusive", starved: true });
    expect(combine("t", [thin]).result).toBe("inconclusive");
    expect(combine("t", [judgeProbe(sample(100, 0), THRESHOLDS), thin]).result).toBe("pass");
    const volume = judgeVolume({ value: 0 }, 20);
    const ratio = starve(judgeQuery({ name: "error_ratio", query: "q", max: 0.01 }, { value: 0 }), volume);
    expect(ratio).toMatchObject({ result: "inconclusive", starved: true });
    expect(combine("t", [volume, ratio]).result).toBe("inconclusive");
    expect(combine("t", []).result).toBe("inconclusive");
  });

  it("never sets aside a failure a PromQL check measured, however little traffic was counted", () => {
    const probes = judgeProbe(sample(100, 0), THRESHOLDS);
    const query = { name: "error_ratio", query: "q", max: 0.01 };
    // A traffic query that matches nothing (a misspelt metric) and one that counts a few requests.
    for (const volume of [judgeVolume({ value: null }, 20), judgeVolume({ value: 5 }, 20)]) {
      const failing = starve(judgeQuery(query, { value: 0.5 }), volume);
      expect(failing).toMatchObject({ result: "fail", reason: "error_ratio = 0.5 > max 0.01" });
      expect(failing.starved).toBeUndefined();
      expect(combine("t", [probes, volume, failing]).result).toBe("fail");
      // A pass over that traffic still says nothing.
      expect(starve(judgeQuery(query, { value: 0 }), volume)).toMatchObject({ result: "inconclusive", starved: true });
    }
  });

  it("reads the generation and weights nginx serves", () => {
    expect(parseLive("generation=lq2x-a1b2c3 blue=75 green=25\n")).toEqual({
      generation: "lq2x-a1b2c3",
      weights: { blue: 75, green: 25 },
    });
    expect(parseLive("<html>404</html>")).toBeNull();
    expect(parseLive(renderUpstream("app", { blue: "a:1", green: "b:2" }, { blue: 0, green: 100 }, "g1"))).toEqual({
      generation: "g1",
      weights: { blue: 0, green: 100 },
    });
  });
});
