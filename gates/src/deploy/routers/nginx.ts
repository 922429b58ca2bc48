import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describeFailure, runShell } from "../shell.js";
import { SLOTS, sameWeights, type Slot, type Weights } from "../state.js";
import { RouterError, hostPort, type Router } from "./router.js";

/**
 * nginx router: rewrites a weighted `upstream` include atomically (a slot at 0 % is `down`), runs
 * the test command, reloads only a config that passed it (restoring the previous file otherwise),
 * and confirms by reading the file back.
 */
export interface NginxOptions {
  upstreamFile: string;
  upstream: string;
  servers: Readonly<Record<Slot, string>>;
  testCmd: string;
  reloadCmd: string;
  timeoutMs: number;
  cwd: string;
}

export function nginxRouter(options: NginxOptions): Router {
  const file = path.resolve(options.cwd, options.upstreamFile);
  const run = (command: string) => runShell(command, { cwd: options.cwd, timeoutMs: options.timeoutMs });
  return {
    description: `nginx (upstream ${options.upstream} in ${options.upstreamFile})`,
    async setWeights(weights) {
      const previous = await readOptional(file);
      await writeAtomic(file, renderUpstream(options.upstream, options.servers, weights));
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
      if (!reload.ok) {
        await restore(file, previous);
        throw new RouterError("nginx", `reload failed: ${describeFailure(options.reloadCmd, reload)}`, {
          applied: false,
          fix: "check that nginx is running and that nginx_reload_cmd reaches it",
        });
      }
      const readBack = parseUpstream(await readFile(file, "utf8"), options.upstream, options.servers);
      if (readBack === null || !sameWeights(readBack, weights)) {
        throw new RouterError(
          "nginx",
          `read back ${readBack === null ? "no weights" : `${readBack.blue}/${readBack.green}`} after writing ${weights.blue}/${weights.green}`,
          {
            applied: true,
            fix: "something else rewrites the upstream file: give Portcullis its own include",
          },
        );
      }
      return readBack;
    },
    async readWeights() {
      const text = await readOptional(file);
      return text === undefined ? null : parseUpstream(text, options.upstream, options.servers);
    },
  };
}

/** The include file for `weights`. nginx has no weight 0: a slot at 0 % is marked `down`. */
export function renderUpstream(name: string, servers: Readonly<Record<Slot, string>>, weights: Weights): string {
  const lines = SLOTS.map((slot) => {
    const weight = weights[slot];
    return `    server ${servers[slot]} ${weight === 0 ? "down" : `weight=${weight}`}; # ${slot}`;
  });
  return [
    `# Written by portcullis deploy: every traffic step rewrites this file.`,
    `upstream ${name} {`,
    ...lines,
    "}",
    "",
  ].join("\n");
}

/** Weights of the two slots in an upstream block, matched by address; null when not found. */
export function parseUpstream(text: string, name: string, servers: Readonly<Record<Slot, string>>): Weights | null {
  const block = new RegExp(`upstream\\s+${name}\\s*\\{([^}]*)\\}`).exec(text)?.[1];
  if (block === undefined) return null;
  const found: Partial<Record<Slot, number>> = {};
  for (const match of block.matchAll(/server\s+(\S+)([^;]*);/g)) {
    const slot = SLOTS.find((candidate) => servers[candidate] === match[1]);
    if (slot === undefined) continue;
    const params = match[2] ?? "";
    found[slot] = /\bdown\b/.test(params) ? 0 : Number(/\bweight=(\d+)/.exec(params)?.[1] ?? "1");
  }
  const blue = found.blue;
  const green = found.green;
  return blue === undefined || green === undefined ? null : { blue, green };
}

/** The servers block for two slot URLs. */
export function nginxServers(blue: string, green: string): Record<Slot, string> {
  return { blue: hostPort(blue), green: hostPort(green) };
}

// --- internal ---

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
