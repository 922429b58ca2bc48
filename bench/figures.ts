import { readFileSync } from "node:fs";
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
