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

/** How measureChild runs a child and tells a measurement from a crash. */
export interface ChildOptions {
  cwd: string;
  /** Scratch space for PRELOAD's figures. */
  rssFile: string;
  /** Exit codes of a run that worked (node also exits 1 on an uncaught error: see `check`). */
  okCodes: readonly number[];
  /** Variables added to this process's environment. */
  env?: Readonly<Record<string, string>>;
  /** Whether the child's stdout shows that it did its work; a crash otherwise. */
  check?: (stdout: string) => boolean;
  /** What crash messages call the child (default: its arguments). */
  label?: string;
}

/**
 * Runs `node --import PRELOAD …args` and measures it. An exit code outside `okCodes`, or a stdout
 * that `check` refuses, is a crash: printed with its output, and the benchmark exits 1.
 */
export function measureChild(args: readonly string[], options: ChildOptions): Sample {
  rmSync(options.rssFile, { force: true });
  const started = performance.now();
  const result = spawnSync(process.execPath, ["--import", PRELOAD, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", PORTCULLIS_BENCH_RSS_FILE: options.rssFile, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 16 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  const stdout = result.stdout.toString("utf8");
  const worked = result.status !== null && options.okCodes.includes(result.status) && (options.check?.(stdout) ?? true);
  if (!worked) {
    console.error(
      `${options.label ?? args.join(" ")} crashed (exit ${result.status ?? result.signal}):\n${stdout.slice(0, 2_000)}${result.stderr.toString("utf8").slice(-4_000)}`,
    );
    process.exit(1);
  }
  return { ms, ...readFigures(options.rssFile) };
}

/** The median of each figure over samples of the same run. */
export function medianSample(samples: readonly Sample[]): Sample {
  return {
    ms: median(samples.map((sample) => sample.ms)),
    rssBytes: median(samples.map((sample) => sample.rssBytes)),
    cpuMs: median(samples.map((sample) => sample.cpuMs)),
  };
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
