import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ToolRunError } from "../errors.js";
import type { FixStep, ProjectFiles } from "../fix/ecosystem.js";
import { findOnPath, runProcess, type ProcessOutcome } from "../runner/spawn.js";
import type { CliIo } from "./io.js";

/**
 * The file and process edge of `portcullis fix`: reads the project files an adapter names, runs the
 * steps it planned, and puts every file back exactly as it was (bytes and times) when a step fails
 * or the result is refused.
 */

/** How long one package-manager step may take before it is stopped (and the tree restored). */
export const STEP_TIMEOUT_MS = 10 * 60_000;

/** The files as they were: content and times, or absent. */
export type Snapshot = ReadonlyMap<string, { bytes: Buffer; atime: Date; mtime: Date } | null>;

/** Reads the named files (relative to root); absent ones are left out of the map. */
export function readProjectFiles(root: string, files: readonly string[]): Map<string, string> {
  const read = new Map<string, string>();
  for (const file of files) {
    try {
      read.set(file, readFileSync(path.join(root, file), "utf8"));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return read;
}

export function takeSnapshot(root: string, files: readonly string[]): Snapshot {
  const snapshot = new Map<string, { bytes: Buffer; atime: Date; mtime: Date } | null>();
  for (const file of files) {
    const absolute = path.join(root, file);
    try {
      const stat = statSync(absolute);
      snapshot.set(file, { bytes: readFileSync(absolute), atime: stat.atime, mtime: stat.mtime });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      snapshot.set(file, null);
    }
  }
  return snapshot;
}

/** Puts every snapshotted file back: same bytes, same times; files that did not exist are removed. */
export function restoreSnapshot(root: string, snapshot: Snapshot): void {
  for (const [file, saved] of snapshot) {
    const absolute = path.join(root, file);
    if (saved === null) {
      rmSync(absolute, { force: true });
      continue;
    }
    writeFileSync(absolute, saved.bytes);
    utimesSync(absolute, saved.atime, saved.mtime);
  }
}

/** Text of the snapshotted files (what the patch is computed from). */
export function snapshotText(snapshot: Snapshot): ProjectFiles {
  const files = new Map<string, string>();
  for (const [file, saved] of snapshot) if (saved !== null) files.set(file, saved.bytes.toString("utf8"));
  return files;
}

export type StepsOutcome =
  | { ok: true }
  | { ok: false; step: FixStep; index: number; outcome: ProcessOutcome }
  | { ok: false; cancelled: NodeJS.Signals };

/**
 * Runs the steps in order; stops at the first that fails, or when the command is interrupted
 * (SIGINT, SIGTERM: the step's process group is stopped). The caller restores the snapshot.
 */
export async function runSteps(root: string, steps: readonly FixStep[], io: CliIo): Promise<StepsOutcome> {
  const interrupted = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    received = signal;
    interrupted.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await stepsUntilDone(root, steps, io, interrupted.signal, () => received);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

// --- internal ---

async function stepsUntilDone(
  root: string,
  steps: readonly FixStep[],
  io: CliIo,
  signal: AbortSignal,
  received: () => NodeJS.Signals | undefined,
): Promise<StepsOutcome> {
  for (const [index, step] of steps.entries()) {
    const stoppedBefore = received();
    if (stoppedBefore !== undefined) return { ok: false, cancelled: stoppedBefore };
    if (step.kind === "edit") {
      const file = path.join(root, step.file);
      writeFileSync(file, step.edit(readFileSync(file, "utf8")));
      continue;
    }
    const [command = "", ...args] = step.argv;
    const executable = findOnPath(command, io.env);
    if (executable === undefined) {
      throw new ToolRunError("TOOL_NOT_FOUND", `${command} not found on PATH`, {
        tool: command,
        fix: `install ${command} (it comes with Node.js), or run fix in the pinned node image (\`dagger call fix\`)`,
      });
    }
    io.stderr(`portcullis fix: ${step.argv.join(" ")}\n`);
    const outcome = await runProcess({ executable, args, cwd: root, env: io.env, timeoutMs: STEP_TIMEOUT_MS, signal });
    const cancelled = received();
    if (cancelled !== undefined) return { ok: false, cancelled };
    if (outcome.exitCode !== 0) return { ok: false, step, index, outcome };
  }
  return { ok: true };
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "ENOENT";
}
