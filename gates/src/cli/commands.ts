import type { Command } from "commander";
import type { CliIo } from "./io.js";
import { registerPolicy } from "./policy.js";

/** A command registers itself on the program and reports its exit code through `setExit`. */
export type RegisterCommand = (program: Command, io: CliIo, setExit: (code: number) => void) => void;

/** Every command of the CLI, one file each. */
export const COMMANDS: readonly RegisterCommand[] = [registerPolicy];
