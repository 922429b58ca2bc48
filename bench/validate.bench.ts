import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { load, mb, median, PRELOAD, readFigures, seconds } from "./figures.js";

/**
 * `portcullis validate` with every check against markdownlint-cli2 alone (0.22.0, markdownlint's
 * rules with the same configuration: defaults without line length), on a 10,000-file corpus made
 * by copying the shared Markdown corpus into distinct folders. Both run as child processes,
 * alternately; the medians of wall time are compared. Target: ratio <= 0.6. CPU time, total and per
 * file, is printed too: it is steadier than wall time on a shared machine. So is the lowest ratio
 * the measured CPU times allow on this machine's cores (see the end of the run). A missed target is
 * printed, not fatal; a crash exits 1.
 * Standalone: `npx tsx bench/validate.bench.ts` (after `npm run build`).
 */

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const TARGET_FILES = Number(process.env["PORTCULLIS_BENCH_VALIDATE_FILES"] ?? 10_000);
// Medians of three rounds: markdownlint-cli2's own time varies by a fifth between rounds on the same
// machine (78-93 s, 87-112 s of CPU, for the same files), so one round says little. A round takes
// about two minutes on two cores; PORTCULLIS_BENCH_VALIDATE_REPS=1 for a quick look.
const REPETITIONS = Number(process.env["PORTCULLIS_BENCH_VALIDATE_REPS"] ?? 3);
const CORPUS = path.join(
  process.env["PORTCULLIS_CORPORA_DIR"] ?? path.resolve(ROOT, "..", "shared", "corpora"),
  "claude-modular-pr205",
);
const DATA_DIR = path.join(ROOT, "bench", ".data", `validate-${TARGET_FILES}`);
const BIN = path.join(ROOT, "gates", "bin", "portcullis.js");
const TARGET = 0.6;

/** One run: wall time, and the CPU time bench/max-rss.mjs records (every thread of the process). */
interface Sample {
  ms: number;
  cpuMs: number;
}
const CLI2 = path.join(ROOT, "node_modules", "markdownlint-cli2", "markdownlint-cli2-bin.mjs");

for (const [file, fix] of [
  [CORPUS, "put the shared corpora beside the repository or set PORTCULLIS_CORPORA_DIR"],
  [path.join(ROOT, "gates", "dist", "validate", "validate.js"), "run `npm run build` first"],
  [CLI2, "run `npm ci` (markdownlint-cli2 is a dev dependency)"],
] as const) {
  if (!existsSync(file)) {
    console.error(`validate bench: ${file} is missing: ${fix}`);
    process.exit(1);
  }
}

const built = performance.now();
const corpus = ensureCorpus();
console.log(
  `corpus: ${path.relative(ROOT, DATA_DIR)} (${corpus.files} Markdown files, ${corpus.copies} copies of claude-modular-pr205, ` +
    `${mb(corpus.bytes)}, ready in ${seconds(performance.now() - built)})`,
);

// Wall times on a shared machine depend on what else runs: say so next to the figures.
console.log(`machine: ${availableParallelism()} cores, load average ${load()} before`);
const cli2: Sample[] = [];
const validate: Sample[] = [];
for (let round = 0; round < REPETITIONS; round += 1) {
  cli2.push(measure("markdownlint-cli2", [CLI2, "**/*.md"], { quiet: false }));
  validate.push(measure("portcullis validate", [BIN, "validate", ".", "--format", "json"], { quiet: true }));
}
const cli2Ms = median(cli2.map((sample) => sample.ms));
const validateMs = median(validate.map((sample) => sample.ms));
const cli2Cpu = median(cli2.map((sample) => sample.cpuMs));
const validateCpu = median(validate.map((sample) => sample.cpuMs));
const ratio = validateMs / cli2Ms;
const perFile = (cpuMs: number) => `${(cpuMs / corpus.files).toFixed(1)} ms CPU per file`;
console.log(`repetitions: ${REPETITIONS} (medians); load average ${load()} after`);
console.log(`markdownlint-cli2 0.22.0 (markdownlint only)  ${seconds(cli2Ms).padStart(8)}  ${perFile(cli2Cpu)}`);
console.log(
  `portcullis validate (all checks)              ${seconds(validateMs).padStart(8)}  ${perFile(validateCpu)}`,
);
console.log(
  `validate / markdownlint-cli2: ${ratio.toFixed(2)} (target <= ${TARGET}) ${ratio <= TARGET ? "met" : "MISSED"}`,
);
// Each round's own ratio, so that a median hiding a bad round can be seen.
console.log(
  `  by round: ${validate.map((sample, round) => (sample.ms / (cli2[round]?.ms ?? Number.NaN)).toFixed(2)).join(", ")}`,
);
console.log(`cpu time ratio (no target; two threads of ours count twice): ${(validateCpu / cli2Cpu).toFixed(2)}`);
// What the target assumes and what the run shows. markdownlint-cli2 is one JavaScript thread, but
// V8 runs its garbage collector and compiler on other cores: its CPU time over its wall time is
// how many cores it keeps busy. Work costing what markdownlint-cli2's costs, spread perfectly over
// every core, cannot take less than its CPU time divided by the cores; that over its wall time is
// the lowest ratio equal work can reach here.
const cores = availableParallelism();
console.log(
  `markdownlint-cli2 keeps ${(cli2Cpu / cli2Ms).toFixed(2)} cores busy; portcullis validate ${(validateCpu / validateMs).toFixed(2)} of ${cores}`,
);
console.log(
  `lowest ratio for markdownlint-cli2's CPU time spread over ${cores} cores: ${(cli2Cpu / cores / cli2Ms).toFixed(2)}; ` +
    `for ours: ${(validateCpu / cores / cli2Ms).toFixed(2)}`,
);

// --- internal ---

/** Copies the corpus into `copy-NNN/` folders until the tree holds TARGET_FILES Markdown files. */
function ensureCorpus(): { files: number; copies: number; bytes: number } {
  const marker = path.join(DATA_DIR, ".complete.json");
  if (existsSync(marker)) {
    const recorded: unknown = JSON.parse(readFileSync(marker, "utf8"));
    if (isCorpusStats(recorded)) return recorded;
  }
  rmSync(DATA_DIR, { recursive: true, force: true });
  mkdirSync(DATA_DIR, { recursive: true });
  const perCopy = walk(CORPUS).filter((file) => file.endsWith(".md"));
  const copies = Math.ceil(TARGET_FILES / perCopy.length);
  for (let copy = 0; copy < copies; copy += 1) {
    cpSync(CORPUS, path.join(DATA_DIR, `copy-${String(copy).padStart(3, "0")}`), { recursive: true });
  }
  // markdownlint-cli2 gets the configuration portcullis validate uses by default.
  writeFileSync(
    path.join(DATA_DIR, ".markdownlint-cli2.jsonc"),
    `${JSON.stringify({ config: { default: true, MD013: false } }, null, 2)}\n`,
  );
  const markdown = walk(DATA_DIR).filter((file) => file.endsWith(".md"));
  const stats = {
    files: markdown.length,
    copies,
    bytes: markdown.reduce((total, file) => total + statSync(path.join(DATA_DIR, file)).size, 0),
  };
  writeFileSync(marker, JSON.stringify(stats));
  return stats;
}

function isCorpusStats(value: unknown): value is { files: number; copies: number; bytes: number } {
  return (
    typeof value === "object" &&
    value !== null &&
    "files" in value &&
    typeof value.files === "number" &&
    value.files >= TARGET_FILES &&
    "copies" in value &&
    typeof value.copies === "number" &&
    "bytes" in value &&
    typeof value.bytes === "number"
  );
}

function walk(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    return entry.isDirectory() ? walk(path.join(dir, entry.name), relative) : [relative];
  });
}

/**
 * Wall time of one child process; its findings are discarded. Both tools exit 1 when they find
 * something, so a crash (also exit 1 for node) is told apart by stderr, which portcullis leaves
 * empty when it works (`quiet`); markdownlint-cli2 prints its findings there.
 */
function measure(label: string, args: readonly string[], options: { quiet: boolean }): Sample {
  const figures = path.join(DATA_DIR, "..", `validate-${process.pid}.figures.json`);
  rmSync(figures, { force: true });
  const started = performance.now();
  const result = spawnSync(process.execPath, ["--import", PRELOAD, ...args], {
    cwd: DATA_DIR,
    stdio: ["ignore", "ignore", options.quiet ? "pipe" : "ignore"],
    env: { ...process.env, NO_COLOR: "1", PORTCULLIS_BENCH_RSS_FILE: figures },
    maxBuffer: 16 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  const stderr = result.stderr === null ? "" : result.stderr.toString().trim();
  if ((result.status !== 0 && result.status !== 1) || stderr !== "") {
    const detail = stderr === "" ? "" : `: ${stderr}`;
    console.error(`validate bench: ${label} failed (exit ${result.status ?? result.signal ?? "?"})${detail}`);
    process.exit(1);
  }
  const { cpuMs } = readFigures(figures);
  rmSync(figures, { force: true });
  console.log(`  ${label.padEnd(22)} ${seconds(ms)}  cpu ${seconds(cpuMs)}`);
  return { ms, cpuMs };
}
