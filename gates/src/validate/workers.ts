import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { InternalError } from "../errors.js";
import type { FileFacts } from "./analyze.js";
import type { ValidateConfig } from "./config.js";
import type { SourceFile } from "./parse.js";
import { WorkerResponse, type WorkerRequest } from "./worker-protocol.js";

/**
 * How many worker threads a tree deserves: none below a few megabytes (starting a thread and
 * loading markdownlint costs more than it saves), then one per core.
 */
export function autoWorkerCount(files: readonly SourceFile[]): number {
  const size = files.reduce((total, file) => total + file.content.length, 0);
  if (size < PARALLEL_THRESHOLD) return 0;
  return Math.min(availableParallelism(), MAX_WORKERS, Math.ceil(size / PARALLEL_THRESHOLD));
}

/**
 * Analyses files on `count` worker threads. Batches are handed to whichever thread is free, and
 * results are put back in input order, so the output does not depend on scheduling.
 */
export async function analyzeInWorkers(
  files: readonly SourceFile[],
  config: ValidateConfig,
  count: number,
  progress: (done: number, total: number) => void = () => undefined,
): Promise<FileFacts[]> {
  const batches = batch(files);
  const results: FileFacts[][] = [];
  let next = 0;
  let done = 0;
  const threads = Array.from({ length: Math.min(count, batches.length) }, () => new Thread(config));
  try {
    await Promise.all(
      threads.map(async (thread) => {
        for (let id = next++; id < batches.length; id = next++) {
          results[id] = await thread.analyze(id, batches[id] ?? []);
          done += results[id]?.length ?? 0;
          progress(done, files.length);
        }
        await thread.close();
      }),
    );
  } finally {
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
  return results.flat();
}

// --- internal ---

const PARALLEL_THRESHOLD = 8_000_000;
const MAX_WORKERS = 8;
const BATCH_CHARS = 400_000;
const BATCH_FILES = 64;

/**
 * Young generation of each worker (V8 splits it into two semi-spaces and a large-object space).
 * markdownlint's micromark parse allocates tokens at a high rate and keeps almost none of them:
 * with Node's default 16 MB semi-spaces, scavenges take about a fifth of a worker's time; with 64 MB
 * ones, a few percent, for at most 192 MB more per worker.
 */
const YOUNG_GENERATION_MB = 192;

const FROM_SOURCE = import.meta.url.endsWith(".ts");
const WORKER_URL = new URL(FROM_SOURCE ? "./worker.ts" : "./worker.js", import.meta.url);

/**
 * Running from TypeScript sources (tests, tsx), the thread registers tsx's loader before importing
 * the worker: Node 20 does not apply `--import` hooks to a worker's entry module.
 */
function spawn(config: ValidateConfig): Worker {
  const options = { workerData: { config }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } };
  if (!FROM_SOURCE) return new Worker(WORKER_URL, options);
  const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

function batch(files: readonly SourceFile[]): SourceFile[][] {
  const batches: SourceFile[][] = [];
  let current: SourceFile[] = [];
  let size = 0;
  for (const file of files) {
    if (current.length > 0 && (size + file.content.length > BATCH_CHARS || current.length >= BATCH_FILES)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(file);
    size += file.content.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

class Thread {
  private readonly worker: Worker;
  private pending: { resolve: (facts: FileFacts[]) => void; reject: (error: Error) => void } | undefined;
  private exited: Promise<void>;
  private failure: Error | undefined;

  constructor(config: ValidateConfig) {
    this.worker = spawn(config);
    this.worker.on("message", (message: unknown) => this.receive(message));
    this.worker.on("error", (error) => this.fail(error));
    this.exited = new Promise((resolve) => {
      this.worker.once("exit", (code) => {
        if (code !== 0) this.fail(new Error(`validate worker exited with code ${code}`));
        else if (this.pending !== undefined) this.fail(new Error("validate worker exited before answering"));
        resolve();
      });
    });
  }

  analyze(id: number, files: SourceFile[]): Promise<FileFacts[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.post({ type: "analyze", id, files });
    });
  }

  /** Lets the worker free its token encoder and exit on its own. */
  async close(): Promise<void> {
    this.post({ type: "close" });
    await this.exited;
    if (this.failure !== undefined) throw this.failure;
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private post(request: WorkerRequest): void {
    this.worker.postMessage(request);
  }

  private receive(message: unknown): void {
    const parsed = WorkerResponse.safeParse(message);
    if (!parsed.success) {
      this.fail(new Error(`unexpected message from a validate worker: ${parsed.error.message}`));
      return;
    }
    const response = parsed.data;
    if (response.type === "error") {
      this.fail(
        Object.assign(new Error(response.message), response.stack === undefined ? {} : { stack: response.stack }),
      );
      return;
    }
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(response.facts);
  }

  private fail(error: Error): void {
    this.failure ??= new InternalError(`validate worker failed: ${error.message}`, { cause: error });
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(this.failure);
  }
}
