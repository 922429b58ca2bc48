// The least any two-thread `evaluate` could take on a trivy report: run by trivy-evaluate.bench.ts as
// `node split-floor.mjs <report> <out-dir>`, beside the bare JSON.parse and the real evaluate.
//
// Each thread owns half of `Results` (cut at the entry nearest the middle of the file, by trivy's
// indentation): it reads its bytes, parses each entry, builds the findings with the real collector
// and writes them as report.json lines, batched as report/json.ts does. Nothing else: no CLI, no
// policy, no judging, no sort or merge, no HTML, SARIF, summary or JUnit, no check of the layout.
// Whatever a real two-thread design adds can only come on top of this, so when this alone is near
// the 2x target, the target is out of reach of such a design on this machine.
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { TrivyCollector } from "../gates/dist/tools/trivy-map.js";

/** A `Results` entry starts a line indented by four spaces and ends at the next such line holding `}`. */
const ENTRY_START = "\n    {";
const ENTRY_END = "\n    }";
/** As report/json.ts: one JSON.stringify per 2,048 findings, then one finding per line. */
const BATCH = 2048;

if (isMainThread) {
  const [file, out] = process.argv.slice(2);
  if (file === undefined || out === undefined) {
    process.stderr.write("usage: node bench/split-floor.mjs <trivy report> <out dir>\n");
    process.exit(2);
  }
  const fd = openSync(file, "r");
  const size = fstatSync(fd).size;
  const middle = Math.floor(size / 2);
  const window = readRange(fd, middle, Math.min(size, middle + 8_000_000)).toString("latin1");
  const found = window.indexOf(`${ENTRY_START}\n`);
  const split = found < 0 ? size : middle + found;
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { file, start: split, end: size, out: path.join(out, "findings-2.jsonl") },
  });
  const theirs = new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  const mine = ownHalf(readRange(fd, 0, split), path.join(out, "findings-1.jsonl"), file);
  closeSync(fd);
  process.stdout.write(`findings ${mine + Number(await theirs)}\n`);
} else {
  const { file, start, end, out } = workerData;
  const fd = openSync(file, "r");
  const bytes = readRange(fd, start, end);
  closeSync(fd);
  parentPort?.postMessage(ownHalf(bytes, out, file));
}

/** Parses the entries in `bytes`, writes their findings as report.json lines; returns how many. */
function ownHalf(bytes, out, file) {
  const text = bytes.toString("utf8");
  const collector = new TrivyCollector();
  let index = 0;
  for (let at = text.indexOf(ENTRY_START); at >= 0; at = text.indexOf(ENTRY_START, at)) {
    const end = text.indexOf(ENTRY_END, at) + ENTRY_END.length;
    collector.add(JSON.parse(text.slice(at + 1, end)), index, { tool: "trivy", file });
    index += 1;
    at = end;
  }
  const findings = collector.findings;
  const fd = openSync(out, "w");
  for (let start = 0; start < findings.length; start += BATCH) {
    const batch = JSON.stringify(findings.slice(start, start + BATCH));
    writeSync(fd, `${batch.slice(1, -1).replaceAll('},{"tool":', '},\n    {"tool":')},\n    `);
  }
  closeSync(fd);
  return findings.length;
}

function readRange(fd, start, end) {
  const bytes = Buffer.allocUnsafe(end - start);
  const read = readSync(fd, bytes, 0, bytes.length, start);
  if (read !== bytes.length) throw new Error(`read ${read} of ${bytes.length} bytes`);
  return bytes;
}
