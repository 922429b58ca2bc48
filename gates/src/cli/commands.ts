import type { Command } from "commander";
import type { CliIo } from "./io.js";
import { registerCi } from "./ci.js";
import { registerDeploy } from "./deploy.js";
import { registerDeployControl } from "./deploy-control.js";
import { registerDeployRecords } from "./deploy-records.js";
import { registerDeployState } from "./deploy-state.js";
import { registerEvaluate } from "./evaluate.js";
import { registerEvidence } from "./evidence.js";
import { registerFix } from "./fix.js";
import { registerInit } from "./init.js";
import { registerPolicy } from "./policy.js";
import { registerReport } from "./report.js";
import { registerTools } from "./tools.js";
import { registerValidate } from "./validate.js";

/** A command registers itself on the program and reports its exit code through `setExit`. */
export type RegisterCommand = (program: Command, io: CliIo, setExit: (code: number) => void) => void;

/** Every command of the CLI, one file each. */
export const COMMANDS: readonly RegisterCommand[] = [
  registerPolicy,
  registerEvaluate,
  registerCi,
  registerValidate,
  registerReport,
  registerDeploy,
  registerDeployControl,
  registerDeployRecords,
  registerDeployState,
  registerEvidence,
  registerFix,
  registerTools,
  registerInit,
];
