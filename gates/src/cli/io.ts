/** Exit codes of every command: the one table, kept in errors.ts beside the error families. */
export { EXIT } from "../errors.js";
import { inertStream } from "./inert-output.js";

/** The CLI's window on the terminal and environment; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** True when stdout is a terminal (colours of what stdout prints). */
  isTty: boolean;
  /**
   * True when stderr is a terminal: live progress lines go there, so they depend on it, not on
   * stdout (`validate > out.txt` on a terminal still shows progress; `2> log` writes none into it).
   * Undefined: as `isTty`.
   */
  stderrIsTty?: boolean;
  /**
   * Where Portcullis' own GitHub workflow commands (annotations) go: the stream as it is. `main`
   * makes stdout and stderr inert (inert-output.ts) and sets this.
   */
  workflowCommands?: (text: string, stream: "stdout" | "stderr") => void;
}

/** Whether live progress (rewritten lines on stderr) suits this run. */
export function liveProgress(io: CliIo): boolean {
  return io.stderrIsTty ?? io.isTty;
}

export function processIo(): CliIo {
  return {
    stdout: writerTo(process.stdout),
    stderr: writerTo(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    isTty: process.stdout.isTTY === true,
    stderrIsTty: process.stderr.isTTY === true,
  };
}

/** The same terminal with no workflow command in any text but `workflowCommands`. */
export function inertIo(io: CliIo): CliIo {
  const stdout = inertStream();
  const stderr = inertStream();
  return {
    ...io,
    stdout: (text) => io.stdout(stdout(text)),
    stderr: (text) => io.stderr(stderr(text)),
    workflowCommands:
      io.workflowCommands ?? ((text, stream) => (stream === "stdout" ? io.stdout(text) : io.stderr(text))),
  };
}

/** Colours only on a TTY and never under NO_COLOR (https://no-color.org). */
export function useColor(io: CliIo): boolean {
  const noColor = io.env["NO_COLOR"];
  return io.isTty && (noColor === undefined || noColor === "");
}

// --- internal ---

/** One writer, and one listener, per stream however often processIo() is called. */
const writers = new Map<NodeJS.WriteStream, (text: string) => void>();

/**
 * Writes to a standard stream until its reader goes away (`portcullis validate | head`): the rest is
 * dropped, silently, as a Unix tool stopped by SIGPIPE would stop, and the command still ends with
 * its own exit code: a reader that stopped reading changes no verdict. Node ignores SIGPIPE and
 * reports EPIPE as an 'error' event, which nothing handled, so the process crashed with exit 1 (a
 * blocked gate, in our table). Any other write error is still thrown.
 */
function writerTo(stream: NodeJS.WriteStream): (text: string) => void {
  const known = writers.get(stream);
  if (known !== undefined) return known;
  let readerGone = false;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    readerGone = true;
  });
  const write = (text: string): void => {
    if (!readerGone && !stream.destroyed) stream.write(text);
  };
  writers.set(stream, write);
  return write;
}
