/**
 * How the module words what went wrong: the message of anything thrown, and what an exit code of
 * the `portcullis` CLI means. The meanings are the CLI's own (EXIT_CODES in gates/src/errors.ts,
 * copied into exit-codes.gen.ts): the module keeps no table of its own.
 */
import { CLI_EXIT_CODES } from "./exit-codes.gen.js";

/** The message of anything thrown: an Error's message, else the value as text (as gates/src/errors.ts). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What the CLI means by `exitCode`; a code it never returns (a crash, a kill by a signal) is the CLI failing. */
export function cliExitMeaning(exitCode: number): string {
  return Object.values(CLI_EXIT_CODES).find((entry) => entry.code === exitCode)?.meaning ?? "the CLI failed";
}
