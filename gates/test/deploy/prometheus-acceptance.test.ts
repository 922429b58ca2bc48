import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "undici";
import { judgeQuery } from "../../src/deploy/analysis/judge.js";
import { queryPrometheus } from "../../src/deploy/analysis/prometheus.js";
import { parseLedger } from "../../src/deploy/ledger.js";
import { cli } from "./helpers/cli.js";
import { startLoad } from "./helpers/load.js";
import { haveBinaries, startVersionServer, until, type VersionServer } from "./helpers/processes.js";
import { startPrometheus, type TestPrometheus } from "./helpers/prometheus.js";

/**
 * A real Prometheus scrapes the two slots every second; a PromQL query on green's error ratio
 * drives the analysis. Green answers its health probes but fails user traffic (/api/...), so
 * only the query can see the problem: the rollback must come from Prometheus.
 */
const available = haveBinaries(["prometheus"]);

const ERROR_RATIO =
  'sum(rate(app_requests_total{version="{release}",code=~"5.."}[5s])) / sum(rate(app_requests_total{version="{release}"}[5s]))';

describe.skipIf(!available)("PromQL analysis with a real Prometheus", { timeout: 120_000 }, () => {
  let work: string;
  let blue: VersionServer;
  let green: VersionServer;
  let prometheus: TestPrometheus;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "portcullis-prom-"));
    blue = await startVersionServer("v1");
    green = await startVersionServer("v2");
    prometheus = await startPrometheus(work, [`127.0.0.1:${blue.port}`, `127.0.0.1:${green.port}`]);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await blue?.stop();
    await green?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  /** `deploy v2` with the command router writing `weights`, probes on green, and the PromQL checks given. */
  const deployV2 = (options: {
    weights: string;
    stateDir: string;
    steps: string;
    queries: string;
    extra?: readonly string[];
  }) =>
    cli(
      [
        "deploy",
        "--release",
        "v2",
        "--force",
        "--reason",
        "prometheus test",
        "--router",
        "command",
        "--command-set",
        `printf '%s %s' {blue} {green} > ${options.weights}`,
        "--command-get",
        `cat ${options.weights}`,
        "--blue",
        blue.url,
        "--green",
        green.url,
        "--state-dir",
        options.stateDir,
        "--steps",
        options.steps,
        "--bake",
        "2s",
        "--interval",
        "1s",
        "--warmup",
        "0s",
        "--probe-rate",
        "20",
        "--min-requests",
        "5",
        "--max-p95",
        "2s",
        "--prometheus-url",
        prometheus.url,
        "--prometheus-queries",
        options.queries,
        ...(options.extra ?? []),
      ],
      work,
    );

  it("reads Prometheus' infinities as values past any limit, and only NaN or nothing as no data", async () => {
    const agent = new Agent();
    const judged = async (query: string) =>
      judgeQuery(
        { name: "q", query, max: 0.01, min: -1 },
        await queryPrometheus(
          prometheus.url,
          { name: "q", query },
          { release: "v2", slot: "green", environment: "e" },
          { timeoutMs: 5_000, dispatcher: agent },
        ),
      );
    try {
      // A ratio whose denominator fell to 0 because every request fails: `+Inf`, as Prometheus writes it.
      expect(await judged("vector(1) / vector(0)")).toMatchObject({
        result: "fail",
        reason: "q = +Inf > max 0.01",
        values: {},
      });
      expect(await judged("vector(-1) / vector(0)")).toMatchObject({ result: "fail", reason: "q = -Inf < min -1" });
      expect(await judged("vector(0) / vector(0)")).toMatchObject({ result: "inconclusive", reason: "q: no data" });
      expect(await judged("vector(0.0100001)")).toMatchObject({
        result: "fail",
        reason: "q = 0.0100001 > max 0.01",
        values: { value: 0.0100001 },
      });
    } finally {
      await agent.close();
    }
  });

  it("says so when a query had no data in any window of a step that passed on the probes", async () => {
    await green.fail("off");
    const weights = path.join(work, "weights-nodata");
    await writeFile(weights, "100 0");
    // The metric's name misspelt in both: the traffic query reads 0 (`or vector(0)`, as documented),
    // so the ratio is not judged for want of traffic, and the windows pass on the probes alone.
    const misspelt = 'app_requets_total{version="{release}"}';
    const queries = JSON.stringify([{ name: "misspelt_ratio", query: `sum(rate(${misspelt}[5s]))`, max: 0.05 }]);
    const run = await deployV2({
      weights,
      stateDir: path.join(work, "state-nodata"),
      steps: "100",
      queries,
      extra: ["--prometheus-traffic-query", `sum(increase(${misspelt}[1m])) or vector(0)`],
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // Each with what to look at: the traffic check has the setting's name, a user's query its own.
    expect(run.stdout).toContain(
      "warning: prometheus_traffic had no data in any window of step 1: the step was judged without it (does prometheus_traffic_query match the release's metrics?)",
    );
    expect(run.stdout).toContain(
      "warning: misspelt_ratio had no data in any window of step 1: the step was judged without it (does its query match the release's metrics?)",
    );
  }, 120_000);

  it.each([
    {
      what: "a query Prometheus cannot parse",
      queries: [{ name: "broken", query: "sum(rate(", max: 0.05 }],
      extra: [],
      said: /broken: Prometheus rejected the query: .*parse error/,
    },
    {
      what: "a query that returns one series per slot",
      queries: [{ name: "per_target", query: "up", max: 1e9 }],
      extra: [],
      said: /per_target: 2 series returned; aggregate the query/,
    },
    {
      what: "a traffic query Prometheus cannot parse",
      queries: [],
      extra: ["--prometheus-traffic-query", "sum(increase(app_requests_total[1m]"],
      said: /prometheus_traffic_query: Prometheus rejected the query/,
    },
  ])("refuses $what before any traffic moves (exit 2)", async ({ queries, extra, said }) => {
    const weights = path.join(work, "weights-preflight");
    await writeFile(weights, "100 0");
    const stateDir = path.join(work, "state-preflight");
    // Both slots scraped: `up` has a series for each.
    await until(async () => (await prometheus.value("count(up)")) === 2, 30_000, "both slots scraped");
    const run = await deployV2({ weights, stateDir, steps: "100", queries: JSON.stringify(queries), extra });
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toMatch(said);
    expect(run.stderr).toMatch(/deploy not started: asking Prometheus each query once for v2 on green/);
    expect(await readFile(weights, "utf8")).toBe("100 0");
    const ledger = parseLedger(await readFile(path.join(stateDir, "default", "ledger.jsonl"), "utf8").catch(() => ""));
    expect(ledger.filter((record) => record.type === "deploy_started")).toEqual([]);
  });

  it("rolls back on a failing query while the probes pass", async () => {
    await green.fail("api");
    const users = startLoad(green.url, { concurrency: 2, maxRequests: 200_000, maxMs: 90_000, path: "/api/checkout" });
    try {
      // Wait until Prometheus has enough samples of green for rate() over 5s: a ratio that is
      // empty or NaN (no rate yet) would make the windows inconclusive instead of failed.
      const query = ERROR_RATIO.replaceAll("{release}", "v2");
      await until(async () => ((await prometheus.value(query)) ?? 0) > 0, 30_000, "green's error ratio is above 0");
      const weights = path.join(work, "weights");
      await writeFile(weights, "100 0");
      const stateDir = path.join(work, "state");
      const queries = JSON.stringify([{ name: "green_error_ratio", query: ERROR_RATIO, max: 0.05 }]);
      const run = await deployV2({ weights, stateDir, steps: "50,100", queries });
      expect(run.code, run.stdout + run.stderr).toBe(1);
      const records = parseLedger(await readFile(path.join(stateDir, "default", "ledger.jsonl"), "utf8"));
      const step = records.find((record) => record.type === "step")?.step;
      expect(step?.decision).toBe("fail");
      const window = step?.windows.at(-1);
      const probe = window?.checks.find((check) => check.source === "probe");
      const promql = window?.checks.find((check) => check.source === "prometheus");
      expect(probe?.result).toBe("pass");
      expect(promql).toMatchObject({ name: "green_error_ratio", result: "fail" });
      expect(promql?.values["value"]).toBeGreaterThan(0.05);
      expect(promql?.reason).toMatch(/^green_error_ratio = [\d.]+ > max 0.05$/);
      expect(records.at(-1)).toMatchObject({ type: "deploy_finished", outcome: "rolled_back" });
      expect(await readFile(weights, "utf8")).toBe("100 0");
    } finally {
      await users.stop();
      await green.fail("off");
    }
  }, 120_000);
});
