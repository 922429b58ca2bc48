import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, createWriteStream, statSync } from "node:fs";
import path from "node:path";

/**
 * The process edge of the host runner: PATH lookup and spawning. Nothing here decides anything;
 * the plan (plan.ts) says what to run and the caller reads the exit code through the tool adapter.
 */

/** The full path of `command` on `PATH`, or undefined when it is not installed there. */
export function findOnPath(command: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (command.includes("/") || command.includes(path.sep)) return isExecutable(command) ? command : undefined;
  const extensions = process.platform === "win32" ? (env["PATHEXT"] ?? ".EXE;.CMD;.BAT").split(";") : [""];
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    for (const extension of extensions) {
      const candidate = path.join(dir, command + extension);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

export interface ProcessSpec {
  /** Resolved executable (from findOnPath). */
  executable: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Kill the process (SIGTERM, then SIGKILL 5 s later) after this long. */
  timeoutMs: number;
  /** Aborting stops the process the same way (Ctrl-C on the runner). */
  signal?: AbortSignal | undefined;
  /** Where all of its stderr is written too (the tail below keeps a few lines only). */
  stderrFile?: string | undefined;
}

export interface ProcessOutcome {
  /** Exit code; -1 when the process was killed by a signal or could not start. */
  exitCode: number;
  signal?: NodeJS.Signals | undefined;
  timedOut: boolean;
  durationMs: number;
  /** The last lines the tool wrote to stderr (then stdout), for the crash message only. */
  outputTail: string[];
  /** Set when the process could not be started at all. */
  startError?: string | undefined;
}

/** How many trailing output lines are kept for the crash message. */
const TAIL_LINES = 8;

/** Runs a process to completion. Never rejects: a start failure is reported in the outcome. */
export function runProcess(spec: ProcessSpec): Promise<ProcessOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const tail = new OutputTail(TAIL_LINES);
    let timedOut = false;
    let settled = false;
    // Its own process group, so a timeout or Ctrl-C stops the tool and everything it started.
    const child = spawn(spec.executable, [...spec.args], {
      cwd: spec.cwd,
      env: definedOnly(spec.env),
      stdio: ["ignore", "pipe", "pipe"],
      detached: process.platform !== "win32",
    });
    const log = spec.stderrFile === undefined ? undefined : createWriteStream(spec.stderrFile);
    // A log that cannot be written is no reason to stop the tool: its report says what it found.
    log?.on("error", () => undefined);
    child.stdout.on("data", (chunk: Buffer) => tail.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      tail.push(chunk);
      log?.write(chunk);
    });
    const timers: NodeJS.Timeout[] = [];
    const stop = (): void => {
      killGroup(child, "SIGTERM");
      timers.push(setTimeout(() => killGroup(child, "SIGKILL"), 5_000));
    };
    const onAbort = (): void => stop();
    spec.signal?.addEventListener("abort", onAbort, { once: true });
    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop();
      }, spec.timeoutMs),
    );
    const finish = (outcome: Omit<ProcessOutcome, "durationMs" | "outputTail" | "timedOut">): void => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      spec.signal?.removeEventListener("abort", onAbort);
      const result = { ...outcome, timedOut, durationMs: performance.now() - started, outputTail: tail.lines() };
      // The log is read once the tool is done: it must be on disk whole by then.
      if (log === undefined) resolve(result);
      else log.end(() => resolve(result));
    };
    child.on("error", (error) => finish({ exitCode: -1, startError: error.message }));
    child.on("exit", (code, signal) => {
      // A background process the tool left behind may hold the pipes open: do not wait for it.
      timers.push(
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish({ exitCode: code ?? -1, signal: signal ?? undefined });
        }, 1_000),
      );
    });
    child.on("close", (code, signal) => finish({ exitCode: code ?? -1, signal: signal ?? undefined }));
  });
}

// --- internal ---

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (process.platform === "win32") child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch {
    // Already gone between the check and the kill.
  }
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

/** Keeps the last N lines of a byte stream without holding the whole output. */
class OutputTail {
  private kept: string[] = [];
  private partial = "";

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    const text = this.partial + chunk.toString("utf8");
    const lines = text.split(/\r?\n/);
    this.partial = (lines.pop() ?? "").slice(-2_000);
    for (const line of lines) if (line.trim() !== "") this.kept.push(line.slice(0, 500));
    if (this.kept.length > this.max) this.kept = this.kept.slice(-this.max);
  }

  lines(): string[] {
    const all = this.partial.trim() === "" ? this.kept : [...this.kept, this.partial.slice(0, 500)];
    return all.slice(-this.max);
  }
}
