import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnalyzer, type Analyzer } from "../../src/deploy/analysis/analyzer.js";
import { startVersionServer, type VersionServer } from "./helpers/processes.js";
import { cli } from "./helpers/cli.js";
import { tmpdir } from "node:os";

/** A slot's health, asked of a real HTTP server: readiness that flaps is no health. */
describe("analyzer.health", { timeout: 30_000 }, () => {
  let blue: VersionServer;
  let green: VersionServer;
  let analyzer: Analyzer;

  beforeAll(async () => {
    blue = await startVersionServer("v1");
    green = await startVersionServer("v2");
    analyzer = createAnalyzer({
      urls: { blue: blue.url, green: green.url },
      environment: "test",
      healthPath: "/healthz",
      healthTimeoutMs: 2_000,
      probePaths: ["/"],
      probeRate: 0,
      probeTimeoutMs: 1_000,
      intervalMs: 1_000,
      warmupMs: 0,
      thresholds: { maxErrorRate: 0.01, maxP95Ms: 1_000, minRequests: 1 },
      queries: [],
    });
  });

  afterAll(async () => {
    await analyzer?.close();
    await blue?.stop();
    await green?.stop();
  });

  it("takes a slot answering 2xx three times in a row for healthy", async () => {
    expect(await analyzer.health("blue")).toEqual({
      ok: true,
      detail: `${blue.url}/healthz answered 200 3 times in a row`,
    });
  });

  it("refuses a health_timeout too short for three answers in a row (exit 2), before anything runs", async () => {
    const run = await cli(
      [
        "deploy",
        "--release",
        "v2",
        "--force",
        "--reason",
        "t",
        "--blue",
        blue.url,
        "--green",
        green.url,
        "--router",
        "command",
        "--command-set",
        "true",
        "--command-get",
        "echo 100 0",
        "--state-dir",
        tmpdir(),
        "--health-timeout",
        "300ms",
      ],
      tmpdir(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "health_timeout 300ms is too short: a slot is healthy once it answers 2xx three times in a row, 250 ms apart",
    );
  });

  it("never takes a health path that answers 200 and 500 in turn for healthy", async () => {
    await green.fail("flap");
    const health = await analyzer.health("green");
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(/not healthy within 2000ms \(last: HTTP (200|500); 3 2xx answers in a row needed\)/);
  });
});
