import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { groupRunning, processStart, stopProcessGroup } from "../../src/deploy/hook-process.js";

/**
 * Real process groups, as a hook's: `sh -c` started detached, with a child of its own. A group is
 * alive while a member runs: killed members may stay zombies here (nothing reaps them).
 */
describe("stopProcessGroup", { timeout: 30_000 }, () => {
  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const child of started.splice(0)) {
      try {
        process.kill(-(child.pid ?? 0), "SIGKILL");
      } catch {
        // Ended.
      }
    }
  });

  function group(script: string): number {
    const child = spawn("/bin/sh", ["-c", script], { detached: true, stdio: "ignore" });
    started.push(child);
    return child.pid ?? 0;
  }
  const alive = groupRunning;

  it("stops the whole group of the process it recorded", async () => {
    const pgid = group("sleep 30 & sleep 30; wait");
    const start = processStart(pgid);
    expect(start).not.toBeNull();
    expect(await stopProcessGroup(pgid, start, { graceMs: 2_000 })).toBe("stopped");
    expect(alive(pgid)).toBe(false);
  });

  it("kills a group that ignores SIGTERM once the grace is over", async () => {
    const pgid = group("trap '' TERM; sleep 30 & wait; sleep 30");
    // Let the shell set its trap before it is signalled.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const began = Date.now();
    expect(await stopProcessGroup(pgid, processStart(pgid), { graceMs: 500 })).toBe("stopped");
    expect(Date.now() - began).toBeGreaterThanOrEqual(500);
    expect(alive(pgid)).toBe(false);
  });

  it("stops what is left of a group whose shell is gone", async () => {
    // The shell exits at once; its background sleep stays in the group.
    const pgid = group("sleep 30 > /dev/null 2>&1 &");
    const start = processStart(pgid);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processStart(pgid)).toBeNull();
    expect(alive(pgid)).toBe(true);
    expect(await stopProcessGroup(pgid, start, { graceMs: 2_000 })).toBe("stopped");
    expect(alive(pgid)).toBe(false);
  });

  it("leaves alone a process that is not the one recorded, or whose start was not recorded", async () => {
    const pgid = group("sleep 30");
    expect(await stopProcessGroup(pgid, "another-boot:1", { graceMs: 200 })).toBe("ended");
    expect(await stopProcessGroup(pgid, null, { graceMs: 200 })).toBe("unknown");
    expect(alive(pgid)).toBe(true);
  });

  it("says a group that is gone has ended", async () => {
    const pgid = group("exit 0");
    const start = processStart(pgid);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await stopProcessGroup(pgid, start, { graceMs: 200 })).toBe("ended");
  });
});
