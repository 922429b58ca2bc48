/**
 * The blue-green commands (`portcullis deploy | rollback | status`) run in the CLI container, with
 * git added and the caller's checkout mounted: state, ledger and lock live in a git ref of it. The
 * argv comes from deploy.ts; what an exit code means, from the CLI's own table (errors.ts).
 */
import { ReturnType, type Container, type Directory, type File, type Secret } from "@dagger.io/dagger";
import { CACHE_BUSTERS, cliIn } from "./containers.js";
import {
  cliArgv,
  deployCommand,
  rollbackCommand,
  statusCommand,
  type DeployRequest,
  type DeployTarget,
} from "./deploy.js";
import { cliExitMeaning } from "./errors.js";
import { CLI_EXIT_CODES } from "./exit-codes.gen.js";
import { LAYOUT } from "./layout.js";
import { cli, type Toolbox } from "./toolbox.js";

/** Where a blue-green command runs: the checkout with its `.git` and environments/, and the secrets it may need. */
export interface Checkout {
  source: Directory;
  secrets: DeploySecrets;
}

/** A deploy as index.ts declares it: the gate report as a file rather than whether one is mounted. */
export type DeployInput = Omit<DeployRequest, "gateReport"> & { gateReport: File | undefined };

/** `portcullis deploy`: the CLI's output once the release is live; any other exit fails the call with it. */
export async function deployRelease(tools: Toolbox, at: Checkout, input: DeployInput): Promise<string> {
  const argv = deployCommand({ ...input, gateReport: input.gateReport !== undefined });
  return run(tools, at, "deploy", argv, input.gateReport);
}

/** `portcullis rollback`: the CLI's output once traffic is verified on the old slot. */
export async function rollbackRelease(
  tools: Toolbox,
  at: Checkout,
  target: DeployTarget,
  options: { toPrevious: boolean; reason: string | undefined },
): Promise<string> {
  return run(tools, at, "rollback", rollbackCommand(target, options.toPrevious, options.reason));
}

/** `portcullis status`: where the environment stands, as text or JSON. */
export async function environmentStatus(
  tools: Toolbox,
  at: Checkout,
  target: DeployTarget,
  format: string,
): Promise<string> {
  return run(tools, at, "status", statusCommand(target, format));
}

/** The output of a command that exited 0; any other exit code fails the call with the output and what the CLI means by it. */
export async function ranOrThrow(command: "deploy" | "rollback" | "status", ran: Container): Promise<string> {
  const exitCode = await ran.exitCode();
  const output = `${await ran.stdout()}${await ran.stderr()}`;
  if (exitCode === CLI_EXIT_CODES.ok.code) return output;
  throw new Error(`portcullis ${command} exited ${exitCode}: ${cliExitMeaning(exitCode)}\n\n${output}`);
}

/** Secrets a blue-green command may need; each is mounted as a file, never set as a variable or an argument. */
export interface DeploySecrets {
  /** An env file (KEY=value lines) node loads into the CLI's environment. */
  credentials?: Secret | undefined;
  /** A kubeconfig for the gateway-api router. */
  kubeconfig?: Secret | undefined;
}

/**
 * The CLI container for deploy, rollback and status: git added (state, ledger and lock live in a
 * git ref of the repository, fetched and pushed by the CLI), told the checkout is safe (it belongs
 * to another user), and the secrets mounted as files.
 */
export function deployContainer(cli: Container, tree: Directory, secrets: DeploySecrets): Container {
  let container = cli
    .withExec(["apt-get", "update"])
    .withExec(["apt-get", "install", "--yes", "--no-install-recommends", "git", "ca-certificates"])
    // In the system config rather than GIT_CONFIG_*: a credentials file may set those for the remote.
    .withExec(["git", "config", "--system", "--add", "safe.directory", "*"]);
  container = cliIn(container, tree);
  if (secrets.credentials !== undefined)
    container = container.withMountedSecret(LAYOUT.credentials, secrets.credentials);
  if (secrets.kubeconfig !== undefined)
    container = container
      .withMountedSecret(LAYOUT.kubeconfig, secrets.kubeconfig)
      .withEnvVariable("KUBECONFIG", LAYOUT.kubeconfig);
  return container;
}

/** Runs one blue-green command and keeps any exit code: the caller maps it (a rollback is not a success). */
export function deployRun(container: Container, argv: readonly string[]): Container {
  return container
    .withEnvVariable(CACHE_BUSTERS.call, crypto.randomUUID())
    .withExec([...argv], { expect: ReturnType.Any });
}

// --- internal ---

/** One blue-green command in the CLI container, the gate report mounted when given. */
function run(
  tools: Toolbox,
  at: Checkout,
  command: "deploy" | "rollback" | "status",
  argv: readonly string[],
  gateReport?: File,
): Promise<string> {
  let container = deployContainer(cli(tools), at.source, at.secrets);
  if (gateReport !== undefined) container = container.withMountedFile(LAYOUT.gateReport, gateReport);
  return ranOrThrow(command, deployRun(container, cliArgv(argv, at.secrets.credentials !== undefined)));
}
