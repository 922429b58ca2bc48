/**
 * `portcullis fix` in the module: the CLI upgrades vulnerable dependencies in a copy of the
 * caller's tree (npm runs inside the pinned node image) and the module hands back what changed as
 * a Changeset. The module decides nothing: the plan, the rollback and the re-judging are the CLI's.
 */
import { ReturnType, type Changeset, type Container, type Directory } from "@dagger.io/dagger";
import { checkOperand } from "./argv.js";
import { CACHE_BUSTERS, cliIn } from "./containers.js";
import { LAYOUT } from "./layout.js";
import { REPORTS } from "./tools.gen.js";

/** What `portcullis fix` exits with when it ran: 0 the gate no longer blocks, 1 it still does or nothing was kept. */
export const FIX_EXIT = { passed: 0, blocked: 1 } as const;

/**
 * Runs `portcullis fix` over `tree` with the trivy report in `reports` and returns the edits as a
 * changeset against `tree`. Exit 0 or 1 is a result (an empty changeset when nothing was kept);
 * anything else fails the call with the CLI's message.
 */
export async function fixChanges(
  cli: Container,
  input: { tree: Directory; reports: Directory; env: string },
): Promise<Changeset> {
  const argv = [
    "portcullis",
    "fix",
    ".",
    "--report",
    `trivy=${LAYOUT.reports}/${REPORTS.trivy.report}`,
    "--env",
    checkOperand("env", input.env),
    "--out",
    LAYOUT.out,
  ];
  const ran = cliIn(cli, input.tree)
    .withMountedDirectory(LAYOUT.reports, input.reports)
    // npm resolves against a registry that moves: a fix is never replayed from the cache.
    .withEnvVariable(CACHE_BUSTERS.call, crypto.randomUUID())
    .withExec(argv, { expect: ReturnType.Any });
  const exitCode = await ran.exitCode();
  if (exitCode !== FIX_EXIT.passed && exitCode !== FIX_EXIT.blocked) {
    throw new Error(`portcullis fix exited with code ${exitCode}:\n${await ran.stderr()}`);
  }
  return ran.directory(LAYOUT.source).changes(input.tree);
}
