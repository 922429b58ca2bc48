import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { REDACTED, redactBySchema, scrubList } from "../gates/src/findings/redact.js";
import { load, mb, measureChild, median, medianSample, seconds, type Sample } from "./figures.js";

/**
 * Secrets at scale: a gitleaks history scan of a large repository can report thousands of distinct
 * secrets, and every output is scrubbed of all of them. Two measurements on generated gitleaks JSON
 * reports with 1,000, 5,000 and 20,000 leaks, each with its own secret (most of them GitHub tokens
 * sharing the `ghp_` prefix, as real ones do), and with 100,000 leaks of ten secrets (a noisy rule
 * matching the same test keys throughout a long history, ~100 MB):
 * - scrubbing the raw leaks in this process with `redactBySchema` (no schema: every string and key), against the named alternative, one
 *   engine search per secret over every string (what Portcullis did before), which is quadratic and
 *   is therefore only run up to 5,000 secrets;
 * - `portcullis evaluate --out` in a child process against a bare `JSON.parse` of the same file
 *   (wall time and peak RSS, medians of interleaved runs). No target: printed so that growth with the number of
 *   secrets is visible; a lost or leaked secret exits 1.
 */

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const BIN = path.join(ROOT, "gates", "bin", "portcullis.js");
const SIZES = (process.env["PORTCULLIS_BENCH_SECRETS"] ?? "1000,5000,20000").split(",").map(Number);
/** Leaks of the many-leaks report (0 leaves it out); its secrets are MANY_LEAKS_SECRETS. */
const MANY_LEAKS = Number(process.env["PORTCULLIS_BENCH_LEAKS"] ?? 100_000);
const MANY_LEAKS_SECRETS = 10;
const REPETITIONS = Number(process.env["PORTCULLIS_BENCH_REPS"] ?? 3);
/** The alternative is quadratic: beyond this many secrets it would run for minutes. */
const ALTERNATIVE_MAX = 5_000;

const scratch = mkdtempSync(path.join(tmpdir(), "portcullis-secrets-bench-"));
let failed = false;
try {
  console.log(`machine: load average ${load()} before; medians of ${REPETITIONS} runs`);
  console.log(
    "\n| leaks | distinct secrets | report | scrub | one search per secret | ratio | evaluate wall | vs bare parse | peak RSS | vs bare parse |",
  );
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  const rows = SIZES.map((count) => ({ count, distinct: count }));
  if (MANY_LEAKS > 0) rows.push({ count: MANY_LEAKS, distinct: MANY_LEAKS_SECRETS });
  for (const { count, distinct } of rows) {
    const leaks = gitleaksReport(count, distinct);
    const file = path.join(scratch, `gitleaks-${count}.json`);
    writeFileSync(file, JSON.stringify(leaks, null, 1));
    const values = leaks.map((leak) => leak.Secret);
    const texts = leaks.map(({ Secret: _secret, ...rest }) => rest);
    // Each timed run makes its own list, so building the index the scan uses is counted.
    const ours = median(repeat(() => timed(() => redactBySchema(z.unknown(), texts, scrubList(values)))));
    const theirs =
      distinct <= ALTERNATIVE_MAX
        ? median(repeat(() => timed(() => searchPerSecret(texts, scrubList(values)))))
        : undefined;
    const out = path.join(scratch, `out-${count}`);
    const bare: Sample[] = [];
    const evaluate: Sample[] = [];
    for (let round = 0; round < REPETITIONS; round += 1) {
      bare.push(run([0], ["-e", "JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'))", file]));
      // evaluate exits 1: the secrets gate blocks.
      evaluate.push(run([1], [BIN, "evaluate", "--env", "development", "--report", `gitleaks=${file}`, "--out", out]));
    }
    failed = leaked(out, leaks) || failed;
    const { ms: wall, rssBytes: rss } = medianSample(evaluate);
    const { ms: bareWall, rssBytes: bareRss } = medianSample(bare);
    console.log(
      `| ${count.toLocaleString("en-US")} | ${distinct.toLocaleString("en-US")} | ${mb(Buffer.byteLength(JSON.stringify(leaks, null, 1)))} | ${seconds(ours)} | ` +
        `${theirs === undefined ? "not run (quadratic)" : seconds(theirs)} | ${theirs === undefined ? "—" : `${(theirs / ours).toFixed(0)}×`} | ` +
        `${seconds(wall)} | ${(wall / bareWall).toFixed(2)}× | ${mb(rss)} | ${(rss / bareRss).toFixed(2)}× |`,
    );
  }
  console.log(`\nmachine: load average ${load()} after`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (failed) process.exit(1);

// --- internal ---

interface Leak {
  RuleID: string;
  Description: string;
  StartLine: number;
  EndLine: number;
  StartColumn: number;
  EndColumn: number;
  Match: string;
  Secret: string;
  File: string;
  Commit: string;
  Link: string;
  Entropy: number;
  Author: string;
  Email: string;
  Date: string;
  Message: string;
  Tags: string[];
  Fingerprint: string;
}

/** `count` leaks as gitleaks v8 writes them (`--report-format json`), of `distinct` secrets in turn; seeded. */
function gitleaksReport(count: number, distinct: number): Leak[] {
  let state = 20_261_207;
  const random = (): number => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const token = (length: number): string =>
    Array.from({ length }, () => chars[Math.floor(random() * chars.length)] ?? "a").join("");
  const secrets = Array.from({ length: distinct }, (_, index) => (index % 4 !== 3 ? `ghp_${token(36)}` : token(40)));
  return Array.from({ length: count }, (_, index) => {
    const secret = secrets[index % distinct] ?? "";
    const github = secret.startsWith("ghp_");
    const file = `services/svc-${index % 97}/config/settings-${index % 13}.py`;
    const commit = Array.from({ length: 40 }, () => "0123456789abcdef"[Math.floor(random() * 16)]).join("");
    const line = 1 + (index % 400);
    const rule = github ? "github-pat" : "generic-api-key";
    const match = github ? `token = "${secret}"` : `api_key: ${secret}`;
    return {
      RuleID: rule,
      Description: github ? "Uncovered a GitHub Personal Access Token" : "Detected a Generic API Key",
      StartLine: line,
      EndLine: line,
      StartColumn: 9,
      EndColumn: 9 + match.length,
      Match: match,
      Secret: secret,
      File: file,
      Commit: commit,
      Link: `https://github.com/example/monorepo/blob/${commit}/${file}#L${line}`,
      Entropy: 4.5 + random(),
      Author: `dev${index % 50}`,
      Email: `dev${index % 50}@example.com`,
      Date: "2026-11-02T10:00:00Z",
      Message: `config update ${index}`,
      Tags: [],
      Fingerprint: `${commit}:${file}:${rule}:${line}`,
    };
  });
}

/**
 * The alternative, as Portcullis scrubbed before: every secret searched for in every string and
 * key, one after the other (`includes`, then split and join), into a full copy.
 */
function searchPerSecret(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") {
    let text = value;
    for (const secret of secrets) if (text.includes(secret)) text = text.split(secret).join(REDACTED);
    return text;
  }
  if (Array.isArray(value)) return value.map((item) => searchPerSecret(item, secrets));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [searchPerSecret(key, secrets), searchPerSecret(item, secrets)]),
    );
  return value;
}

/** True (and printed) when an output lost a finding or holds a secret. */
function leaked(out: string, leaks: readonly Leak[]): boolean {
  const report = readFileSync(path.join(out, "report.json"), "utf8");
  const findings = report.split('\n    {"tool":"gitleaks"').length - 1;
  const outputs = ["report.json", "report.sarif", "summary.md", "junit.xml", "report.html"].map((name) =>
    readFileSync(path.join(out, name), "utf8"),
  );
  const secrets = [...new Set(leaks.map((leak) => leak.Secret))];
  const exposed = secrets.filter((secret) => outputs.some((text) => text.includes(secret))).length;
  if (findings === leaks.length && exposed === 0) return false;
  console.error(
    `${leaks.length} leaks: report.json holds ${findings} findings; ${exposed} secrets appear in the outputs`,
  );
  return true;
}

function repeat<T>(measure: () => T): T[] {
  return Array.from({ length: REPETITIONS }, measure);
}

function timed(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

function run(okCodes: readonly number[], args: readonly string[]): Sample {
  return measureChild(args, { cwd: ROOT, rssFile: path.join(scratch, "rss"), okCodes });
}
