import { spawn } from "node:child_process";
import { Socket } from "node:net";
import { REDACTED, redactText, withoutUrlPasswords } from "../findings/redact.js";

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
  /** Stopped by the caller's signal (a cancelled deploy). */
  cancelled: boolean;
  /**
   * The command exited while a process it left in the background still held its output open (a
   * server started with `&` and no redirection): its result is the shell's, without waiting for it.
   */
  outputHeld: boolean;
}

export interface ShellOptions {
  cwd: string;
  env?: Readonly<Record<string, string>>;
  timeoutMs: number;
  /** Stops the command's whole process group, as a timeout does. */
  signal?: AbortSignal | undefined;
  /** Told the shell's pid (its process group's id) as soon as it started. */
  onStart?: ((pid: number) => void) | undefined;
}

/** Output kept per stream: enough for an nginx error, never a whole log. */
const MAX_OUTPUT = 16_384;

/** How long output may still arrive after the shell exited before a background process is taken to hold it. */
const OUTPUT_GRACE_MS = 200;

export function runShell(command: string, options: ShellOptions): Promise<ShellResult> {
  const env = { ...process.env, ...options.env };
  // What a hook prints reaches the terminal, the append-only ledger and the webhooks: the
  // credentials it was given, or that look like credentials, never do.
  const secrets = credentialsIn(env);
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], {
      cwd: options.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    if (child.pid !== undefined) options.onStart?.(child.pid);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let cancelled = false;
    let settled = false;
    let grace: NodeJS.Timeout | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout = (stdout + chunk.toString("utf8")).slice(-MAX_OUTPUT);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-MAX_OUTPUT);
    });
    const cancel = (): void => {
      cancelled = true;
      killGroup(child.pid);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    if (options.signal?.aborted === true) cancel();
    else options.signal?.addEventListener("abort", cancel, { once: true });
    const settle = (result: Omit<ShellResult, "stdout" | "stderr" | "timedOut" | "cancelled">, more = ""): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      options.signal?.removeEventListener("abort", cancel);
      resolve({
        ...result,
        ok: result.ok && !timedOut && !cancelled,
        stdout: redactCredentials(stdout, secrets),
        stderr: redactCredentials(`${stderr}${more}`, secrets),
        timedOut,
        cancelled,
      });
    };
    child.on("error", (error) => settle({ ok: false, code: null, outputHeld: false }, error.message));
    child.on("close", (code) => settle({ ok: code === 0, code, outputHeld: false }));
    // A process the command left running in the background inherits its output and keeps it open:
    // the command is done when the shell is. The pipes go on being read, without keeping this
    // process alive, so that the background process is not blocked on a full pipe.
    child.on("exit", (code) => {
      // The command is over: neither its timeout nor a cancellation may now kill what it left running.
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", cancel);
      grace = setTimeout(() => {
        for (const stream of [child.stdout, child.stderr]) if (stream instanceof Socket) stream.unref();
        settle({ ok: code === 0, code, outputHeld: true });
      }, OUTPUT_GRACE_MS);
    });
  });
}

/** One line saying why a command failed: its exit, then its last stderr (or stdout) line(s). */
export function describeFailure(command: string, result: ShellResult): string {
  const how = result.cancelled
    ? "was stopped (the deploy was cancelled)"
    : result.timedOut
      ? "timed out"
      : `exited ${result.code ?? "abnormally"}`;
  const output = (result.stderr.trim() === "" ? result.stdout : result.stderr).trim().split("\n").slice(-3).join(" | ");
  return `\`${redactCredentials(command, [])}\` ${how}${output === "" ? "" : `: ${output}`}`;
}

/**
 * `text` without the given secrets and without anything shaped like a credential: provider tokens
 * (GitHub, GitLab, Slack, AWS access key ids, Stripe), the credential of an `Authorization`-style
 * `Bearer`/`Basic`/`token` word, a URL's password, and private key blocks.
 */
export function redactCredentials(text: string, secrets: readonly string[]): string {
  let redacted = withoutUrlPasswords(redactText(text, secrets));
  for (const [shape, replacement] of CREDENTIAL_SHAPES) redacted = redacted.replace(shape, replacement);
  return redacted;
}

// --- internal ---

/**
 * Environment variables named for a credential (`GITHUB_TOKEN`, `NPM_AUTH_TOKEN`, `DB_PASSWORD`), not
 * those that only name where one is (`SSH_AUTH_SOCK`, `GIT_AUTHOR_NAME`, `*_FILE`); values shorter
 * than MIN_SECRET_LENGTH are words, not secrets.
 */
const SECRET_NAME = /(?:^|_)(?:TOKEN|SECRET|PASSW(?:OR)?D|API_?KEY|PRIVATE_?KEY|CREDENTIALS?|O?AUTH)(?:_|$)/i;
const NOT_A_SECRET = /_(?:SOCK|NAME|EMAIL|PATH|FILE|DIR|HOST|URL|USER|TYPE|METHOD)$/i;
const MIN_SECRET_LENGTH = 8;

function credentialsIn(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env).flatMap(([name, value]) =>
    SECRET_NAME.test(name) && !NOT_A_SECRET.test(name) && value !== undefined && value.length >= MIN_SECRET_LENGTH
      ? [value]
      : [],
  );
}

/** A value shaped like a credential: 16 or more token characters, at least one of them a digit. */
const CREDENTIAL = String.raw`(?=[\w.~+/=-]*\d)[\w.~+/=-]{16,}`;

/** Each shape, and what replaces it (keeping the `Bearer ` before a token). */
const CREDENTIAL_SHAPES: readonly [RegExp, string][] = [
  [
    /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}|xox[abprs]-[\w-]{10,}|(?:AKIA|ASIA)[A-Z0-9]{16}|[sr]k_live_[A-Za-z0-9]{16,})\b/g,
    REDACTED,
  ],
  [new RegExp(String.raw`\b(Bearer|Basic)(\s+)${CREDENTIAL}`, "g"), `$1$2${REDACTED}`],
  [
    new RegExp(String.raw`\b(token|password|passwd|secret|api[_-]?key)(\s*[=:]\s*["']?)${CREDENTIAL}`, "gi"),
    `$1$2${REDACTED}`,
  ],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  // The body of a key whose BEGIN line was cut off with the start of a long output.
  [/^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)[A-Za-z0-9+/=]{40,}$/gm, REDACTED],
];

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already exited.
  }
}
