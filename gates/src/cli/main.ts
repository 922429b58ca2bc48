import { Command, CommanderError } from "commander";
import { isPortcullisError } from "../errors.js";
import { PORTCULLIS_VERSION } from "../version.js";
import { commandsFor } from "./commands.js";
import { EXIT, type CliIo, inertIo, processIo } from "./io.js";
import { errorText } from "./problem-lines.js";

/**
 * The `portcullis` CLI. The only place (with io.ts) that reads argv, writes to the terminal or
 * decides an exit code. Returns the exit code instead of exiting, so tests can call it.
 */
export async function main(argv: readonly string[], terminal: CliIo = processIo()): Promise<number> {
  const io = inertIo(terminal);
  const program = new Command("portcullis")
    .description("CI/CD quality gates: tool reports in, per-environment verdicts and reports out")
    .version(PORTCULLIS_VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) })
    .showHelpAfterError("(run with --help for usage)");

  let exitCode: number = EXIT.ok;
  for (const register of await commandsFor(argv)) {
    register(program, io, (code) => {
      exitCode = code;
    });
  }

  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (isPortcullisError(error)) {
      io.stderr(errorText(error));
      return error.exitCode;
    }
    io.stderr(
      `portcullis: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.internal;
  }
}
