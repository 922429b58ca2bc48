import { InternalError, UsageError, quote } from "../errors.js";
import {
  GITIGNORE_ENTRY,
  SCAFFOLD_ENVIRONMENTS,
  daggerWorkflow,
  environmentFile,
  hostWorkflow,
  validateConfigFile,
  waiversFile,
  type HostToolVersions,
  type TemplateContext,
} from "./templates.js";

/**
 * What `portcullis init` writes, decided from data (the CLI reads the built-ins and the repository,
 * and writes): the files, the `.gitignore` line and the commands to run next.
 */

/** One file to write, repository-relative with forward slashes. */
export interface ScaffoldFile {
  path: string;
  content: string;
}

export interface ScaffoldInput {
  context: TemplateContext;
  /** The built-in environment files' text, by name. */
  builtinEnvironments: Readonly<Record<string, string>>;
  /** The built-in JSON Schema of environment files (the environment files name it for editors). */
  schemaJson: string;
  /** Also write the workflow that runs the gates on the runner itself. */
  hostWorkflow: HostToolVersions | undefined;
}

/** The workflow file init writes for the Dagger module, and the one for the host runner. */
export const WORKFLOW_FILES = {
  dagger: ".github/workflows/portcullis.yml",
  host: ".github/workflows/portcullis-host.yml",
} as const;

/** Every file, in the order they are listed to the user. */
export function scaffoldFiles(input: ScaffoldInput): ScaffoldFile[] {
  const environments = SCAFFOLD_ENVIRONMENTS.map((name) => {
    const builtin = input.builtinEnvironments[name];
    if (builtin === undefined) {
      throw new InternalError(`the built-in ${name} policy is missing from the package`, {
        fix: "reinstall portcullis (npm install -D portcullis)",
      });
    }
    return { path: `environments/${name}.yml`, content: environmentFile(name, builtin, input.context) };
  });
  return [
    ...environments,
    { path: "environments/schema.json", content: input.schemaJson },
    { path: ".portcullis/waivers.yml", content: waiversFile(input.context) },
    { path: "portcullis.yml", content: validateConfigFile(input.context) },
    { path: WORKFLOW_FILES.dagger, content: daggerWorkflow(input.context) },
    ...(input.hostWorkflow === undefined
      ? []
      : [{ path: WORKFLOW_FILES.host, content: hostWorkflow(input.context, input.hostWorkflow) }]),
  ];
}

/** `.gitignore` with the reports folder in it, or undefined when it already ignores it. */
export function gitignoreWithReports(existing: string | undefined): string | undefined {
  const lines = (existing ?? "").split(/\r?\n/).map((line) => line.trim());
  if (lines.some((line) => ["reports", "reports/", "/reports", "/reports/"].includes(line))) return undefined;
  const before =
    existing === undefined || existing === "" ? "" : existing.endsWith("\n") ? `${existing}\n` : `${existing}\n\n`;
  return `${before}${GITIGNORE_ENTRY.join("\n")}\n`;
}

/** The three commands that follow init. */
export function nextCommands(runner: string): string[] {
  return [
    `${runner} policy check`,
    `${runner} ci --env development`,
    'git add environments .portcullis portcullis.yml .github/workflows .gitignore && git commit -m "Add Portcullis quality gates"',
  ];
}

/**
 * The Dagger module address (`github.com/<owner>/<name>`) from an npm `repository` URL: the forms
 * npm accepts for GitHub (`git+https://….git`, `https://…`, `git@github.com:…`, `github:owner/name`).
 */
export function moduleAddressFrom(repository: string): string {
  const trimmed = repository.trim();
  const shorthand = /^(?:github:)?([\w.-]+)\/([\w.-]+?)(?:\.git)?$/.exec(trimmed);
  if (shorthand !== null) return `github.com/${shorthand[1]}/${shorthand[2]}`;
  const url = /^(?:git\+)?(?:https?|ssh|git):\/\/(?:[^@/]+@)?([^/:]+)[/:]([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(
    trimmed,
  );
  if (url !== null) return `${url[1]}/${url[2]}/${url[3]}`;
  const scp = /^[^@/]+@([^:/]+):([\w.-]+)\/([\w.-]+?)(?:\.git)?$/.exec(trimmed);
  if (scp !== null) return `${scp[1]}/${scp[2]}/${scp[3]}`;
  throw new UsageError("USAGE", `cannot tell the Dagger module's address from the repository ${quote(repository)}`, {
    fix: "pass --module github.com/<owner>/<name>",
  });
}
