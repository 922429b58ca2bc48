// @ts-check
// A floor for two-thread designs of `evaluate` that parse trivy's entries with JSON.parse and build
// today's findings with today's collector: run by trivy-evaluate.bench.ts as
// `node split-floor.mjs <report> <out-dir>`, beside the bare JSON.parse and the real evaluate.
//
// The worker starts first, so that its start-up overlaps the main thread's. `Results` is cut into
// CHUNKS pieces at entry boundaries (by trivy's indentation) and both threads claim pieces from a
// shared counter until none is left, so neither waits for the other. For each piece a thread reads
// its bytes, parses the entries, builds the findings with the real collector and writes them as
// report.json lines with report/json.ts's own findingLines, batch by batch. Nothing else: no CLI, no policy, no judging,
// no sort or merge, no HTML, SARIF, summary or JUnit, no check of the layout.
//
// `node split-floor.mjs --transfer <report>` is the floor of a smaller design, where only reading
// is split: the worker sends the findings of each piece it claims to the main thread as JSON text
// (JSON.stringify there, JSON.parse here), so that the main thread ends with every finding as an
// object and today's evaluate could go on from there on one thread. It prints how long that took
// from the start of reading (modules loaded, pieces cut and the worker ready before the clock
// starts, as evaluate's are before its own), to set beside evaluate's `read_reports_ms`. Fingerprint ordinals
// are not renumbered across the threads, and pieces are claimed in turn rather than front and back.
// `--one-thread <report>` times the same reading on the main thread alone.
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { setImmediate } from "node:timers";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

/** A `Results` entry starts a line indented by four spaces and ends at the next such line holding `}`. */
const ENTRY_START = "\n    {";
const ENTRY_END = "\n    }";
/** What the floor loads of Portcullis: the trivy collector and report.json's line writer. */
const FLOOR_MODULES = ["../gates/dist/tools/trivy-map.js", "../gates/dist/report/json.js"].map(
  (module) => new URL(module, import.meta.url).href,
);
/** Pieces of `Results` the threads claim one at a time: enough to even out, few enough to cost nothing. */
const CHUNKS = 16;
/** How far past each cut point an entry start is looked for (the generated entries are under 1 MB). */
const CUT_WINDOW = 4_000_000;
/** Findings per findingLines call, as report/json.ts writes them. */
const BATCH = 2048;

if (isMainThread && process.argv[2] === "--load-only") {
  // What the floor pays to load Portcullis, for the benchmark's fixed-cost measurement.
  await Promise.all(FLOOR_MODULES.map((module) => import(module)));
} else if (isMainThread && process.argv[2] === "--one-thread") {
  // The same reading as --transfer's on the main thread alone, to compare like with like.
  const { file, fd, cuts } = await prepareReading("--one-thread");
  const started = performance.now();
  const findings = await buildPieces(fd, cuts, new Int32Array(new SharedArrayBuffer(4)), file, () => undefined);
  closeSync(fd);
  const ms = performance.now() - started;
  process.stdout.write(`findings ${findings.length} (main ${findings.length}) read ${Math.round(ms)} ms\n`);
} else if (isMainThread && process.argv[2] === "--transfer") {
  // Set up before the clock starts, as evaluate is before it reads: modules loaded, the pieces
  // cut, the worker started and its modules loaded.
  const { file, fd, cuts } = await prepareReading("--transfer");
  const next = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { file, cuts, next, transfer: true },
    execArgv: [],
  });
  /** @type {unknown[]} */
  const theirs = [];
  /** @type {() => void} */
  let ready = () => undefined;
  const loaded = new Promise((resolve) => {
    ready = () => resolve(undefined);
  });
  const sent = new Promise((resolve, reject) => {
    worker.on("message", (/** @type {{ ready?: true, text?: string, count?: number }} */ message) => {
      if (message.ready === true) ready();
      else if (message.text !== undefined) for (const finding of JSON.parse(message.text)) theirs.push(finding);
      else resolve(message.count);
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the worker exited (${code}) without its count`)));
  });
  await loaded;
  const started = performance.now();
  worker.postMessage("go");
  // Between its own pieces the main thread parses what the worker has sent so far.
  const mine = await buildPieces(fd, cuts, next, file, () => new Promise((resolve) => setImmediate(resolve)));
  closeSync(fd);
  const count = Number(await sent);
  // Every finding as an object on this thread: its own, then the worker's.
  const findings = mine.concat(theirs);
  if (theirs.length !== count) throw new Error("findings lost in the transfer");
  const ms = performance.now() - started;
  process.stdout.write(
    `findings ${findings.length} (main ${mine.length}, worker ${count}) read ${Math.round(ms)} ms\n`,
  );
} else if (isMainThread) {
  const [file, out] = process.argv.slice(2);
  if (file === undefined || out === undefined) {
    process.stderr.write("usage: node bench/split-floor.mjs <trivy report> <out dir>\n");
    process.exit(2);
  }
  const fd = openSync(file, "r");
  const cuts = cutPoints(fd, fstatSync(fd).size, file);
  const next = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { file, cuts, next, out: path.join(out, "findings-worker.jsonl") },
    // Not the benchmark's preload: only the main thread records the process's figures.
    execArgv: [],
  });
  const theirs = new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the worker exited (${code}) without its count`)));
  });
  const mine = await claimPieces(fd, cuts, next, path.join(out, "findings-main.jsonl"), file);
  closeSync(fd);
  const count = Number(await theirs);
  process.stdout.write(`findings ${mine + count} (main ${mine}, worker ${count})\n`);
} else if (workerData.transfer === true) {
  const { file, cuts, next } = workerData;
  await Promise.all(FLOOR_MODULES.map((module) => import(module)));
  const go = new Promise((resolve) => parentPort?.once("message", resolve));
  parentPort?.postMessage({ ready: true });
  await go;
  const fd = openSync(file, "r");
  let count = 0;
  // Each piece's findings are sent as JSON text and dropped: this thread never holds them all.
  await buildPieces(fd, cuts, next, file, (findings) => {
    parentPort?.postMessage({ text: JSON.stringify(findings) });
    count += findings.length;
    findings.length = 0;
  });
  closeSync(fd);
  parentPort?.postMessage({ count });
} else {
  const { file, cuts, next, out } = workerData;
  const fd = openSync(file, "r");
  parentPort?.postMessage(await claimPieces(fd, cuts, next, out, file));
  closeSync(fd);
}

/**
 * For --one-thread and --transfer, before their clocks start: the report named after the mode, the
 * floor's modules loaded, the file open and cut into pieces.
 * @param {string} mode
 * @returns {Promise<{ file: string, fd: number, cuts: number[] }>}
 */
async function prepareReading(mode) {
  const file = process.argv[3];
  if (file === undefined) {
    process.stderr.write(`usage: node bench/split-floor.mjs ${mode} <trivy report>\n`);
    process.exit(2);
  }
  await Promise.all(FLOOR_MODULES.map((module) => import(module)));
  const fd = openSync(file, "r");
  return { file, fd, cuts: cutPoints(fd, fstatSync(fd).size, file) };
}

/**
 * Where each piece of the file starts: 0, then the first entry start after each CHUNKS-th of the
 * file, then its end. A report not laid out as trivy writes it exits 2: nothing would be measured.
 * @param {number} fd
 * @param {number} size
 * @param {string} file
 * @returns {number[]}
 */
function cutPoints(fd, size, file) {
  const cuts = [0];
  for (let piece = 1; piece < CHUNKS; piece += 1) {
    const from = Math.floor((size * piece) / CHUNKS);
    const window = readRange(fd, from, Math.min(size, from + CUT_WINDOW));
    const found = window.indexOf(`${ENTRY_START}\n`);
    if (found < 0) {
      process.stderr.write(
        `split-floor: no Results entry starts within ${CUT_WINDOW} bytes of byte ${from} of ${file}\n`,
      );
      process.exit(2);
    }
    cuts.push(Math.max(from + found, cuts[cuts.length - 1] ?? 0));
  }
  cuts.push(size);
  return cuts;
}

/**
 * Claims pieces until none is left; writes their findings as report.json lines to `out`; returns how many.
 * @param {number} fd
 * @param {readonly number[]} cuts
 * @param {Int32Array} next the index of the next piece to claim, shared by both threads
 * @param {string} out
 * @param {string} file
 * @returns {Promise<number>}
 */
async function claimPieces(fd, cuts, next, out, file) {
  // Both at once, as before; buildPieces then finds the collector loaded.
  const [, { findingLines }] = await Promise.all(FLOOR_MODULES.map((module) => import(module)));
  const output = openSync(out, "w");
  let written = 0;
  await buildPieces(fd, cuts, next, file, (findings) => {
    for (let start = written; start < findings.length; start += BATCH) {
      writeSync(output, `${findingLines(findings.slice(start, Math.min(start + BATCH, findings.length)))},\n`);
    }
    written = findings.length;
  });
  closeSync(output);
  return written;
}

/**
 * Claims pieces until none is left and builds their findings with the real collector, calling
 * `built` with the collector's list after each piece; returns that list.
 * @param {number} fd
 * @param {readonly number[]} cuts
 * @param {Int32Array} next the index of the next piece to claim, shared by both threads
 * @param {string} file
 * @param {(findings: unknown[]) => void | Promise<void>} built
 * @returns {Promise<unknown[]>}
 */
async function buildPieces(fd, cuts, next, file, built) {
  const { TrivyCollector } = await import(FLOOR_MODULES[0] ?? "");
  const collector = new TrivyCollector();
  const context = { tool: "trivy", expected: "trivy JSON", producer: "the benchmark's generator", file };
  let index = 0;
  for (let piece = Atomics.add(next, 0, 1); piece < cuts.length - 1; piece = Atomics.add(next, 0, 1)) {
    const text = readRange(fd, cuts[piece] ?? 0, cuts[piece + 1] ?? 0).toString("utf8");
    for (let at = text.indexOf(ENTRY_START); at >= 0; at = text.indexOf(ENTRY_START, at)) {
      const end = text.indexOf(ENTRY_END, at) + ENTRY_END.length;
      collector.add(JSON.parse(text.slice(at + 1, end)), index, context);
      index += 1;
      at = end;
    }
    await built(collector.findings);
  }
  return collector.findings;
}

/**
 * @param {number} fd
 * @param {number} start
 * @param {number} end
 */
function readRange(fd, start, end) {
  const bytes = Buffer.allocUnsafe(end - start);
  const read = readSync(fd, bytes, 0, bytes.length, start);
  if (read !== bytes.length) throw new Error(`read ${read} of ${bytes.length} bytes`);
  return bytes;
}
