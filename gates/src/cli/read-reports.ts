import { constants } from "node:buffer";
import { closeSync, createReadStream, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import path from "node:path";
import {
  isFsError,
  isPortcullisError,
  quote,
  ReportError,
  ToolRunError,
  UsageError,
  IoError,
  messageOf,
  type PortcullisError,
} from "../errors.js";
import type { RunInput, RunMeta } from "../evaluate/types.js";
import type { ToolError, ToolResult } from "../findings/finding.js";
import { REPORT_KINDS, type ReportKind } from "../model/report.js";
import { LABEL_PATTERN, parseExitCode, planReportDir } from "../runner/reports-dir.js";
import { TRIVY_READ_BYTES } from "../tools/trivy-cut.js";
import { utf8Text } from "../tools/utf8-text.js";

/**
 * The file edge of `evaluate`: turns `--report kind=file` flags and `--reports <dir>` listings into
 * the evaluator's RunInputs. Fails closed without throwing: a missing, unreadable, empty, truncated
 * or wrong-tool report becomes a RunInput carrying the error, so its gates are `error` and the other
 * reports are still judged. The exit code is read and passed on; evaluate judges what it means.
 */

/** One report to read. */
export interface ReportSource {
  kind: ReportKind;
  label?: string | undefined;
  /** Absolute path of the report. */
  path: string;
  /** The path as the user would write it (`reports/trivy.fs.json`), for messages and report.json. */
  shown: string;
  /** Absolute path of its `.exitcode` file, when one was found. */
  exitCodePath?: string | undefined;
  /** Absolute path of its `.log` file (the tool's stderr), when one was found. */
  logPath?: string | undefined;
}

/** How reports are parsed: the tool registry, injected so the reader stays a thin adapter. */
export interface ReportParsers {
  parse(kind: ReportKind, raw: string, options: { file: string }): ToolResult;
  /** Streaming trivy parser, so that a large report never sits in memory whole. */
  parseTrivyStream(chunks: AsyncIterable<string | Uint8Array>, options: { file: string }): Promise<ToolResult>;
  /** What the tool's log says it could not do (its adapter's reading; none for most tools). */
  logProblems(kind: ReportKind, log: string): ToolError[];
}

/** Reads `--report <kind>[.<label>]=<file>`; an unknown kind is a usage error (exit 2). */
export function parseReportFlag(value: string, cwd: string): ReportSource {
  const equals = value.indexOf("=");
  const name = equals < 0 ? "" : value.slice(0, equals);
  const file = equals < 0 ? "" : value.slice(equals + 1);
  const [kindText = "", label, ...rest] = name.split(".");
  const kind = REPORT_KINDS.find((candidate) => candidate === kindText);
  if (equals < 0 || file === "") {
    throw new UsageError("USAGE", `--report ${quote(value)}: expected <kind>=<file>`, {
      fix: `for example --report trivy=trivy.json; kinds: ${REPORT_KINDS.join(", ")}`,
    });
  }
  if (kind === undefined || rest.length > 0 || (label !== undefined && !LABEL_PATTERN.test(label))) {
    throw new UsageError("USAGE", `--report ${quote(value)}: unknown report kind ${quote(name)}`, {
      fix: `use one of ${REPORT_KINDS.join(", ")}, optionally with a lower-case label (trivy.image=<file>)`,
    });
  }
  return { kind, label, path: path.resolve(cwd, file), shown: file };
}

/** What a reports directory holds, by the naming contract (reports-dir.ts). */
export interface ReportDirListing {
  sources: ReportSource[];
  /** Files not read, with the reason. */
  ignored: { file: string; reason: string }[];
  /** Set when the directory itself could not be listed: every gate that needs a report is then `error`. */
  problem?: string | undefined;
}

/** Lists `--reports <dir>`. */
export function listReportDir(dir: string, cwd: string): ReportDirListing {
  const absolute = path.resolve(cwd, dir);
  let names: string[];
  try {
    names = readdirSync(absolute, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
  } catch (error) {
    return { sources: [], ignored: [], problem: `cannot read the reports directory ${dir}: ${messageOf(error)}` };
  }
  const plan = planReportDir(names);
  const sources = plan.entries.map((entry): ReportSource => {
    const report = entry.report ?? `${[entry.kind, entry.label].filter(Boolean).join(".")}.json`;
    return {
      kind: entry.kind,
      label: entry.label,
      path: path.join(absolute, report),
      shown: path.join(dir, report),
      exitCodePath: entry.exitCodeFile === undefined ? undefined : path.join(absolute, entry.exitCodeFile),
      logPath: entry.logFile === undefined ? undefined : path.join(absolute, entry.logFile),
    };
  });
  return { sources, ignored: plan.ignored };
}

/** Reads, checks and parses one report. Never throws for bad input; rethrows only bugs. */
export async function readReport(source: ReportSource, parsers: ReportParsers): Promise<RunInput> {
  const exit = source.exitCodePath === undefined ? undefined : readExitCode(source);
  const run: RunMeta = {
    kind: source.kind,
    label: source.label,
    file: source.shown,
    exitCode: typeof exit === "number" ? exit : undefined,
  };
  const fail = (error: PortcullisError): RunInput => ({ run, error });
  if (exit !== undefined && typeof exit !== "number") return fail(exit);
  // What the exit code means is judged in evaluate (runs.ts), the one place that does.
  try {
    // Read whole, a report past the longest string the engine holds would stop the run with a
    // crash; trivy's is read in pieces, whatever its size.
    const size = source.kind === "trivy" ? 0 : statSync(source.path).size;
    if (size > constants.MAX_STRING_LENGTH) return fail(tooLarge(source, size));
    const result =
      source.kind === "trivy"
        ? await parsers.parseTrivyStream(createReadStream(source.path, { highWaterMark: TRIVY_READ_BYTES }), {
            file: source.shown,
          })
        : parsers.parse(source.kind, utf8Text(readFileSync(source.path)), { file: source.shown });
    const logged = source.logPath === undefined ? [] : logWarnings(source, source.logPath, parsers);
    return { run, result: logged.length === 0 ? result : { ...result, toolErrors: [...result.toolErrors, ...logged] } };
  } catch (error) {
    if (isPortcullisError(error)) return fail(error);
    if (isFsError(error)) return fail(unreadable(source, error, exit));
    throw error;
  }
}

/** Reads every source in turn (one at a time keeps peak memory at one report). */
export async function readReports(sources: readonly ReportSource[], parsers: ReportParsers): Promise<RunInput[]> {
  const runs: RunInput[] = [];
  for (const source of sources) runs.push(await readReport(source, parsers));
  return runs;
}

// --- internal ---

function readExitCode(source: ReportSource): number | PortcullisError {
  const file = source.exitCodePath ?? "";
  const shown = path.join(path.dirname(source.shown), path.basename(file));
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return new ToolRunError("TOOL_FAILED", `cannot read the exit-code file: ${messageOf(error)}`, {
      file: shown,
      tool: source.kind,
      fix: "re-run the stage; whoever ran the tool must write its exit code as a plain number",
    });
  }
  const code = parseExitCode(text);
  if (code !== undefined) return code;
  return new ToolRunError("TOOL_FAILED", `the exit-code file holds ${quote(text.trim(), 40)}, not an exit code`, {
    file: shown,
    tool: source.kind,
    fix: "re-run the stage; whoever ran the tool must write its exit code as a plain number",
  });
}

/** Most of a tool's log read: a longer one (a tool logging every file) is read up to here, and that is said. */
const LOG_READ_BYTES = 64 * 1024 * 1024;

/** The warnings in a report's `.log`, by its tool's adapter; a log that cannot be read is one more. */
function logWarnings(source: ReportSource, logPath: string, parsers: ReportParsers): ToolError[] {
  const shown = path.join(path.dirname(source.shown), path.basename(logPath));
  let log: string;
  let size: number;
  try {
    size = statSync(logPath).size;
    const bytes = Buffer.alloc(Math.min(size, LOG_READ_BYTES));
    const fd = openSync(logPath, "r");
    let read = 0;
    try {
      while (read < bytes.length) {
        const got = readSync(fd, bytes, read, bytes.length - read, read);
        if (got === 0) break;
        read += got;
      }
    } finally {
      closeSync(fd);
    }
    log = utf8Text(bytes.subarray(0, read));
  } catch (error) {
    return [{ level: "warning", message: `${shown} could not be read: ${messageOf(error)}`, path: shown }];
  }
  const problems = parsers.logProblems(source.kind, log);
  if (size <= LOG_READ_BYTES) return problems;
  return [
    ...problems,
    {
      level: "warning",
      message: `${shown} is ${Math.round(size / 1_048_576)} MB: only its first 64 MB were read`,
      path: shown,
    },
  ];
}

function tooLarge(source: ReportSource, size: number): PortcullisError {
  const megabytes = (bytes: number): string => `${Math.round(bytes / 1_048_576)} MB`;
  return new ReportError(
    "REPORT_INVALID",
    `the ${source.kind} report is ${megabytes(size)}, more than the ${megabytes(constants.MAX_STRING_LENGTH)} a report read whole can be`,
    {
      file: source.shown,
      tool: source.kind,
      fix: `split the scan into several ${source.kind} reports (per folder or per rule set), each passed with its own --report`,
    },
  );
}

function unreadable(
  source: ReportSource,
  error: NodeJS.ErrnoException,
  exitCode: number | PortcullisError | undefined,
): PortcullisError {
  const options = { file: source.shown, tool: source.kind, cause: error };
  if (error.code === "ENOENT") {
    const ran = typeof exitCode === "number" ? ` although ${source.kind} exited with code ${exitCode}` : "";
    return new ReportError("REPORT_MISSING", `the ${source.kind} report was not written${ran}`, {
      ...options,
      fix: `check that ${source.kind} ran and wrote its report to this path (a missing report is never read as "no findings")`,
    });
  }
  return new IoError(`cannot read the ${source.kind} report: ${messageOf(error)}`, {
    ...options,
    fix: "check that the path is a readable file",
  });
}
