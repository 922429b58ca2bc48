/**
 * The one error hierarchy of Portcullis. Every error has a stable `code` (from ERROR_CODES), the
 * offending `file` and/or dot-`path` when known, and a `fix` hint telling the user what to do.
 * Codes come in families; each family has one class and one exit code (FAMILY_EXIT), so a class
 * and a code can never disagree about what the CLI exits with.
 * A failing gate is a result, not an exception: these are for bad input and bugs.
 */

/**
 * The exit codes of every `portcullis` command: the one table the CLI returns, docs/cli.md lists
 * (a test compares them) and the Dagger module maps a container's exit code back through.
 */
export const EXIT_CODES = {
  ok: {
    code: 0,
    meaning: "passed: no mandatory gate is `fail` or `error` (advisory gates may warn); the command did what was asked",
  },
  blocked: {
    code: 1,
    meaning:
      "blocked: at least one mandatory gate is `fail` or `error`, an output or state file could not be read or written, or a deploy was rolled back or aborted after traffic moved",
  },
  usage: {
    code: 2,
    meaning:
      "usage or configuration error: unknown flag or report kind, unknown environment, invalid policy, malformed waivers file, missing `--baseline`, refused `--bypass`, a required tool not installed",
  },
  notStarted: {
    code: 3,
    meaning:
      "deploy stopped before traffic moved (gates not passed, lock held, new slot unhealthy), or the recorded deployment state disagrees with the router",
  },
  rollbackFailed: {
    code: 4,
    meaning:
      "a rollback or abort could not move traffic back (target unhealthy, or the router still refused at `rollback_deadline`): traffic is still on the release being rolled back from",
  },
  internal: { code: 70, meaning: "a bug in Portcullis (an invariant did not hold): please report it with the output" },
  interrupted: {
    code: 130,
    meaning:
      "stopped by SIGINT (Ctrl-C) before a verdict: `ci` judges nothing and leaves no report, as the shell reports a process it stopped",
  },
  terminated: {
    code: 143,
    meaning: "stopped by SIGTERM (a cancelled CI job) before a verdict: `ci` judges nothing and leaves no report",
  },
} as const;

export type ExitName = keyof typeof EXIT_CODES;

/** Exit code by name (`EXIT.blocked` is 1), for the CLI's `return` statements. */
export const EXIT = Object.fromEntries(Object.entries(EXIT_CODES).map(([name, entry]) => [name, entry.code])) as {
  readonly [name in ExitName]: (typeof EXIT_CODES)[name]["code"];
};

/** Every error code with the family it belongs to. */
export const ERROR_CODES = {
  /** A report file is absent. */
  REPORT_MISSING: "report",
  /** A report file is empty or whitespace only. */
  REPORT_EMPTY: "report",
  /** A report is not valid JSON (truncated, binary…). */
  REPORT_MALFORMED: "report",
  /** A report is valid JSON but not of the expected tool/format. */
  REPORT_WRONG_TOOL: "report",
  /** A report's content does not match the tool's schema. */
  REPORT_INVALID: "report",
  /** The report says the tool itself failed, or the exit code says it crashed. */
  TOOL_FAILED: "tool",
  /** The tool binary could not be found or started. */
  TOOL_NOT_FOUND: "tool",
  /** The tool was found, but at another major.minor version than the adapter's pin. */
  TOOL_WRONG_VERSION: "tool",
  /** A stage could not run (no load target, unreachable endpoint…). */
  STAGE_UNAVAILABLE: "tool",
  /** An environment policy file is malformed or has unknown keys. */
  POLICY_INVALID: "config",
  /** A waivers file or one waiver is malformed. */
  WAIVER_INVALID: "config",
  /** A waiver is past its expiry date. */
  WAIVER_EXPIRED: "config",
  /** A baseline report cannot be used. */
  BASELINE_INVALID: "config",
  /** A configuration file (portcullis.yml, controls.yml, a flag's file…) is invalid or absent. */
  CONFIG_INVALID: "config",
  /** Command-line usage error. */
  USAGE: "usage",
  /** A bypass was asked for that the policy does not allow, or lacks reason/approver. */
  BYPASS_REFUSED: "usage",
  /** Input/output failure at an adapter edge: a file or state that cannot be read or written. */
  IO: "io",
  /** A bug: an invariant did not hold. */
  INTERNAL: "internal",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ErrorFamily = (typeof ERROR_CODES)[ErrorCode];
/** The codes of one family. */
export type FamilyCode<F extends ErrorFamily> = {
  [C in ErrorCode]: (typeof ERROR_CODES)[C] extends F ? C : never;
}[ErrorCode];

/**
 * What each family exits with. Bad input (usage, configuration, a report or tool the user must
 * fix) is 2; a read or write that failed leaves the run unproven, which blocks (1); a bug is 70.
 * A report that cannot be used during `evaluate` is not an exception: it makes its gates `error`.
 */
export const FAMILY_EXIT: Readonly<Record<ErrorFamily, ExitName>> = {
  usage: "usage",
  config: "usage",
  report: "usage",
  tool: "usage",
  io: "blocked",
  internal: "internal",
};

export interface PortcullisErrorOptions {
  /** The file the problem is in, as the user named it. */
  file?: string | undefined;
  /** Dot-path of the offending field inside the file (`gates.vulnerabilities.max.high`). */
  path?: string | undefined;
  /** The tool whose report or run is concerned. */
  tool?: string | undefined;
  /** What the user should do about it. */
  fix?: string | undefined;
  cause?: unknown;
}

/** The base of every Portcullis error; throw one of the family classes below. */
export abstract class PortcullisError extends Error {
  override readonly name: string = "PortcullisError";
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly path: string | undefined;
  readonly tool: string | undefined;
  readonly fix: string | undefined;

  constructor(code: ErrorCode, message: string, options: PortcullisErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.path = options.path;
    this.tool = options.tool;
    this.fix = options.fix;
  }

  /** The exit code of the CLI when this error ends a command: its family's. */
  get exitCode(): number {
    return EXIT[FAMILY_EXIT[ERROR_CODES[this.code]]];
  }

  /** One line for humans: `[CODE] file: path: message — fix: …`. */
  describe(): string {
    const where = [this.file, this.path].filter((part) => part !== undefined && part !== "").join(": ");
    const fix = this.fix === undefined ? "" : ` — fix: ${this.fix}`;
    return `[${this.code}] ${where === "" ? "" : `${where}: `}${this.message}${fix}`;
  }

  toJSON(): { code: ErrorCode; message: string; file?: string; path?: string; tool?: string; fix?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.file === undefined ? {} : { file: this.file }),
      ...(this.path === undefined ? {} : { path: this.path }),
      ...(this.tool === undefined ? {} : { tool: this.tool }),
      ...(this.fix === undefined ? {} : { fix: this.fix }),
    };
  }
}

/** A report could not be read or parsed (exit 2 when it ends a command). */
export class ReportError extends PortcullisError {
  override readonly name: string = "ReportError";
  constructor(code: FamilyCode<"report">, message: string, options?: PortcullisErrorOptions) {
    super(code, message, options);
  }
}

/** A policy, waiver, baseline or configuration file is invalid (exit 2). */
export class ConfigError extends PortcullisError {
  override readonly name: string = "ConfigError";
  constructor(code: FamilyCode<"config">, message: string, options?: PortcullisErrorOptions) {
    super(code, message, options);
  }
}

/** A tool or stage could not run or crashed (exit 2: install or configure it). */
export class ToolRunError extends PortcullisError {
  override readonly name: string = "ToolRunError";
  constructor(code: FamilyCode<"tool">, message: string, options?: PortcullisErrorOptions) {
    super(code, message, options);
  }
}

/** Command-line misuse (exit 2). */
export class UsageError extends PortcullisError {
  override readonly name: string = "UsageError";
  constructor(code: FamilyCode<"usage">, message: string, options?: PortcullisErrorOptions) {
    super(code, message, options);
  }
}

/** A file, folder or stored state could not be read or written (exit 1: the run is unproven). */
export class IoError extends PortcullisError {
  override readonly name: string = "IoError";
  constructor(message: string, options?: PortcullisErrorOptions) {
    super("IO", message, options);
  }
}

/** A bug: an invariant did not hold (exit 70). */
export class InternalError extends PortcullisError {
  override readonly name: string = "InternalError";
  constructor(message: string, options?: PortcullisErrorOptions) {
    super("INTERNAL", message, options);
  }
}

export function isPortcullisError(value: unknown): value is PortcullisError {
  return value instanceof PortcullisError;
}

/** An error of the file system (node's system errors carry a `code` and the failed `syscall`). */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error && typeof error.code === "string" && "syscall" in error;
}

/** The message of anything thrown: an Error's message, else the value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The exit code for anything that ended a command: a Portcullis error's family's, else internal (70). */
export function exitCodeOf(error: unknown): number {
  return isPortcullisError(error) ? error.exitCode : EXIT.internal;
}

/** Shortens untrusted text quoted in an error message. */
export function quote(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
