/**
 * The argv of the blue-green commands (`portcullis deploy | rollback | status`). Pure: blue-green.ts
 * runs them in the CLI container.
 */
import { checkOperand } from "./argv.js";
import { LAYOUT } from "./layout.js";

/** The CLI's entry point inside the container, run by node itself so that node can load the credentials first. */
export const PORTCULLIS_BIN = `${LAYOUT.cli}/gates/bin/portcullis.js`;

/** What every blue-green command takes: the environment, where state lives, who acts, extra settings. */
export interface DeployTarget {
  env: string;
  /** The git ref state, ledger and lock are kept in (`--state-git-ref`); by default refs/portcullis/<env>. */
  stateGitRef: string | undefined;
  actor: string | undefined;
  /** `deploy:` settings as `key=value` (snake_case or kebab-case key) or a bare `key` for a switch. */
  settings: readonly string[] | undefined;
}

export interface DeployRequest extends DeployTarget {
  release: string;
  commit: string | undefined;
  commitTime: string | undefined;
  /** Whether a gate report is mounted at LAYOUT.gateReport. */
  gateReport: boolean;
  force: boolean;
  reason: string | undefined;
}

/**
 * `node [--env-file=<credentials>] <portcullis> <command> …`: binary first, no shell. With
 * credentials, node loads them into the CLI's environment (webhooks' `env:NAME`, git's
 * GIT_CONFIG_*, whatever the hooks read) and the container itself never holds them.
 */
export function cliArgv(command: readonly string[], credentials: boolean): string[] {
  return ["node", ...(credentials ? [`--env-file=${LAYOUT.credentials}`] : []), PORTCULLIS_BIN, ...command];
}

/** `deploy --release … --env … --state-git-ref …`, the gate report or the recorded --force. */
export function deployCommand(request: DeployRequest): string[] {
  if (request.force && request.reason === undefined)
    throw new Error("force needs a reason: it is recorded in the ledger and notified (--reason=…)");
  if (!request.force && !request.gateReport)
    throw new Error(
      "deploy needs the gate report of the same commit (--gate-report=reports/report.json, from ci), or force with a reason",
    );
  return [
    "deploy",
    "--release",
    checkOperand("release", request.release),
    ...optional("--commit", "commit", request.commit),
    ...optional("--commit-time", "commit time", request.commitTime),
    ...(request.gateReport ? ["--gate-report", LAYOUT.gateReport] : []),
    ...(request.force ? ["--force", `--reason=${checkText("reason", request.reason ?? "")}`] : []),
    ...targetFlags(request),
  ];
}

/** `rollback [--to-previous]`, the reason recorded in the ledger. */
export function rollbackCommand(target: DeployTarget, toPrevious: boolean, reason: string | undefined): string[] {
  return [
    "rollback",
    ...(toPrevious ? ["--to-previous"] : []),
    ...(reason === undefined ? [] : [`--reason=${checkText("reason", reason)}`]),
    ...targetFlags(target),
  ];
}

/** `status --format text|json`. */
export function statusCommand(target: DeployTarget, format: string): string[] {
  if (format !== "text" && format !== "json") throw new Error(`format ${JSON.stringify(format)} is not text or json`);
  return ["status", "--format", format, ...targetFlags(target)];
}

/** The ref state lives in when none is given: one per environment name. */
export function defaultStateRef(env: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(env))
    throw new Error(
      `env ${JSON.stringify(env)} is not a plain environment name, so no state ref can be derived from it: give stateGitRef (refs/portcullis/<name>)`,
    );
  return `refs/portcullis/${env}`;
}

// --- internal ---

function targetFlags(target: DeployTarget): string[] {
  const env = checkOperand("env", target.env);
  const ref = target.stateGitRef === undefined ? defaultStateRef(env) : checkOperand("stateGitRef", target.stateGitRef);
  return [
    "--env",
    env,
    "--state-git-ref",
    ref,
    ...optional("--actor", "actor", target.actor),
    ...(target.settings ?? []).map(settingFlag),
  ];
}

function optional(flag: string, name: string, value: string | undefined): string[] {
  return value === undefined ? [] : [flag, checkOperand(name, value)];
}

/**
 * `bake=45s` -> `--bake=45s`, `manual_promotion` -> `--manual-promotion`. One token with `=`, so a
 * value (a hook command with spaces, one starting with a dash) is never read as another option.
 */
function settingFlag(setting: string): string {
  const match = /^([a-z][a-z0-9_-]*)(?:=(.*))?$/s.exec(setting);
  const key = match?.[1];
  if (match === null || key === undefined)
    throw new Error(
      `setting ${JSON.stringify(setting)} is not key=value: give a deploy: key such as bake=45s or manual_promotion`,
    );
  const flag = `--${key.replaceAll("_", "-")}`;
  const value = match[2];
  return value === undefined ? flag : `${flag}=${checkText(key, value)}`;
}

/** Free text (a reason, a hook command) may hold spaces; control characters would garble the ledger. */
function checkText(name: string, value: string): string {
  if (value.trim() === "" || /\p{Cc}/u.test(value))
    throw new Error(`${name} ${JSON.stringify(value)} is empty or holds control characters`);
  return value;
}
