import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * The host side of a hook's process group: who it is, and stopping it. Hooks run detached, in a
 * group of their own whose id is the shell's pid (shell.ts), so that a timeout stops everything
 * they started.
 */

/**
 * When the kernel started process `pid`, as text to compare later, or null when this host cannot
 * tell. Linux: the boot's id and the start time in clock ticks (/proc/<pid>/stat, field 22), which
 * a pid reused after a reboot or by a later process never repeats; elsewhere `ps -o lstart=`.
 */
export function processStart(pid: number): string | null {
  try {
    const start = procStat(pid)[STARTTIME];
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
    return start === undefined ? null : `${boot}:${start}`;
  } catch {
    const ps = spawnSync("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8", timeout: 2_000 });
    const started = ps.status === 0 ? ps.stdout.trim() : "";
    return started === "" ? null : `ps:${started}`;
  }
}

export type GroupFate =
  /** It was running and is stopped now. */
  | "stopped"
  /** It had ended. */
  | "ended"
  /** Still there after SIGKILL (a process stuck in the kernel). */
  | "unkillable"
  /** Its start was not recorded, and a group by its id exists: it may be another one, left alone. */
  | "unknown";

/**
 * Stops the process group `pgid` if it is still the hook's: SIGTERM, then SIGKILL after `graceMs`.
 * Its shell is the one recorded when it started the same process, or is gone while other members
 * of its group remain (a group id is not given again while any member lives).
 */
export async function stopProcessGroup(
  pgid: number,
  start: string | null,
  options: { graceMs: number; pollMs?: number },
): Promise<GroupFate> {
  if (!groupRunning(pgid)) return "ended";
  const leader = processStart(pgid);
  if (leader !== null && start === null) return "unknown";
  if (leader !== null && leader !== start) return "ended";
  signalGroup(pgid, "SIGTERM");
  const poll = options.pollMs ?? 100;
  if (await gone(pgid, options.graceMs, poll)) return "stopped";
  signalGroup(pgid, "SIGKILL");
  return (await gone(pgid, options.graceMs, poll)) ? "stopped" : "unkillable";
}

/**
 * Whether any process of the group still runs. A member that died but was not reaped yet (a
 * zombie: its parent, often the init of a container, has not collected it) still answers a signal
 * but does nothing: on Linux the group's members are read from /proc and zombies left out.
 */
export function groupRunning(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    // EPERM: it exists, owned by another user, whose processes /proc may not show (hidepid).
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  const members = linuxGroupStates(pgid);
  // None listed although it answered a signal: /proc hides them, so it runs.
  return members === undefined || members.length === 0 || members.some((state) => state !== "Z" && state !== "X");
}

// --- internal ---

/** The states (R, S, Z…) of the group's processes, from /proc; undefined without /proc. */
function linuxGroupStates(pgid: number): string[] | undefined {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const states: string[] = [];
  for (const pid of pids) {
    try {
      const fields = procStat(Number(pid));
      const state = fields[STATE];
      if (Number(fields[PGRP]) === pgid && state !== undefined) states.push(state);
    } catch {
      // Ended while listed.
    }
  }
  return states;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Ended meanwhile.
  }
}

async function gone(pgid: number, withinMs: number, pollMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  for (;;) {
    if (!groupRunning(pgid)) return true;
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * The fields of /proc/<pid>/stat after the command name (field 2), which is in parentheses and may
 * hold spaces: index 0 is field 3 (`state`). Throws when the process is gone.
 */
function procStat(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Positions in procStat's fields: state (field 3), pgrp (field 5), starttime (field 22). */
const STATE = 0;
const PGRP = 2;
const STARTTIME = 19;
