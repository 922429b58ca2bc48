import { availableParallelism, totalmem } from "node:os";
import type { Worker } from "node:worker_threads";
import { InternalError } from "../errors.js";
import { startWorker } from "../worker-thread.js";
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
 * Analyses files on `count` worker threads. Batches are handed to whichever thread is free, each
 * thread holding a second batch queued so it never waits for this thread between two; batches
 * shrink towards the end so the threads finish together. Results are put back in input order, so
 * the output does not depend on scheduling.
 */
export async function analyzeInWorkers(
  files: readonly SourceFile[],
  config: ValidateConfig,
  count: number,
  progress: (done: number, total: number) => void = () => undefined,
): Promise<FileFacts[]> {
  const batches = batch(files, count);
  const results: FileFacts[][] = [];
  let next = 0;
  let done = 0;
  const threadCount = Math.min(count, batches.length);
  const youngMb = youngGenerationMb(threadCount);
  const threads = Array.from({ length: threadCount }, () => new Thread(config, youngMb));
  const feed = async (thread: Thread) => {
    for (let id = next++; id < batches.length; id = next++) {
      results[id] = await thread.analyze(id, batches[id] ?? []);
      done += results[id]?.length ?? 0;
      progress(done, files.length);
    }
  };
  try {
    await Promise.all(
      threads.map(async (thread) => {
        await Promise.all(Array.from({ length: QUEUED_PER_THREAD }, () => feed(thread)));
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
/** The smallest batch the shrinking towards the end goes down to (markdownlint's set-up per call). */
const MIN_BATCH_CHARS = 20_000;
/** Batches in flight per thread: the one it works on and the next. */
const QUEUED_PER_THREAD = 2;

/**
 * Young generation of each worker. markdownlint's parse allocates tokens at a high rate and keeps
 * almost none of them, so larger semi-spaces mean fewer scavenges (measured: docs/validate.md,
 * Performance). All workers together take at most an eighth of the memory the process may use,
 * and each never less than Node's own default.
 */
export function youngGenerationMb(workers: number, memoryBytes: number = usableMemory()): number {
  const share = Math.floor(memoryBytes / 2 ** 20 / (8 * workers));
  return Math.max(MIN_YOUNG_GENERATION_MB, Math.min(MAX_YOUNG_GENERATION_MB, share));
}

/** The machine's memory, or a container's memory limit when that is lower. */
function usableMemory(): number {
  const limit = process.constrainedMemory() ?? 0;
  return limit > 0 ? Math.min(totalmem(), limit) : totalmem();
}

const MAX_YOUNG_GENERATION_MB = 384;
/** Node's own default on 64-bit machines (16 MB semi-spaces). */
const MIN_YOUNG_GENERATION_MB = 48;

function spawn(config: ValidateConfig, youngMb: number): Worker {
  return startWorker(import.meta.url, "worker", {
    workerData: { config },
    resourceLimits: { maxYoungGenerationSizeMb: youngMb },
  });
}

/**
 * Batches of at most BATCH_FILES files and BATCH_CHARS characters, and at most an eighth of what is
 * left per thread (guided scheduling): the last batches are small, so no thread is left working
 * alone on a large one at the end.
 */
function batch(files: readonly SourceFile[], threads: number): SourceFile[][] {
  const batches: SourceFile[][] = [];
  let current: SourceFile[] = [];
  let size = 0;
  let left = files.reduce((total, file) => total + file.content.length, 0);
  let limit = batchLimit(left, threads);
  for (const file of files) {
    if (current.length > 0 && (size + file.content.length > limit || current.length >= BATCH_FILES)) {
      batches.push(current);
      current = [];
      size = 0;
      limit = batchLimit(left, threads);
    }
    current.push(file);
    size += file.content.length;
    left -= file.content.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function batchLimit(left: number, threads: number): number {
  return Math.max(MIN_BATCH_CHARS, Math.min(BATCH_CHARS, Math.floor(left / (threads * 8))));
}

class Thread {
  private readonly worker: Worker;
  /** Batches sent and not answered yet, by id. */
  private readonly pending = new Map<
    number,
    { resolve: (facts: FileFacts[]) => void; reject: (error: Error) => void }
  >();
  private exited: Promise<void>;
  private failure: Error | undefined;

  constructor(config: ValidateConfig, youngMb: number) {
    this.worker = spawn(config, youngMb);
    this.worker.on("message", (message: unknown) => this.receive(message));
    this.worker.on("error", (error) => this.fail(error));
    this.exited = new Promise((resolve) => {
      this.worker.once("exit", (code) => {
        if (code !== 0) this.fail(new Error(`validate worker exited with code ${code}`));
        else if (this.pending.size > 0) this.fail(new Error("validate worker exited before answering"));
        resolve();
      });
    });
  }

  analyze(id: number, files: SourceFile[]): Promise<FileFacts[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
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
    const pending = this.pending.get(response.id);
    if (pending === undefined) {
      this.fail(new Error(`a validate worker answered batch ${response.id}, which it was not sent`));
      return;
    }
    this.pending.delete(response.id);
    pending.resolve(response.facts);
  }

  private fail(error: Error): void {
    this.failure ??= new InternalError(`validate worker failed: ${error.message}`, { cause: error });
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }
}
