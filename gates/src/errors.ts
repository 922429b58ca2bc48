/**
 * The one error hierarchy of Portcullis. Every error has a stable `code` (from ERROR_CODES),
 * the offending `file` and/or dot-`path` when known, and a `fix` hint telling the user what to do.
 * A failing gate is a result, not an exception: these are for bad input and bugs.
 */
export const ERROR_CODES = {
  /** A report file is absent. */
  REPORT_MISSING: "REPORT_MISSING",
  /** A report file is empty or whitespace only. */
  REPORT_EMPTY: "REPORT_EMPTY",
  /** A report is not valid JSON (truncated, binary…). */
  REPORT_MALFORMED: "REPORT_MALFORMED",
  /** A report is valid JSON but not of the expected tool/format. */
  REPORT_WRONG_TOOL: "REPORT_WRONG_TOOL",
  /** A report's content does not match the tool's schema. */
  REPORT_INVALID: "REPORT_INVALID",
  /** The report says the tool itself failed, or the exit code says it crashed. */
  TOOL_FAILED: "TOOL_FAILED",
  /** The tool binary could not be found or started. */
  TOOL_NOT_FOUND: "TOOL_NOT_FOUND",
  /** An environment policy file is malformed or has unknown keys. */
  POLICY_INVALID: "POLICY_INVALID",
  /** A waivers file or one waiver is malformed or expired. */
  WAIVER_INVALID: "WAIVER_INVALID",
  WAIVER_EXPIRED: "WAIVER_EXPIRED",
  /** A baseline report cannot be used. */
  BASELINE_INVALID: "BASELINE_INVALID",
  /** A bypass was asked for that the policy does not allow, or lacks reason/approver. */
  BYPASS_REFUSED: "BYPASS_REFUSED",
  /** Command-line usage error. */
  USAGE: "USAGE",
  /** A configuration file (portcullis.yml…) is invalid. */
  CONFIG_INVALID: "CONFIG_INVALID",
  /** A stage could not run (no load target, unreachable endpoint…). */
  STAGE_UNAVAILABLE: "STAGE_UNAVAILABLE",
  /** Input/output failure at an adapter edge. */
  IO: "IO",
  /** A bug: an invariant did not hold. */
  INTERNAL: "INTERNAL",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

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

export class PortcullisError extends Error {
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

/** A report could not be read or parsed. */
export class ReportError extends PortcullisError {
  override readonly name = "ReportError";
}

/** A policy, waiver, baseline or configuration file is invalid. */
export class ConfigError extends PortcullisError {
  override readonly name = "ConfigError";
}

/** A tool or stage could not run or crashed. */
export class ToolRunError extends PortcullisError {
  override readonly name = "ToolRunError";
}

/** Command-line misuse. */
export class UsageError extends PortcullisError {
  override readonly name = "UsageError";
}

export function isPortcullisError(value: unknown): value is PortcullisError {
  return value instanceof PortcullisError;
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
