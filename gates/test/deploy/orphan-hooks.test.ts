import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupRunning } from "../../src/deploy/hook-process.js";
import { parseLedger } from "../../src/deploy/ledger.js";
import { DeployState } from "../../src/deploy/state.js";
import { cli, cliProcess, storyArgs, writeStoryEnvironment } from "./helpers/cli.js";
import { startVersionServer, stopChild, type VersionServer } from "./helpers/processes.js";

/**
 * Hooks run in their own process group, so a controller killed with SIGKILL leaves its hook
 * running. These kill the real controller process in the middle of a real hook (a shell that
 * sleeps, then writes a file, as a hook that deploys or scales down would act on a slot) and
 * check that the next command to take the lock stops that hook before it acts, and records it.
 */
describe("controller processes: the hooks they leave running, and who they say ran them", { timeout: 90_000 }, () => {
  let work: string;
  let blue: VersionServer;
  let green: VersionServer;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "portcullis-orphans-"));
    blue = await startVersionServer("v1");
    green = await startVersionServer("v2");
    await writeStoryEnvironment(work, {
      performance: ["min_requests: 3"],
      deploy: ["steps: [100]", "bake: 200ms", "interval: 200ms", "warmup: 0s", "probe_rate: 20", "lock_lease: 1s"],
    });
  });

  afterAll(async () => {
    await blue?.stop();
    await green?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const common = (): string[] => storyArgs(work, { blue, green });
  const run = (...args: string[]) => cli([...args, ...common()], work);
  const state = async (): Promise<DeployState> =>
    DeployState.parse(JSON.parse(await readFile(path.join(work, "state", "staging", "state.json"), "utf8")));
  const ledger = async () => parseLedger(await readFile(path.join(work, "state", "staging", "ledger.jsonl"), "utf8"));
  /** A hook that acts on its slot after `seconds`, as a slow deploy or scale-down would. */
  const lateHook = (marker: string, seconds: number): string =>
    `sleep ${seconds}; echo "$PORTCULLIS_RELEASE" > ${path.join(work, marker)}`;

  async function until(check: () => Promise<boolean>, what: string, withinMs = 30_000): Promise<void> {
    const end = Date.now() + withinMs;
    while (!(await check().catch(() => false))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Starts a command as its own process and waits until the state records its hook. */
  async function startUntilHook(args: string[], kind: "deploy" | "retire") {
    const controller = cliProcess([...args, ...common()], work);
    const exited = new Promise<number | null>((resolve) => controller.child.once("exit", resolve));
    await until(async () => (await state()).hook?.kind === kind, `the ${kind} hook to start\n${controller.output()}`);
    return { controller, exited, pgid: (await state()).hook?.pgid ?? 0 };
  }

  /** Starts a command as its own process, waits for its hook to be recorded, then SIGKILLs the command alone. */
  async function killDuringHook(args: string[], kind: "deploy" | "retire"): Promise<number> {
    const { controller, pgid } = await startUntilHook(args, kind);
    // The controller's own group: the hook runs in another, as after a `kill -9` of the controller.
    process.kill(-(controller.child.pid ?? 0), "SIGKILL");
    await stopChild(controller.child, "SIGKILL");
    // The hook outlived it.
    expect(groupRunning(pgid)).toBe(true);
    // Its lease (1 s) runs out.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    return pgid;
  }

  it("a new deploy stops the deploy hook of the deploy that died before it acts on the slot", async () => {
    const pgid = await killDuringHook(
      ["deploy", "--release", "v2-orphan", "--force", "--reason", "o1", "--deploy-hook", lateHook("deployed", 4)],
      "deploy",
    );
    expect((await run("status")).stdout).toMatch(
      new RegExp(`hook {9}deploy hook for green \\(v2-orphan\\), process group ${pgid} on `),
    );
    const next = await run("deploy", "--release", "v2", "--force", "--reason", "o2");
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout + next.stderr).toMatch(
      new RegExp(`stopped the deploy hook of \\S+ for green \\(v2-orphan; process group ${pgid} on `),
    );
    expect(groupRunning(pgid)).toBe(false);
    // Past the time the hook would have written: it never did.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(existsSync(path.join(work, "deployed"))).toBe(false);
    expect((await ledger()).find((record) => record.action === "hook_stopped")).toMatchObject({
      type: "manual",
      release: "v2-orphan",
      to_slot: "green",
      ok: true,
    });
    expect((await state()).hook).toBeNull();
  });

  it("a rollback stops the retire hook of the deploy that died before it scales down the slot users are sent back to", async () => {
    // v3 goes to blue; green (v2) is retired once v3 is live, by a hook that takes 4 s.
    const pgid = await killDuringHook(
      [
        "deploy",
        "--release",
        "v3",
        "--force",
        "--reason",
        "o3",
        "--scale-down-delay",
        "0s",
        "--retire-hook",
        lateHook("retired", 4),
      ],
      "retire",
    );
    const rollback = await run("rollback", "--reason", "v3 is broken");
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    expect(rollback.stdout + rollback.stderr).toMatch(/stopped the retire hook of \S+ for green \(v2;/);
    expect(await readFile(path.join(work, "weights"), "utf8")).toBe("0 100");
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(existsSync(path.join(work, "retired"))).toBe(false);
    expect(groupRunning(pgid)).toBe(false);
  });

  it("a rollback stops the hook of a deploy still running, which then ends as taken over", async () => {
    const { controller: deploy, exited } = await startUntilHook(
      ["deploy", "--release", "v4", "--force", "--reason", "o4", "--deploy-hook", lateHook("deployed-live", 4)],
      "deploy",
    );
    const rollback = await run("rollback", "--reason", "not now");
    expect(rollback.stdout + rollback.stderr).toMatch(/stopped the deploy hook of \S+ for blue \(v4;/);
    expect(await exited, deploy.output()).not.toBe(0);
    expect(deploy.output()).toMatch(/lock/);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(existsSync(path.join(work, "deployed-live"))).toBe(false);
  });

  it("a deploy cancelled with SIGTERM stops its own hook at once, and records no stray hook", async () => {
    const before = (await ledger()).length;
    const {
      controller: deploy,
      exited,
      pgid,
    } = await startUntilHook(
      ["deploy", "--release", "v6", "--force", "--reason", "o6", "--deploy-hook", lateHook("cancelled", 4)],
      "deploy",
    );
    const cancelled = Date.now();
    deploy.child.kill("SIGTERM");
    expect(await exited, deploy.output()).toBe(1);
    expect(Date.now() - cancelled).toBeLessThan(3_000);
    expect(groupRunning(pgid)).toBe(false);
    const records = (await ledger()).slice(before);
    expect(records.some((record) => record.action === "hook_stopped")).toBe(false);
    expect(records.at(-1)).toMatchObject({ type: "deploy_finished", outcome: "aborted" });
    expect((await state()).hook).toBeNull();
  });

  it("records the account that ran a command when neither $GITHUB_ACTOR nor $USER says who", async () => {
    const deploy = await cli(["deploy", "--release", "v5", "--force", "--reason", "o5", ...common()], work, {
      USER: undefined,
      GITHUB_ACTOR: undefined,
    });
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    const started = (await ledger()).findLast((record) => record.type === "deploy_started");
    expect(started?.actor).toBe(userInfo().username);
  });
});
