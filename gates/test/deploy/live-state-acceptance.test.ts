import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { haveBinaries, sleep, until } from "./helpers/processes.js";
import { tally, useStand } from "./helpers/stand.js";

/**
 * Acceptance, through a real nginx and two real slots, of the guarantees that a deploy acts on
 * what the router really serves: a lost state is never guessed (1), a rollback never moves
 * traffic to a dead slot (2), a reload that applied but failed is undone and read back (5),
 * `status` reads nginx itself (6), and a rollback keeps trying until its deadline (7).
 */
const available = haveBinaries(["nginx"]);

describe.skipIf(!available)("deploys act on the router's live state", { timeout: 120_000 }, () => {
  const scene = useStand("portcullis-live-");

  const { deploy } = scene;

  it("1. with the state lost while green serves, refuses (exit 3) without running the hook, until `state sync`", async () => {
    const { stand, stateDir, scenario } = scene;
    await stand.serve({ blue: 0, green: 100 });
    const hookLog = path.join(stand.work, `hook-${scenario}.log`);
    const hook = { "deploy-hook": `echo "$PORTCULLIS_SLOT" >> ${hookLog}` };

    const refused = await deploy("v3", hook);
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stderr).toMatch(
      /state and router disagree: the router serves blue 0 % \/ green 100 %.*run `portcullis state sync`/,
    );
    await expect(readFile(hookLog, "utf8")).rejects.toThrow(/ENOENT/);
    expect(tally(await stand.versions(40))).toEqual({ v2: 40 });

    const status = await scene.run(["status"]);
    expect(status.stdout).toMatch(/DISAGREEMENT: the router serves blue 0 % \/ green 100 %/);

    const synced = await scene.run(["state", "sync"]);
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    expect(synced.stdout).toMatch(/state rebuilt from the router: all traffic on green/);
    expect(await stand.state(stateDir)).toMatchObject({ active: "green", weights: { blue: 0, green: 100 } });
    expect((await stand.ledger(stateDir)).at(-1)).toMatchObject({ type: "manual", action: "state_sync" });

    const deployed = await deploy("v3", hook);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    expect(await readFile(hookLog, "utf8")).toBe("blue\n");
    expect(tally(await stand.versions(40))).toEqual({ v1: 40 });
  });

  it("2. a plain rollback to a dead slot leaves traffic where it is and exits 4 naming the slot", async () => {
    const { stand, stateDir } = scene;
    expect((await deploy("r1")).code).toBe(0);
    expect((await deploy("r2")).code).toBe(0);
    // r2 is live on blue (the server labelled v1); green still holds r1, and dies.
    await stand.green.fail("all");
    const rollback = await scene.run(["rollback", "--reason", "drill"]);
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(4);
    expect(rollback.stderr).toMatch(
      /rollback failed: rollback refused, traffic left where it is: the green slot is not healthy/,
    );
    expect(tally(await stand.versions(40))).toEqual({ v1: 40 });
    expect(await stand.state(stateDir)).toMatchObject({
      active: "blue",
      phase: "idle",
      weights: { blue: 100, green: 0 },
    });
    expect((await stand.ledger(stateDir)).at(-1)).toMatchObject({ type: "rollback", ok: false });
    await sleep(200);
    expect(stand.notices).toContainEqual(expect.objectContaining({ event: "rollback_failed", severity: "critical" }));
  });

  it("2b. after a deploy its warm-up rejected, a plain rollback refuses that release (exit 2): users stay on the live one", async () => {
    const { stand, stateDir } = scene;
    expect((await deploy("r1")).code).toBe(0);
    expect((await deploy("r2")).code).toBe(0);
    // r2 is live on blue (the server labelled v1). r3 goes to green, whose health path answers
    // while every page fails: its warm-up stops it before any user has it, and green keeps r3.
    // (The machine's tests end such a deploy by analysis and by abort too.)
    await stand.green.fail("app");
    const rejected = await deploy("r3");
    expect(rejected.code, rejected.stdout + rejected.stderr).toBe(3);
    expect((await stand.ledger(stateDir)).at(-1)).toMatchObject({ type: "deploy_finished", outcome: "failed" });

    const rollback = await scene.run(["rollback", "--reason", "r2 incident"]);
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(2);
    expect(rollback.stderr).toMatch(
      /the green slot holds r3, which no recorded deploy promoted: use `rollback --to-previous` with a deploy_hook/,
    );
    expect(tally(await stand.versions(40))).toEqual({ v1: 40 });
    const status = await scene.run(["status"]);
    expect(status.stdout).toMatch(/blue r2 \| green r3 \(unproven\)/);
  });

  it("2c. the first deploy can be rolled back to what blue served before Portcullis recorded anything", async () => {
    const { stand, stateDir } = scene;
    expect((await deploy("r1")).code).toBe(0);
    expect(tally(await stand.versions(40))).toEqual({ v2: 40 });
    const rollback = await scene.run(["rollback", "--reason", "r1 incident"]);
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    expect(rollback.stdout).toMatch(/traffic restored to blue \(unknown release\)/);
    expect(tally(await stand.versions(40))).toEqual({ v1: 40 });
    expect(await stand.state(stateDir)).toMatchObject({ active: "blue", weights: { blue: 100, green: 0 } });
  });

  it("5. a reload that applied the new include but exited non-zero is undone and read back through nginx", async () => {
    const { stand } = scene;
    const lyingReload = `${stand.nginx.reloadCmd}; echo 'reload: lost the pid file' >&2; exit 1`;
    const run = await deploy("v2", { "nginx-reload-cmd": lyingReload });
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(tally(await stand.versions(100))).toEqual({ v1: 100 });
    expect(run.stdout).toMatch(/re-applied the last good include .*nginx serves blue 100 % \/ green 0 %/);
    const status = await scene.run(["status"]);
    expect(status.stdout).toMatch(/router\s+nginx .*, live: blue 100 % \/ green 0 %/);
    expect(status.stdout).not.toMatch(/WARNING/);
  });

  it("6. status reads what nginx serves, not the include written without a reload", async () => {
    const { stand } = scene;
    await stand.writeOnly({ blue: 25, green: 75 });
    const status = await scene.run(["status"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/router\s+nginx .*, live: blue 100 % \/ green 0 %/);
    expect(status.stdout).toMatch(
      /WARNING\s+\S*upstream.conf holds blue 25 % \/ green 75 % \(\S+\) but nginx serves blue 100 % \/ green 0 % \(\S+\): a write was not reloaded/,
    );
    const json = JSON.parse((await scene.run(["status", "--format", "json"])).stdout) as {
      router: { weights: unknown };
    };
    expect(json.router.weights).toEqual({ blue: 100, green: 0 });
  });

  it("7. a rollback refused by the router keeps retrying with backoff until it succeeds, notifying each failure", async () => {
    const { stand, stateDir, scenario } = scene;
    const flag = path.join(stand.work, `reload-broken-${scenario}`);
    const reload = `test -e ${flag} && { echo 'reload refused' >&2; exit 1; }; ${stand.nginx.reloadCmd}`;
    const running = deploy("v2", { "nginx-reload-cmd": reload, steps: "25,50,100", bake: "20s", interval: "300ms" });
    await stand.untilAnalysing(stateDir, 0, 30_000);
    await writeFile(flag, "");
    await stand.green.fail("all");
    // At least two refused attempts (each waits up to 2 s to read what nginx serves), then repair:
    // whatever happens, or the deploy would keep retrying against the nginx the next test uses.
    const refusals = (): number => stand.notices.filter((notice) => notice.event === "rollback_failed").length;
    try {
      await until(() => refusals() >= 2, 20_000, "two refused rollback attempts");
    } finally {
      await rm(flag, { force: true });
    }
    const run = await running;
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect((await stand.ledger(stateDir)).at(-1)).toMatchObject({
      type: "deploy_finished",
      outcome: "rolled_back",
      cause: "release",
    });
    expect(tally(await stand.versions(40))).toEqual({ v1: 40 });
    const failures = stand.notices.filter((notice) => notice.event === "rollback_failed");
    expect(failures.every((notice) => notice.severity === "critical")).toBe(true);
  });

  it("7b. a rollback still refused at its deadline exits 4: traffic is still on the bad release", async () => {
    const { stand, stateDir, scenario } = scene;
    const flag = path.join(stand.work, `reload-broken-${scenario}`);
    const reload = `test -e ${flag} && { echo 'reload refused' >&2; exit 1; }; ${stand.nginx.reloadCmd}`;
    const running = deploy("v2", {
      "nginx-reload-cmd": reload,
      steps: "25,50,100",
      bake: "20s",
      interval: "300ms",
      "rollback-deadline": "2s",
    });
    await stand.untilAnalysing(stateDir, 0, 30_000);
    await writeFile(flag, "");
    await stand.green.fail("all");
    const run = await running;
    await rm(flag);
    expect(run.code, run.stdout + run.stderr).toBe(4);
    expect(run.stdout).toMatch(/traffic is still on the release being rolled back from/);
    expect(tally(await stand.versions(100))["v2"]).toBeGreaterThan(5);
    expect(await stand.state(stateDir)).toMatchObject({ phase: "rolling_back", rollback: { target: "blue" } });
    const again = await scene.run(["rollback", "--reason", "router fixed"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(tally(await stand.versions(40))).toEqual({ v1: 40 });
  });
});
