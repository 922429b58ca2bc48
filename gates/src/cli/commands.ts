import type { Command } from "commander";
import type { CliIo } from "./io.js";

/** A command registers itself on the program and reports its exit code through `setExit`. */
export type RegisterCommand = (program: Command, io: CliIo, setExit: (code: number) => void) => void;

/** One file of the CLI: the top-level command names it registers, and how to load it. */
export interface CommandModule {
  names: readonly string[];
  load: () => Promise<RegisterCommand>;
}

/**
 * Every command of the CLI, one file each, in the order help lists them. Loaded on use: a command
 * loads only its own modules (`evaluate` never loads the deploy routers, the Kubernetes client or
 * undici), which is a third of a second of start-up on every run.
 */
export const COMMAND_MODULES: readonly CommandModule[] = [
  { names: ["policy"], load: async () => (await import("./policy.js")).registerPolicy },
  { names: ["evaluate"], load: async () => (await import("./evaluate.js")).registerEvaluate },
  { names: ["ci"], load: async () => (await import("./ci.js")).registerCi },
  { names: ["validate"], load: async () => (await import("./validate.js")).registerValidate },
  { names: ["report"], load: async () => (await import("./report.js")).registerReport },
  { names: ["deploy"], load: async () => (await import("./deploy.js")).registerDeploy },
  {
    names: ["status", "promote", "abort", "rollback"],
    load: async () => (await import("./deploy-control.js")).registerDeployControl,
  },
  {
    names: ["history", "ledger", "metrics"],
    load: async () => (await import("./deploy-records.js")).registerDeployRecords,
  },
  { names: ["state"], load: async () => (await import("./deploy-state.js")).registerDeployState },
  { names: ["evidence"], load: async () => (await import("./evidence.js")).registerEvidence },
  { names: ["fix"], load: async () => (await import("./fix.js")).registerFix },
  { names: ["tools"], load: async () => (await import("./tools.js")).registerTools },
  { names: ["init"], load: async () => (await import("./init.js")).registerInit },
];

/**
 * The commands to load for `argv`: the one named first when there is one, none for `--version`
 * (the program answers it alone), else every command (help, a typo: commander then lists or
 * suggests from all of them).
 */
export async function commandsFor(argv: readonly string[]): Promise<RegisterCommand[]> {
  const first = argv[2];
  if (first === "-V" || first === "--version") return [];
  const named = COMMAND_MODULES.find((module) => first !== undefined && module.names.includes(first));
  return Promise.all((named === undefined ? COMMAND_MODULES : [named]).map((module) => module.load()));
}
