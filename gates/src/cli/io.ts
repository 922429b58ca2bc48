/** Exit codes of every command: the one table, kept in errors.ts beside the error families. */
export { EXIT } from "../errors.js";

/** The CLI's window on the terminal and environment; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** True when stdout is a terminal (progress spinners, colours). */
  isTty: boolean;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTty: process.stdout.isTTY === true,
  };
}

/** Colours only on a TTY and never under NO_COLOR (https://no-color.org). */
export function useColor(io: CliIo): boolean {
  const noColor = io.env["NO_COLOR"];
  return io.isTty && (noColor === undefined || noColor === "");
}
