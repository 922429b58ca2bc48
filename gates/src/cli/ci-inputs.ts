import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { UsageError, isPortcullisError } from "../errors.js";
import { findOnPath } from "../runner/spawn.js";
import { k6 } from "../tools/k6.js";
import type { CliIo } from "./io.js";

/** What `portcullis ci` checks or finds out before any stage runs. */

/**
 * The load test's base URL, judged by the k6 adapter (which owns what BASE_URL may be) before any
 * stage runs: also when k6 is not installed, so that a typo is not found only on the next machine.
 */
export function checkTarget(target: string): void {
  try {
    k6.env({ baseUrl: target });
  } catch (error) {
    if (!isPortcullisError(error)) throw error;
    throw new UsageError("USAGE", `--target: ${error.message}`, { fix: error.fix, cause: error });
  }
}

/** `git rev-parse HEAD` in `dir`; undefined outside a git repository or without git. */
export async function gitHead(dir: string, env: CliIo["env"]): Promise<string | undefined> {
  const git = findOnPath("git", env);
  if (git === undefined) return undefined;
  try {
    const { stdout } = await execFileAsync(git, ["rev-parse", "--verify", "--quiet", "HEAD"], {
      cwd: dir,
      timeout: GIT_TIMEOUT_MS,
      encoding: "utf8",
    });
    return /^[0-9a-f]{40,64}$/.test(stdout.trim()) ? stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** The value without surrounding space; undefined when blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

// --- internal ---

const GIT_TIMEOUT_MS = 10_000;
const execFileAsync = promisify(execFile);
