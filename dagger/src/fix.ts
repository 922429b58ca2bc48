/**
 * `portcullis fix` in the module: the CLI upgrades vulnerable dependencies in a copy of the
 * caller's tree (npm runs inside the pinned node image) and the module hands back what changed as
 * a Changeset. The module decides nothing: the plan, the rollback and the re-judging are the CLI's.
 */
import { ReturnType, type Changeset, type Container, type Directory } from "@dagger.io/dagger";
import { checkOperand } from "./argv.js";
import { CACHE_BUSTERS, cliIn } from "./containers.js";
import { CLI_EXIT_CODES } from "./exit-codes.gen.js";
import { LAYOUT } from "./layout.js";
import { orThrow, vulnerabilitiesStage } from "./stages.js";
import { REPORTS } from "./tools.gen.js";
import { cli, type Toolbox } from "./toolbox.js";

/** What `portcullis fix` exits with when it ran: 0 the gate no longer blocks, 1 it still does or nothing was kept. */
const FIX_RAN = { passed: CLI_EXIT_CODES.ok.code, blocked: CLI_EXIT_CODES.blocked.code } as const;

/** trivy over the source in its pinned image, then `portcullis fix` on its report: the upgrades as a changeset. */
export async function fixChangeset(tools: Toolbox, input: { source: Directory; env: string }): Promise<Changeset> {
  const reports = orThrow(await vulnerabilitiesStage(tools, input.source));
  return fixChanges(cli(tools), { tree: input.source, reports, env: input.env });
}

// --- internal ---

/**
 * Runs `portcullis fix` over `tree` with the trivy report in `reports` and returns the edits as a
 * changeset against `tree`. Exit 0 or 1 is a result (an empty changeset when nothing was kept);
 * anything else fails the call with the CLI's message.
 */
async function fixChanges(
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
  if (exitCode !== FIX_RAN.passed && exitCode !== FIX_RAN.blocked) {
    throw new Error(`portcullis fix exited with code ${exitCode}:\n${await ran.stderr()}`);
  }
  return ran.directory(LAYOUT.source).changes(input.tree);
}
