import { readFile } from "node:fs/promises";
import path from "node:path";
import { load as parseYaml } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DoraMetrics } from "../../src/deploy/metrics.js";
import { startLoad } from "./helpers/load.js";
import { REPO_ROOT, haveBinaries, until } from "./helpers/processes.js";
import { startPrometheus, type TestPrometheus } from "./helpers/prometheus.js";
import { tally, useStand } from "./helpers/stand.js";

/**
 * Acceptance of the analysis through a real nginx and a real Prometheus scraping both slots:
 * it judges what users get (3) and the PromQL the manual documents works on a healthy app, while
 * a rollback for missing data is recorded as such and kept out of the change failure rate (9).
 */
const available = haveBinaries(["nginx", "prometheus"]);

interface DocumentedPromQL {
  prometheus_traffic_query: string;
  prometheus_queries: { name: string; query: string; max?: number; min?: number }[];
}

/** The `deploy:` example of docs/deploy.md, as a user would copy it. */
async function documentedPromQL(): Promise<DocumentedPromQL> {
  const manual = await readFile(path.join(REPO_ROOT, "docs/deploy.md"), "utf8");
  const block = /```yaml\n(# environments\/production\.yml \(excerpt\)\n[\s\S]*?)```/.exec(manual)?.[1];
  if (block === undefined) throw new Error("docs/deploy.md has no environments/production.yml example");
  return (parseYaml(block) as { deploy: DocumentedPromQL }).deploy;
}

describe.skipIf(!available)("analysis judges what users get", { timeout: 150_000 }, () => {
  const scene = useStand("portcullis-analysis-");
  let prometheus: TestPrometheus;

  // Registered after the stand's hooks: starts once the stand runs, stops before it stops.
  beforeAll(async () => {
    const { stand } = scene;
    prometheus = await startPrometheus(stand.work, [`127.0.0.1:${stand.blue.port}`, `127.0.0.1:${stand.green.port}`]);
  });

  afterAll(async () => {
    await prometheus?.stop();
  });

  /** Green serves a release label of its own, so Prometheus series of earlier scenarios never mix in. */
  async function release(name: string): Promise<void> {
    await fetch(`${scene.stand.green.url}/__admin/version?v=${name}`).then((response) => response.text());
  }
  const { deploy } = scene;

  it("3a. stops a release whose health path answers 200 while the application answers 500", async () => {
    const { stand, stateDir } = scene;
    await release("a1");
    await stand.green.fail("app");
    // The warm-up probes the application's paths too: no user ever reaches this release.
    const warm = await deploy("a1");
    expect(warm.code, warm.stdout + warm.stderr).toBe(3);
    expect(warm.stdout).toMatch(/warm-up of the green slot failed: .*\(first: HTTP 500 on \/\)/);
    // Without a warm-up, the first step's analysis rolls it back.
    const run = await deploy("a1", { warmup: "0s" });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const step = (await stand.ledger(stateDir)).find((record) => record.type === "step")?.step;
    expect(step?.decision).toBe("fail");
    expect(step?.windows.at(-1)?.checks[0]?.reason).toMatch(/\(first: HTTP 500 on \/\)/);
    expect(tally(await stand.versions(20))).toEqual({ v1: 20 });
  });

  it("3b. a 4xx is the application speaking: probes of a missing page do not fail the release", async () => {
    const { stand } = scene;
    await release("a2");
    const run = await deploy("a2", { "probe-paths": "/,/missing/page" });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(tally(await stand.versions(20))).toEqual({ a2: 20 });
  });

  it("3c. judges the real requests nginx logs for the new slot, failing what the probes cannot see", async () => {
    const { stand, stateDir } = scene;
    await release("a3");
    await stand.green.fail("api");
    const users = startLoad(stand.nginx.url, {
      concurrency: 4,
      maxRequests: 100_000,
      maxMs: 60_000,
      path: "/api/checkout",
    });
    try {
      const run = await deploy("a3", { "nginx-access-log": stand.nginx.accessLog, bake: "2s", interval: "500ms" });
      expect(run.code, run.stdout + run.stderr).toBe(1);
      const window = (await stand.ledger(stateDir)).find((record) => record.type === "step")?.step?.windows.at(-1);
      expect(window?.checks.find((check) => check.source === "probe")?.result).toBe("pass");
      expect(window?.checks.find((check) => check.name === "nginx_access_log")).toMatchObject({
        source: "traffic",
        result: "fail",
      });
    } finally {
      await users.stop();
    }
    expect(tally(await stand.versions(20))).toEqual({ v1: 20 });
  });

  it("3d. no traffic and no probe data is inconclusive, never a pass, with the documented queries", async () => {
    const { stand, stateDir } = scene;
    const documented = await documentedPromQL();
    await release("a4");
    const run = await deploy("a4", {
      "probe-rate": "0",
      warmup: "0s",
      bake: "2s",
      interval: "1s",
      "prometheus-url": prometheus.url,
      "prometheus-traffic-query": documented.prometheus_traffic_query,
      "prometheus-queries": JSON.stringify(documented.prometheus_queries),
    });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const records = await stand.ledger(stateDir);
    const windows = records.find((record) => record.type === "step")?.step?.windows ?? [];
    expect(windows.length).toBeGreaterThan(0);
    expect(windows.every((window) => window.result === "inconclusive")).toBe(true);
    expect(records.at(-1)).toMatchObject({ type: "deploy_finished", outcome: "rolled_back", cause: "telemetry" });
  });

  it("9. the documented PromQL has a value for a healthy app and lets its release through; missing data is telemetry's fault", async () => {
    const { stand, stateDir } = scene;
    const documented = await documentedPromQL();
    const users = startLoad(stand.nginx.url, { concurrency: 2, maxRequests: 200_000, maxMs: 90_000 });
    try {
      // Blue (v1) serves everything, healthily: once its traffic is counted, every documented query
      // has a value for it. Until a scrape sees the load, v1's counters from earlier scenarios give
      // a rate of 0 and the ratio is NaN (0/0), which the analysis reads as no data.
      const traffic = documented.prometheus_traffic_query.replaceAll("{release}", "v1");
      await until(async () => ((await prometheus.value(traffic)) ?? 0) > 0, 20_000, "traffic is counted");
      for (const check of documented.prometheus_queries) {
        const query = check.query.replaceAll("{release}", "v1");
        let value: number | null = null;
        await until(
          async () => Number.isFinite((value = await prometheus.value(query))),
          20_000,
          `${check.name} has a value`,
        );
        expect(value, check.name).toBe(0);
      }
      await release("h9");
      const promql = {
        "prometheus-url": prometheus.url,
        "prometheus-traffic-query": documented.prometheus_traffic_query,
        warmup: "2s",
        bake: "3s",
        interval: "1s",
      };
      const healthy = await deploy("h9", {
        ...promql,
        "prometheus-queries": JSON.stringify(documented.prometheus_queries),
      });
      expect(healthy.code, healthy.stdout + healthy.stderr).toBe(0);

      // The query the manual used to show: a healthy release has no 5xx series, so no data at all.
      const noData = [
        {
          name: "error_ratio",
          query:
            'sum(rate(http_requests_total{release="{release}",code=~"5.."}[1m])) / sum(rate(http_requests_total{release="{release}"}[1m]))',
          max: 0.01,
        },
      ];
      await stand.serve({ blue: 0, green: 100 });
      await fetch(`${stand.blue.url}/__admin/version?v=t9`).then((response) => response.text());
      const starved = await deploy("t9", { ...promql, "prometheus-queries": JSON.stringify(noData) });
      expect(starved.code, starved.stdout + starved.stderr).toBe(1);
    } finally {
      await users.stop();
      await fetch(`${stand.blue.url}/__admin/version?v=v1`).then((response) => response.text());
    }
    expect((await stand.ledger(stateDir)).at(-1)).toMatchObject({
      type: "deploy_finished",
      outcome: "rolled_back",
      cause: "telemetry",
      reason: expect.stringMatching(/analysis inconclusive .*error_ratio: no data/) as unknown,
    });
    const metrics = JSON.parse(
      (await scene.run(["metrics", "--format", "json", "--window", "1d"])).stdout,
    ) as DoraMetrics;
    expect(metrics.deploys).toMatchObject({ succeeded: 1, rolled_back: 1 });
    expect(metrics.metrics.change_failure_rate).toMatchObject({ value: 0, samples: 1 });
    expect(metrics.rollbacks_not_caused_by_the_release).toEqual({ telemetry: 1, router: 0 });
    const text = await scene.run(["metrics"]);
    expect(text.stdout).toMatch(/rollbacks not counted as change failures: 1 for missing or inconclusive telemetry/);
  });
});
