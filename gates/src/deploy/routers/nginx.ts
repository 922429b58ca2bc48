import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describeFailure, runShell } from "../shell.js";
import { SLOTS, sameWeights, type Slot, type Weights } from "../state.js";
import { parseLive, readLive, renderLiveMap, waitForGeneration, type LiveWeights } from "./nginx-live.js";
import { RouterError, hostPort, type Router } from "./router.js";

/**
 * nginx router: rewrites a weighted `upstream` include atomically (a slot at 0 % is `down`), runs
 * the test command, reloads only a config that passed it, and confirms through nginx itself: the
 * include carries a generation id that a `location` returns (nginx-live.ts), so a step counts
 * only once nginx serves it. After any failed reload the last good include is re-applied and what
 * nginx then serves is read back, so "nothing changed" is a reading, never an assumption.
 */
export interface NginxOptions {
  upstreamFile: string;
  upstream: string;
  servers: Readonly<Record<Slot, string>>;
  testCmd: string;
  reloadCmd: string;
  /** The location returning `$<upstream>_weights`. */
  liveUrl: string;
  timeoutMs: number;
  cwd: string;
}

export function nginxRouter(options: NginxOptions): Router {
  const file = path.resolve(options.cwd, options.upstreamFile);
  const run = (command: string) => runShell(command, { cwd: options.cwd, timeoutMs: options.timeoutMs });
  const served = (live: LiveWeights | null): string =>
    live === null
      ? "unknown weights"
      : `blue ${live.weights.blue} % / green ${live.weights.green} % (${live.generation})`;
  /**
   * The failed reload may have loaded the new file anyway: write the last good weights back under
   * a new generation, reload, and read what nginx serves (the new generation proves the re-apply).
   */
  const reapply = async (previous: string | undefined, failure: string): Promise<never> => {
    const good = previous === undefined ? null : parseLive(previous);
    const generation = newGeneration();
    if (good === null) await restore(file, previous);
    else await writeAtomic(file, renderUpstream(options.upstream, options.servers, good.weights, generation));
    const again = await run(options.reloadCmd);
    // The reading decides, not the exit code: a reload that "failed" again may have applied too.
    // Without a readable previous include there is no generation to wait for: one reading it is.
    const waitMs = good === null ? 0 : again.ok ? options.timeoutMs : Math.min(options.timeoutMs, 2_000);
    const seen = await waitForGeneration(options.liveUrl, generation, waitMs);
    const servedGeneration = seen.live?.generation;
    // Unchanged only on a steady reading of the re-applied generation, or a last good read of the
    // previous one; anything less counts as applied, the side that rolls back.
    const unchanged = good !== null && (seen.settled || (seen.error === null && servedGeneration === good.generation));
    throw new RouterError(
      "nginx",
      `reload failed: ${failure}; re-applied the last good include (${again.ok ? "reloaded" : `reload failed again: ${describeFailure(options.reloadCmd, again)}`}); nginx serves ${served(seen.live)}${seen.error === null ? "" : ` (${seen.error})`}`,
      {
        applied: !unchanged,
        fix: "check that nginx is running and that nginx_reload_cmd reaches it",
      },
    );
  };
  return {
    description: `nginx (upstream ${options.upstream} in ${options.upstreamFile}, live at ${options.liveUrl})`,
    async setWeights(weights) {
      const previous = await readOptional(file);
      const generation = newGeneration();
      await writeAtomic(file, renderUpstream(options.upstream, options.servers, weights, generation));
      const test = await run(options.testCmd);
      if (!test.ok) {
        await restore(file, previous);
        throw new RouterError(
          "nginx",
          `config test failed, nothing reloaded: ${describeFailure(options.testCmd, test)}`,
          {
            applied: false,
            fix: "fix the nginx configuration (run the test command by hand), then deploy again",
          },
        );
      }
      const reload = await run(options.reloadCmd);
      if (!reload.ok) return reapply(previous, describeFailure(options.reloadCmd, reload));
      const seen = await waitForGeneration(options.liveUrl, generation, options.timeoutMs);
      if (!seen.settled || seen.live?.generation !== generation || !sameWeights(seen.live.weights, weights)) {
        const steadily = seen.live?.generation === generation ? " steadily" : "";
        throw new RouterError(
          "nginx",
          `nginx does not serve generation ${generation} (blue ${weights.blue} / green ${weights.green})${steadily} within ${options.timeoutMs}ms; it serves ${served(seen.live)}${seen.error === null ? "" : ` (${seen.error})`}`,
          {
            applied: true,
            fix: "check the reload command and that nginx_live_url reaches this nginx",
          },
        );
      }
      return seen.live.weights;
    },
    async readWeights() {
      return (await readLive(options.liveUrl, options.timeoutMs)).weights;
    },
    async unserved() {
      const text = await readOptional(file);
      const written = text === undefined ? null : parseLive(text);
      const live = await readLive(options.liveUrl, options.timeoutMs);
      if (written === null || written.generation === live.generation) return null;
      return `${options.upstreamFile} holds ${served(written)} but nginx serves ${served(live)}: a write was not reloaded (fix: \`portcullis rollback\`, or reload nginx once checked)`;
    },
  };
}

/** The include file for `weights`. nginx has no weight 0: a slot at 0 % is marked `down`. */
export function renderUpstream(
  name: string,
  servers: Readonly<Record<Slot, string>>,
  weights: Weights,
  generation: string = newGeneration(),
): string {
  const lines = SLOTS.map((slot) => {
    const weight = weights[slot];
    return `    server ${servers[slot]} ${weight === 0 ? "down" : `weight=${weight}`}; # ${slot}`;
  });
  return [
    `# Written by portcullis deploy: every traffic step rewrites this file.`,
    `upstream ${name} {`,
    ...lines,
    "}",
    "# What nginx serves, read back through the location that returns this variable (docs/deploy.md).",
    renderLiveMap(name, generation, weights),
    "",
  ].join("\n");
}

/** The servers block for two slot URLs. */
export function nginxServers(blue: string, green: string): Record<Slot, string> {
  return { blue: hostPort(blue), green: hostPort(green) };
}

// --- internal ---

/** Unique per write: sortable time, then randomness. */
function newGeneration(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return undefined;
    throw error;
  }
}

/** Same-directory temp file then rename: nginx never reads a half-written include. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString("hex")}.tmp`);
  await writeFile(temp, text, { flush: true });
  await rename(temp, file);
}

async function restore(file: string, previous: string | undefined): Promise<void> {
  if (previous === undefined) await rm(file, { force: true });
  else await writeAtomic(file, previous);
}
