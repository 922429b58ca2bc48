import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ensureTrivyReport } from "./trivy-report.js";

/**
 * `portcullis evaluate` on a ~100 MB trivy report against the named alternative, a bare
 * `JSON.parse(readFileSync(file))` in its own node process. Both run as child processes, alternately,
 * several times; the medians of wall time and of peak RSS are compared. Targets: time <= 2x,
 * peak RSS <= 1.5x. A missed target is printed, not fatal; a crash exits 1.
 */

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const TARGET_BYTES = Number(process.env["PORTCULLIS_BENCH_BYTES"] ?? 100_000_000);
const REPETITIONS = Number(process.env["PORTCULLIS_BENCH_REPS"] ?? 5);
const DATA_FILE = path.join(ROOT, "bench", ".data", `trivy-${Math.round(TARGET_BYTES / 1e6)}mb.v1.json`);
const PRELOAD = path.join(ROOT, "bench", "max-rss.mjs");
const BIN = path.join(ROOT, "gates", "bin", "portcullis.js");

interface Sample {
  ms: number;
  rssBytes: number;
  cpuMs: number;
}

/** What bench/max-rss.mjs writes. */
const Figures = z.object({ rssBytes: z.number(), cpuMs: z.number() }).strict();

const generatedAt = performance.now();
const size = ensureTrivyReport(DATA_FILE, TARGET_BYTES);
console.log(
  `report: ${path.relative(ROOT, DATA_FILE)} (${mb(size)}, ready in ${seconds(performance.now() - generatedAt)})`,
);

const scratch = mkdtempSync(path.join(tmpdir(), "portcullis-bench-"));
try {
  const bare: Sample[] = [];
  const evaluate: Sample[] = [];
  for (let round = 0; round < REPETITIONS; round += 1) {
    bare.push(
      measure(
        "bare JSON.parse",
        ["-e", "JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'))", DATA_FILE],
        [0],
        () => true,
      ),
    );
    evaluate.push(
      measure(
        "portcullis evaluate",
        [BIN, "evaluate", "--env", "development", "--report", `trivy=${DATA_FILE}`],
        [0, 1],
        judged,
      ),
    );
  }
  const bareMs = median(bare.map((sample) => sample.ms));
  const evalMs = median(evaluate.map((sample) => sample.ms));
  const bareRss = median(bare.map((sample) => sample.rssBytes));
  const evalRss = median(evaluate.map((sample) => sample.rssBytes));
  const bareCpu = median(bare.map((sample) => sample.cpuMs));
  const evalCpu = median(evaluate.map((sample) => sample.cpuMs));
  console.log(`repetitions: ${REPETITIONS} (medians)`);
  console.log(
    `bare JSON.parse      wall ${seconds(bareMs).padStart(8)}  cpu ${seconds(bareCpu).padStart(8)}  peak RSS ${mb(bareRss).padStart(9)}`,
  );
  console.log(
    `portcullis evaluate  wall ${seconds(evalMs).padStart(8)}  cpu ${seconds(evalCpu).padStart(8)}  peak RSS ${mb(evalRss).padStart(9)}`,
  );
  console.log(verdict("time", evalMs / bareMs, 2));
  console.log(verdict("peak RSS", evalRss / bareRss, 1.5));
  // Wall time is the target; CPU time is printed too because it is steadier on a shared machine.
  console.log(`${"cpu time ratio (for reference, no target):".padEnd(48)} ${(evalCpu / bareCpu).toFixed(2)}x`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

// --- internal ---

/**
 * A real verdict, not a crash: node also exits 1 on an uncaught error, so the exit code alone cannot
 * tell "blocked" from "broken". The verdict table must be there, with the trivy report judged.
 */
function judged(stdout: string): boolean {
  return /^Portcullis \S+ · development · /.test(stdout) && /^vulnerabilities +FAIL /m.test(stdout);
}

function measure(
  label: string,
  args: readonly string[],
  okCodes: readonly number[],
  check: (stdout: string) => boolean,
): Sample {
  const rssFile = path.join(scratch, "rss");
  rmSync(rssFile, { force: true });
  const started = performance.now();
  const result = spawnSync(process.execPath, ["--import", PRELOAD, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", PORTCULLIS_BENCH_RSS_FILE: rssFile },
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 16 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  const crashed = result.status === null || !okCodes.includes(result.status) || !check(result.stdout.toString("utf8"));
  if (crashed) {
    console.error(
      `${label} crashed (exit ${result.status ?? result.signal}):\n${result.stdout.toString("utf8").slice(0, 2_000)}${result.stderr.toString("utf8").slice(-4_000)}`,
    );
    process.exit(1);
  }
  return { ms, ...Figures.parse(JSON.parse(readFileSync(rssFile, "utf8"))) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

function verdict(what: string, ratio: number, target: number): string {
  const outcome = ratio <= target ? "met" : "MISSED";
  return `${`${what} ratio (evaluate / bare JSON.parse):`.padEnd(48)} ${ratio.toFixed(2)}x  target <= ${target}x  ${outcome}`;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(2)} s`;
}
