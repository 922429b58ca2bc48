import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readLive } from "../../src/deploy/routers/nginx-live.js";
import { cli, cliProcess } from "./helpers/cli.js";
import { startLoad, share, type Hit } from "./helpers/load.js";
import { breakConfig } from "./helpers/nginx.js";
import { haveBinaries, sleep, stopChild, until } from "./helpers/processes.js";
import { useStand } from "./helpers/stand.js";

/**
 * Acceptance of blue-green deployment with real components on loopback: a real nginx (own prefix,
 * high port), two real HTTP servers reporting their version, a bounded load generator through
 * nginx, and the controller driven through the CLI. Every run is bounded in time and count.
 */
const available = haveBinaries(["nginx"]);

describe.skipIf(!available)("blue-green deploy through a real nginx", { timeout: 120_000 }, () => {
  const scene = useStand("portcullis-deploy-");

  /** The nginx router's settings and a quick analysis; the rollout's steps, bake and interval stay the defaults unless set. */
  const flags = (extra: Record<string, string> = {}): string[] => scene.stand.routerFlags(scene.stateDir, extra);
  /** `portcullis deploy` of v2, forced past the gate report, with `flags(extra)`. */
  const deployV2 = (extra: Record<string, string>): string[] => [
    "deploy",
    "--release",
    "v2",
    "--force",
    "--reason",
    "acceptance test",
    ...flags(extra),
  ];
  const ledger = () => scene.stand.ledger(scene.stateDir);
  const state = () => scene.stand.state(scene.stateDir);
  /** What nginx itself serves, read through its weights location. */
  const liveWeights = async () => (await readLive(scene.stand.nginx.liveUrl, 5_000)).weights;
  const untilSecondStep = (timeoutMs: number) => scene.stand.untilAnalysing(scene.stateDir, 1, timeoutMs);

  it("1. migrates 10 -> 100 % under load with zero failed requests and the version mix of each step", async () => {
    const { nginx, work } = scene.stand;
    const load = startLoad(nginx.url, { concurrency: 12, maxRequests: 200_000, maxMs: 60_000 });
    await sleep(300);
    const started = Date.now();
    const run = await cli(deployV2({ bake: "2s", interval: "400ms" }), work);
    const finished = Date.now();
    await sleep(300);
    const hits = await load.stop();
    expect(run.code, run.stdout + run.stderr).toBe(0);

    const during = hits.filter((hit) => hit.at >= started && hit.at <= finished);
    expect(during.length).toBeGreaterThanOrEqual(5_000);
    expect(hits.filter((hit) => !hit.ok)).toEqual([]);

    const steps = (await ledger()).filter((record) => record.type === "step");
    expect(steps.map((record) => record.step?.percent)).toEqual([10, 25, 50, 75, 100]);
    for (const record of steps) {
      const step = record.step;
      if (step === undefined || step.decided_at === null) throw new Error("step without decision");
      expect(step.decision).toBe("pass");
      // nginx reloads gracefully: skip the first 150 ms while old workers finish.
      const seen = share(hits, "v2", Date.parse(step.confirmed_at) + 150, Date.parse(step.decided_at));
      expect(seen.count, `requests seen at ${step.percent} %`).toBeGreaterThan(300);
      expect(Math.abs(seen.share * 100 - step.percent), `green share at ${step.percent} %`).toBeLessThanOrEqual(6);
    }
    expect(await state()).toMatchObject({
      active: "green",
      phase: "idle",
      weights: { blue: 0, green: 100 },
      lock: null,
    });
    expect(await liveWeights()).toEqual({ blue: 0, green: 100 });
    expect(hits.filter((hit) => hit.at > finished + 200).every((hit) => hit.version === "v2")).toBe(true);
    expect((await ledger()).at(-1)).toMatchObject({ type: "deploy_finished", outcome: "succeeded", release: "v2" });
  });

  it("2. rolls back automatically within two analysis intervals when green starts failing at step 2", async () => {
    const { nginx, green, work } = scene.stand;
    const intervalMs = 1_000;
    const load = startLoad(nginx.url, { concurrency: 4, maxRequests: 100_000, maxMs: 60_000 });
    // The controller runs in its own process, as in a pipeline, not sharing the load's event loop.
    const controller = cliProcess(deployV2({ bake: "4s", interval: `${intervalMs}ms` }), work);
    const exited = new Promise<number | null>((resolve) => controller.child.once("exit", resolve));
    await untilSecondStep(30_000);
    const failingFrom = Date.now();
    await green.fail("all");
    const code = await exited;
    const records = await ledger();
    const finished = records.at(-1);
    const restoredAt = Date.parse(finished?.finished_at ?? "");
    const after = (): Hit[] => load.hits.filter((hit) => hit.at > restoredAt + 300);
    try {
      expect(code, controller.output()).toBe(1);
      expect(finished).toMatchObject({ type: "deploy_finished", outcome: "rolled_back" });
      // Users keep coming after the rollback: enough of them to judge, however slow the machine.
      await until(() => after().length > 100, 20_000, "100 requests after the rollback");
    } finally {
      await load.stop();
    }
    expect(
      restoredAt - failingFrom,
      `failing from ${new Date(failingFrom).toISOString()}\n${controller.output()}`,
    ).toBeLessThanOrEqual(2 * intervalMs);
    expect(records.find((record) => record.type === "step" && record.step?.percent === 25)?.step?.decision).toBe(
      "fail",
    );
    expect(await liveWeights()).toEqual({ blue: 100, green: 0 });
    expect(await state()).toMatchObject({ active: "blue", phase: "idle", lock: null });
    // After the rollback was confirmed (and old nginx workers drained), only blue answers.
    expect(after().every((hit) => hit.version === "v1" && hit.ok)).toBe(true);
  });

  it("3. survives a SIGKILLed controller: status tells the partial truth, abort restores blue, nothing fails after", async () => {
    const { nginx, work } = scene.stand;
    const load = startLoad(nginx.url, { concurrency: 4, maxRequests: 100_000, maxMs: 60_000 });
    const controller = cliProcess(deployV2({ bake: "2s", interval: "250ms", "lock-lease": "1s" }), work);
    await untilSecondStep(60_000);
    process.kill(-(controller.child.pid ?? 0), "SIGKILL");
    await stopChild(controller.child, "SIGKILL");
    await sleep(1_200);

    const status = await cli(["status", ...flags()], work);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/phase\s+analysing — deploy \S+: v2 to green, step 2\/5/);
    expect(status.stdout).toMatch(/router\s+nginx .*: blue 75 % \/ green 25 %/);
    expect(status.stdout).toMatch(/STALE/);
    expect(status.stdout).toMatch(/no controller is running this analysing .*portcullis abort/);

    const abort = await cli(["abort", ...flags(), "--reason", "controller died"], work);
    expect(abort.code, abort.stdout + abort.stderr).toBe(0);
    expect(await liveWeights()).toEqual({ blue: 100, green: 0 });
    const abortedAt = Date.now();
    await sleep(1_000);
    const hits = await load.stop();
    expect(hits.filter((hit) => !hit.ok)).toEqual([]);
    expect(hits.filter((hit) => hit.at > abortedAt + 300).every((hit) => hit.version === "v1")).toBe(true);
    const records = await ledger();
    expect(records.map((record) => record.action ?? record.outcome ?? record.type)).toEqual(
      expect.arrayContaining(["lock_broken", "abort", "aborted"]),
    );
    expect((await cli(["ledger", "verify", "--state-dir", scene.stateDir], work)).code).toBe(0);
  });

  it("3b. rolls back when the pipeline cancels the deploy (SIGTERM)", async () => {
    const { work } = scene.stand;
    const controller = cliProcess([...deployV2({ bake: "3s", interval: "300ms" }), "--actor", "pipeline"], work);
    const exited = new Promise<number | null>((resolve) => controller.child.once("exit", resolve));
    await untilSecondStep(60_000);
    controller.child.kill("SIGTERM");
    expect(await exited, controller.output()).toBe(1);
    expect(controller.output()).toMatch(/SIGTERM: aborting the deploy/);
    expect(await liveWeights()).toEqual({ blue: 100, green: 0 });
    expect((await ledger()).at(-1)).toMatchObject({
      type: "deploy_finished",
      outcome: "aborted",
      reason: "aborted by pipeline: deploy cancelled (SIGTERM)",
    });
    expect(await state()).toMatchObject({ active: "blue", phase: "idle", lock: null });
  });

  it("3c. stops a running deploy hook at once when the pipeline cancels the deploy (SIGTERM)", async () => {
    const { work } = scene.stand;
    const started = path.join(work, `hook-started-${scene.scenario}`);
    const hook = `touch ${started}; sleep 30`;
    const controller = cliProcess(
      [...deployV2({ "deploy-hook": hook, "hook-timeout": "60s" }), "--actor", "pipeline"],
      work,
    );
    const exited = new Promise<number | null>((resolve) => controller.child.once("exit", resolve));
    await until(() => existsSync(started), 30_000, "the hook running");
    const cancelledAt = Date.now();
    controller.child.kill("SIGTERM");
    expect(await exited, controller.output()).toBe(1);
    // Not the hook's 30 s, nor its 60 s timeout.
    expect(Date.now() - cancelledAt, controller.output()).toBeLessThan(10_000);
    expect(controller.output()).toMatch(/v2 aborted, all traffic on blue .*deploy cancelled \(SIGTERM\)/);
    expect(controller.output()).toMatch(/deploy stopped: cancelled \(SIGTERM\)\n$/);
    expect(controller.output()).not.toMatch(/another command/);
    expect((await ledger()).at(-1)).toMatchObject({ type: "deploy_finished", outcome: "aborted" });
    expect(await liveWeights()).toEqual({ blue: 100, green: 0 });
    expect(await state()).toMatchObject({ active: "blue", phase: "idle", lock: null });
  });

  it("3d. a deploy hook that starts its server in the background is done when its shell is, and says the server holds its output", async () => {
    const { work } = scene.stand;
    const pidFile = path.join(work, `background-${scene.scenario}.pid`);
    // A stand-in for `node server.js &` without redirection: it keeps the hook's output open.
    const hook = `(echo serving; sleep 20) & echo $! > ${pidFile}`;
    const startedAt = Date.now();
    const run = await cli(
      [...deployV2({ "deploy-hook": hook, "hook-timeout": "15s", steps: "50,100", bake: "1s", interval: "300ms" })],
      work,
    );
    try {
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(Date.now() - startedAt, run.stdout).toBeLessThan(15_000);
      expect(run.stdout).toMatch(
        /hook for green: a process it left running still holds the hook's output open; redirect its output/,
      );
      // Still running: the hook's own process was not killed when the deploy went on.
      expect(() => process.kill(Number(readFileSync(pidFile, "utf8")), 0)).not.toThrow();
    } finally {
      try {
        process.kill(Number(readFileSync(pidFile, "utf8")));
      } catch {
        // Already gone.
      }
    }
  });

  it("4. never reloads a config that fails nginx -t: traffic unchanged, deploy fails with nginx's error", async () => {
    const { nginx, work } = scene.stand;
    const before = await readFile(nginx.upstreamFile, "utf8");
    const restore = await breakConfig(nginx);
    const load = startLoad(nginx.url, { concurrency: 2, maxRequests: 50_000, maxMs: 30_000 });
    try {
      const run = await cli(deployV2({ bake: "500ms", interval: "250ms" }), work);
      expect(run.code).toBe(3);
      expect(run.stdout + run.stderr).toMatch(/unknown directive "portcullis_no_such_directive"/);
      expect(await readFile(nginx.upstreamFile, "utf8")).toBe(before);
    } finally {
      await restore();
    }
    const hits = await load.stop();
    expect(hits.length).toBeGreaterThan(50);
    expect(hits.every((hit) => hit.ok && hit.version === "v1")).toBe(true);
    expect((await ledger()).at(-1)).toMatchObject({ type: "deploy_finished", outcome: "failed" });
    expect(await state()).toMatchObject({ active: "blue", phase: "idle", weights: { blue: 100, green: 0 } });
  });

  it("5. refuses a second deploy while one runs (exit 3) but never a rollback", async () => {
    const { work } = scene.stand;
    const first = cli(deployV2({ bake: "3s", interval: "300ms" }), work);
    await untilSecondStep(30_000);
    const second = await cli(["deploy", "--release", "v3", "--force", "--reason", "acceptance test", ...flags()], work);
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/another controller holds the lock: .*\(deploy /);

    const rollback = await cli(["rollback", ...flags(), "--reason", "on-call says no"], work);
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    expect(await liveWeights()).toEqual({ blue: 100, green: 0 });
    const run = await first;
    expect(run.code).toBe(1);
    // The rollback may still hold the lock when the deploy looks, or may have finished and released it.
    expect(run.stderr).toMatch(/the deploy lock was (taken by .*\(rollback\)|broken and released by another command)/);
    await sleep(500);
    expect(await liveWeights()).toEqual({ blue: 100, green: 0 });
    const records = await ledger();
    expect(records.find((record) => record.action === "lock_broken")?.reason).toMatch(
      /rollback broke the lock of .*holder alive/,
    );
    expect(records.at(-1)).toMatchObject({ type: "deploy_finished", outcome: "rolled_back" });
  });
});
