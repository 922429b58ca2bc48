import { spawn } from "node:child_process";

/**
 * Runs a user command line through `sh -c` (hooks, nginx test/reload, the command router), with
 * extra environment variables, a timeout that stops its whole process group, and bounded output.
 */
export interface ShellResult {
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ShellOptions {
  cwd: string;
  env?: Readonly<Record<string, string>>;
  timeoutMs: number;
}

/** Output kept per stream: enough for an nginx error, never a whole log. */
const MAX_OUTPUT = 16_384;

export function runShell(command: string, options: ShellOptions): Promise<ShellResult> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout = (stdout + chunk.toString("utf8")).slice(-MAX_OUTPUT);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-MAX_OUTPUT);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ ok: false, code: null, stdout, stderr: `${stderr}${error.message}`, timedOut });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0 && !timedOut, code, stdout, stderr, timedOut });
    });
  });
}

/** One line saying why a command failed: its exit, then its last stderr (or stdout) line(s). */
export function describeFailure(command: string, result: ShellResult): string {
  const how = result.timedOut ? "timed out" : `exited ${result.code ?? "abnormally"}`;
  const output = (result.stderr.trim() === "" ? result.stdout : result.stderr).trim().split("\n").slice(-3).join(" | ");
  return `\`${command}\` ${how}${output === "" ? "" : `: ${output}`}`;
}

// --- internal ---

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already exited.
  }
}
