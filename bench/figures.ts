import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/**
 * What every benchmark shares: the preload that records a child process's peak memory and CPU
 * time, reading what it wrote, and the medians and units the results are printed in.
 */

/** `node --import PRELOAD …` writes the child's figures to $PORTCULLIS_BENCH_RSS_FILE on exit. */
export const PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), "max-rss.mjs");

/** What bench/max-rss.mjs writes. */
const Figures = z.object({ rssBytes: z.number(), cpuMs: z.number() }).strict();
export type Figures = z.infer<typeof Figures>;

/** The figures a child run under PRELOAD left in `file`. */
export function readFigures(file: string): Figures {
  return Figures.parse(JSON.parse(readFileSync(file, "utf8")));
}

/** One child `node` process's wall time and, from PRELOAD, its peak RSS and CPU time. */
export interface Sample extends Figures {
  ms: number;
}

/**
 * Runs `node --import PRELOAD …args` in `cwd` and measures it; `rssFile` is scratch space for
 * PRELOAD's figures. An exit code outside `okCodes` is a crash: printed with the end of its
 * stderr, and the benchmark exits 1.
 */
export function measureChild(
  args: readonly string[],
  options: { cwd: string; rssFile: string; okCodes: readonly number[] },
): Sample {
  rmSync(options.rssFile, { force: true });
  const started = performance.now();
  const result = spawnSync(process.execPath, ["--import", PRELOAD, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", PORTCULLIS_BENCH_RSS_FILE: options.rssFile },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const ms = performance.now() - started;
  if (result.status === null || !options.okCodes.includes(result.status)) {
    console.error(
      `${args.join(" ")} crashed (exit ${result.status ?? result.signal}):\n${result.stderr.toString("utf8").slice(-2_000)}`,
    );
    process.exit(1);
  }
  return { ms, ...readFigures(options.rssFile) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

/** The machine's load averages (1, 5, 15 minutes): wall times on a shared machine depend on them. */
export function load(): string {
  return loadavg()
    .map((value) => value.toFixed(1))
    .join(" / ");
}

export function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(2)} s`;
}

export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
