import {
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { z } from "zod";
import { load, mb, measureChild, median, medianSample, seconds, type Sample } from "./figures.js";
import { measurePageLoads } from "./html-load.js";
import { ensureTrivyReport, REPORT_SHAPES, type ReportShape } from "./trivy-report.js";

/**
 * `portcullis evaluate --out`, run as a GitHub Actions step runs it (annotations on stdout, the summary
 * appended to $GITHUB_STEP_SUMMARY), on generated trivy reports of both shapes (~41,000 long or ~105,000
 * short vulnerabilities per 100 MB) against the named alternative, a bare
 * `JSON.parse(readFileSync(file))` in its own node process. Both run as child processes,
 * alternately, several times; medians of wall time and peak RSS are compared. Targets: time <= 2x,
 * peak RSS <= 1.5x. The outputs of the largest run are checked (every finding in report.json,
 * report.html <= 5 MB, summary.md and the step summary <= 1 MiB, SARIF within GitHub's limits) and report.html is opened
 * in headless Chromium (target: load <= 2 s). Then a table of how cost grows from 1 MB to 100 MB.
 * Beside them on the largest reports, no target: split-floor.mjs, a floor for two-thread designs
 * that build today's findings with today's collector (two threads that only parse, build findings
 * and write report.json lines), and evaluate's fixed cost (an empty report, against a node process
 * that loads what the floor loads: `split-floor.mjs --load-only`), so that each run shows what such a design would
 * leave for everything else. Also the reading alone: evaluate's own `read_reports_ms`, against the
 * floor's reading on one thread and split over two with findings sent as JSON text.
 * A missed target is printed, not fatal; a crash or a lost finding exits 1.
 */

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const TARGET_BYTES = Number(process.env["PORTCULLIS_BENCH_BYTES"] ?? 100_000_000);
const REPETITIONS = Number(process.env["PORTCULLIS_BENCH_REPS"] ?? 3);
/** Sizes (MB) of the scale table; the largest is TARGET_BYTES. */
const SCALE_MB = (process.env["PORTCULLIS_BENCH_SCALE"] ?? "1,10")
  .split(",")
  .map(Number)
  .filter((mb) => mb > 0 && mb * 1e6 < TARGET_BYTES);
/** `PORTCULLIS_BENCH_SHAPES=short` measures one shape (default: both). */
const SHAPES = REPORT_SHAPES.filter((shape) =>
  (process.env["PORTCULLIS_BENCH_SHAPES"] ?? REPORT_SHAPES.join(",")).split(",").includes(shape),
);
const BIN = path.join(ROOT, "gates", "bin", "portcullis.js");
const SPLIT_FLOOR = path.join(ROOT, "bench", "split-floor.mjs");
const LIMITS = {
  htmlBytes: 5_000_000,
  summaryBytes: 1024 * 1024,
  sarifGzipBytes: 10 * 1024 * 1024,
  /** What code scanning stores of a run (it rejects a run past 25,000). */
  sarifResults: 5_000,
};

interface Comparison {
  shape: ReportShape;
  bytes: number;
  findings: number;
  bare: Sample;
  evaluate: Sample;
  /** Measured on the largest reports only. */
  floor: Sample | undefined;
  /**
   * Reading alone, on the largest reports only (medians): evaluate's `read_reports_ms`, and
   * split-floor.mjs's reading on one thread and split over two with findings sent as JSON text.
   */
  reads?: { evaluate: number; oneThread: number; transfer: number } | undefined;
  /** evaluate with its own previous report.json as --baseline; the largest reports only. */
  baseline?: Sample | undefined;
}

const scratch = mkdtempSync(path.join(tmpdir(), "portcullis-bench-"));
let failed = false;
try {
  console.log(`machine: load average ${load()} before; wall times are medians of ${REPETITIONS} interleaved runs`);
  const fixedCost = evaluateFixedCost();
  const largest: Comparison[] = [];
  for (const shape of SHAPES) {
    const comparison = compare(shape, TARGET_BYTES, REPETITIONS, { floor: true });
    largest.push(comparison);
    const out = path.join(scratch, `${shape}-${TARGET_BYTES}`);
    failed = !checkOutputs(comparison, out) || failed;
    comparison.baseline = withBaseline(shape, dataFile(shape, TARGET_BYTES), path.join(out, "report.json"));
  }
  console.log("");
  for (const { shape, bare, evaluate, floor, reads, baseline, findings, bytes } of largest) {
    console.log(`${shape} shape, ${mb(bytes)}, ${findings.toLocaleString("en-US")} findings:`);
    console.log(
      `  bare JSON.parse      wall ${seconds(bare.ms)}  cpu ${seconds(bare.cpuMs)}  peak RSS ${mb(bare.rssBytes)}`,
    );
    console.log(
      `  portcullis evaluate  wall ${seconds(evaluate.ms)}  cpu ${seconds(evaluate.cpuMs)}  peak RSS ${mb(evaluate.rssBytes)}`,
    );
    console.log(verdict(`${shape}: time ratio (evaluate / bare JSON.parse)`, evaluate.ms / bare.ms, 2));
    console.log(verdict(`${shape}: peak RSS ratio`, evaluate.rssBytes / bare.rssBytes, 1.5));
    // CPU time is steadier than wall time on a shared machine: printed for reference, no target.
    console.log(`  ${`${shape}: cpu time ratio (no target)`.padEnd(52)} ${(evaluate.cpuMs / bare.cpuMs).toFixed(2)}x`);
    if (baseline !== undefined) {
      console.log(
        `  with --baseline (its own report.json)  wall ${seconds(baseline.ms)} (${(baseline.ms / bare.ms).toFixed(2)}x)  ` +
          `peak RSS ${mb(baseline.rssBytes)} (${(baseline.rssBytes / bare.rssBytes).toFixed(2)}x)  no target`,
      );
    }
    if (floor === undefined) continue;
    if (reads !== undefined) {
      console.log(
        `  reading: evaluate ${seconds(reads.evaluate)}; the floor's reading on one thread ${seconds(reads.oneThread)}, ` +
          `split over two with findings sent as JSON text ${seconds(reads.transfer)} ` +
          `(${(reads.transfer / reads.oneThread).toFixed(2)}x)`,
      );
    }
    console.log(
      `  two-thread floor     wall ${seconds(floor.ms)}  cpu ${seconds(floor.cpuMs)}  peak RSS ${mb(floor.rssBytes)}` +
        `  (${(floor.ms / bare.ms).toFixed(2)}x time, ${(floor.rssBytes / bare.rssBytes).toFixed(2)}x RSS)`,
    );
    const left = 2 * bare.ms - floor.ms - fixedCost;
    console.log(
      `  a two-thread evaluate: floor + fixed cost ${seconds(fixedCost)} = ${((floor.ms + fixedCost) / bare.ms).toFixed(2)}x; ` +
        `the 2x target leaves ${seconds(left)} for judging, sorting, merging and the other outputs`,
    );
  }
  await htmlLoads(
    largest.map((comparison) => path.join(scratch, `${comparison.shape}-${TARGET_BYTES}`, "report.html")),
  );
  scaleTable([...SCALE_MB.map((size) => size * 1e6)], largest);
  console.log(`\nmachine: load average ${load()} after`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (failed) process.exit(1);

// --- internal ---

function dataFile(shape: ReportShape, bytes: number): string {
  return path.join(ROOT, "bench", ".data", `trivy-${shape}-${Math.round(bytes / 1e6)}mb.v2.json`);
}

/** Bare parse, evaluate and (with `floor`) split-floor.mjs alternately, `rounds` times each; medians. */
function compare(shape: ReportShape, bytes: number, rounds: number, options: { floor: boolean }): Comparison {
  const file = dataFile(shape, bytes);
  const started = performance.now();
  const size = ensureTrivyReport(file, bytes, shape);
  const findings = expectedFindings(file);
  console.log(
    `report: ${path.relative(ROOT, file)} (${mb(size)}, ${findings} findings, ready in ${seconds(performance.now() - started)})`,
  );
  const out = path.join(scratch, `${shape}-${bytes}`);
  const bare: Sample[] = [];
  const evaluate: Sample[] = [];
  const floor: Sample[] = [];
  const reads = { evaluate: [] as number[], oneThread: [] as number[], transfer: [] as number[] };
  for (let round = 0; round < rounds; round += 1) {
    bare.push(
      measure(
        "bare JSON.parse",
        ["-e", "JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'))", file],
        [0],
        () => true,
      ),
    );
    rmSync(out, { recursive: true, force: true });
    evaluate.push(
      measure(
        "portcullis evaluate",
        [BIN, "evaluate", "--env", "development", "--report", `trivy=${file}`, "--out", out],
        [0, 1],
        (stdout) => judged(stdout) && /^::(error|warning|notice) /m.test(stdout),
        githubStep(stepSummary(out)),
      ),
    );
    if (options.floor) {
      reads.evaluate.push(readReportsMs(path.join(out, "report.json")));
      floor.push(measureFloor(file, findings));
      reads.oneThread.push(measureRead("--one-thread", file, findings));
      reads.transfer.push(measureRead("--transfer", file, findings));
    }
  }
  return {
    shape,
    bytes: size,
    findings,
    bare: medianSample(bare),
    evaluate: medianSample(evaluate),
    floor: floor.length === 0 ? undefined : medianSample(floor),
    reads:
      floor.length === 0
        ? undefined
        : {
            evaluate: median(reads.evaluate),
            oneThread: median(reads.oneThread),
            transfer: median(reads.transfer),
          },
  };
}

/** evaluate's own time for reading the reports, from the timings at the end of its report.json. */
function readReportsMs(reportJson: string): number {
  const fd = openSync(reportJson, "r");
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 4096));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const found = /"read_reports_ms": (\d+)/.exec(tail.toString("utf8"));
    if (found === null) throw new Error(`no read_reports_ms at the end of ${reportJson}`);
    return Number(found[1]);
  } finally {
    closeSync(fd);
  }
}

/** split-floor.mjs's reading of `file` (`--one-thread` or `--transfer`): ms until every finding is on the main thread. */
function measureRead(mode: "--one-thread" | "--transfer", file: string, findings: number): number {
  let ms = Number.NaN;
  measure(`split-floor.mjs ${mode}`, [SPLIT_FLOOR, mode, file], [0], (stdout) => {
    const found = new RegExp(`^findings ${findings} \\(.*\\) read (\\d+) ms$`, "m").exec(stdout);
    ms = Number(found?.[1]);
    return found !== null;
  });
  return ms;
}

/**
 * evaluate of `file` with `previous` (a report.json of it) as --baseline, as a pull
 * request is judged against its base branch: every finding is then in the baseline.
 */
function withBaseline(shape: ReportShape, file: string, previous: string): Sample {
  const baseline = path.join(scratch, `baseline-${shape}.json`);
  copyFileSync(previous, baseline);
  const out = path.join(scratch, `baseline-out-${shape}`);
  const samples: Sample[] = [];
  for (let round = 0; round < REPETITIONS; round += 1) {
    rmSync(out, { recursive: true, force: true });
    samples.push(
      measure(
        "portcullis evaluate --baseline",
        [BIN, "evaluate", "--env", "development", "--report", `trivy=${file}`, "--out", out, "--baseline", baseline],
        [0, 1],
        // Judged, with every vulnerability found in the baseline.
        (stdout) =>
          /^Portcullis \S+ · development · /.test(stdout) &&
          /^vulnerabilities +pass +\S+ +0 new, \d+ baseline/m.test(stdout),
        githubStep(stepSummary(out)),
      ),
    );
  }
  return medianSample(samples);
}

/** split-floor.mjs on `file`: every finding written (it exits 2 on a report it cannot cut). */
function measureFloor(file: string, findings: number): Sample {
  const out = mkdtempSync(path.join(scratch, "floor-"));
  try {
    return measure("two-thread floor", [SPLIT_FLOOR, file, out], [0], (stdout) =>
      stdout.startsWith(`findings ${findings} (`),
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * What evaluate costs whatever the report (start-up, policy, outputs) beyond what split-floor.mjs
 * pays already: medians of evaluate on an empty trivy report and of `split-floor.mjs --load-only`,
 * alternately.
 */
function evaluateFixedCost(): number {
  const file = path.join(scratch, "empty-trivy.json");
  writeFileSync(
    file,
    JSON.stringify({ SchemaVersion: 2, ArtifactName: "empty", ArtifactType: "container_image", Results: [] }),
  );
  const out = path.join(scratch, "empty-out");
  const node: number[] = [];
  const empty: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    node.push(measure("node loading what the floor loads", [SPLIT_FLOOR, "--load-only"], [0], () => true).ms);
    empty.push(
      measure(
        "portcullis evaluate (empty report)",
        [BIN, "evaluate", "--env", "development", "--report", `trivy=${file}`, "--out", out],
        [0, 1],
        (stdout) => /^Portcullis \S+ · development · /.test(stdout),
        githubStep(stepSummary(out)),
      ).ms,
    );
  }
  const cost = median(empty) - median(node);
  console.log(
    `evaluate's fixed cost: ${seconds(cost)} (empty report ${seconds(median(empty))}, node loading what the floor loads ${seconds(median(node))})`,
  );
  return cost;
}

/** The findings trivy's JSON holds: one per vulnerability, plus the failed Dockerfile check. */
function expectedFindings(file: string): number {
  const data = readFileSync(file);
  let count = 0;
  for (const needle of ['"VulnerabilityID":', '"Status": "FAIL"']) {
    for (let at = data.indexOf(needle); at >= 0; at = data.indexOf(needle, at + needle.length)) count += 1;
  }
  return count;
}

/** Nothing lost in report.json; the files a person or GitHub opens within their limits. */
function checkOutputs(comparison: Comparison, out: string): boolean {
  const report = z
    .object({ schema: z.string(), findings: z.array(z.unknown()) })
    .parse(JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")));
  const sarifText = readFileSync(path.join(out, "report.sarif"));
  const stepSummaryBytes = existsSync(stepSummary(out)) ? statSync(stepSummary(out)).size : -1;
  const sarif = z
    .object({ runs: z.array(z.object({ results: z.array(z.unknown()) })) })
    .parse(JSON.parse(sarifText.toString("utf8")));
  const checks = [
    [
      "report.json keeps every finding",
      report.findings.length,
      "=",
      comparison.findings,
      report.findings.length === comparison.findings,
    ],
    [
      "report.html bytes",
      size(out, "report.html"),
      "<=",
      LIMITS.htmlBytes,
      size(out, "report.html") <= LIMITS.htmlBytes,
    ],
    [
      "summary.md bytes",
      size(out, "summary.md"),
      "<=",
      LIMITS.summaryBytes,
      size(out, "summary.md") <= LIMITS.summaryBytes,
    ],
    [
      "step summary bytes (-1: not written)",
      stepSummaryBytes,
      "<=",
      LIMITS.summaryBytes,
      stepSummaryBytes >= 0 && stepSummaryBytes <= LIMITS.summaryBytes,
    ],
    [
      "report.sarif gzip bytes",
      gzipSync(sarifText).length,
      "<=",
      LIMITS.sarifGzipBytes,
      gzipSync(sarifText).length <= LIMITS.sarifGzipBytes,
    ],
    [
      "report.sarif results per run (most)",
      Math.max(0, ...sarif.runs.map((run) => run.results.length)),
      "<=",
      LIMITS.sarifResults,
      sarif.runs.every((run) => run.results.length <= LIMITS.sarifResults),
    ],
  ] as const;
  let ok = true;
  for (const [what, measured, relation, limit, met] of checks) {
    console.log(
      `  ${comparison.shape}: ${what.padEnd(38)} ${String(measured).padStart(11)} ${relation} ${limit}  ${met ? "ok" : "MISSED"}`,
    );
    ok &&= met;
  }
  return ok;
}

async function htmlLoads(files: readonly string[]): Promise<void> {
  const loads = await measurePageLoads(files.flatMap((file) => [file, file, file]));
  if (loads === undefined) {
    console.log("\nreport.html load time: not measured (Chromium did not start; set PORTCULLIS_CHROMIUM)");
    return;
  }
  console.log("\nreport.html in headless Chromium (median of 3 loads):");
  SHAPES.forEach((shape, index) => {
    const mine = loads.slice(index * 3, index * 3 + 3);
    const loadMs = median(mine.map((entry) => entry.loadMs));
    console.log(
      `  ${shape}: ${mb(size(path.dirname(files[index] ?? ""), "report.html"))}, ${mine[0]?.rows ?? 0} finding rows, ` +
        `load event at ${seconds(loadMs)}  target <= 2 s  ${loadMs <= 2_000 ? "met" : "MISSED"}`,
    );
  });
}

/** How cost grows with the report: each smaller size measured like the largest. */
function scaleTable(sizes: readonly number[], largest: readonly Comparison[]): void {
  const rows: Comparison[] = [];
  for (const bytes of sizes)
    for (const shape of SHAPES) rows.push(compare(shape, bytes, REPETITIONS, { floor: false }));
  rows.push(...largest);
  console.log("\nscale (medians; ratios against a bare JSON.parse of the same file):");
  console.log("  | report | shape | findings | evaluate wall | time ratio | peak RSS | RSS ratio |");
  console.log("  | -----: | ----- | -------: | ------------: | ---------: | -------: | --------: |");
  for (const row of rows.sort((a, b) => a.bytes - b.bytes || a.shape.localeCompare(b.shape))) {
    console.log(
      `  | ${mb(row.bytes)} | ${row.shape} | ${row.findings.toLocaleString("en-US")} | ${seconds(row.evaluate.ms)} | ` +
        `${(row.evaluate.ms / row.bare.ms).toFixed(2)}x | ${mb(row.evaluate.rssBytes)} | ${(row.evaluate.rssBytes / row.bare.rssBytes).toFixed(2)}x |`,
    );
  }
}

/**
 * A real verdict, not a crash: node also exits 1 on an uncaught error, so the exit code alone cannot
 * tell "blocked" from "broken". The verdict table must be there, with the trivy report judged.
 */
function judged(stdout: string): boolean {
  return /^Portcullis \S+ · development · /.test(stdout) && /^vulnerabilities +FAIL /m.test(stdout);
}

/** Where a run writing to `out` appends its step summary: beside `out`, so that removing `out` keeps it. */
function stepSummary(out: string): string {
  return `${out}.step-summary.md`;
}

/** The environment of a GitHub Actions step, with a fresh step summary file. */
function githubStep(summaryFile: string): Record<string, string> {
  rmSync(summaryFile, { force: true });
  return { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summaryFile };
}

function measure(
  label: string,
  args: readonly string[],
  okCodes: readonly number[],
  check: (stdout: string) => boolean,
  env: Readonly<Record<string, string>> = {},
): Sample {
  return measureChild(args, { cwd: ROOT, rssFile: path.join(scratch, "rss"), okCodes, check, env, label });
}

function verdict(what: string, ratio: number, target: number): string {
  return `  ${what.padEnd(52)} ${ratio.toFixed(2)}x  target <= ${target}x  ${ratio <= target ? "met" : "MISSED"}`;
}

function size(dir: string, name: string): number {
  return statSync(path.join(dir, name)).size;
}
