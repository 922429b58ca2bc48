import path from "node:path";
import { UsageError, quote } from "../errors.js";
import { BUILTIN_ENVIRONMENTS_DIR } from "./builtin.js";
import { closestMatch } from "./suggest.js";

/** The folder of environment files, relative to the repository root. */
export const ENVIRONMENTS_DIR = "environments";

/**
 * What `--env` named: an environment by name — the repository's `environments/<name>.yml`, else
 * the built-in policy of that name — or a file by path.
 */
export type EnvironmentRef =
  { kind: "name"; name: string; file: string; builtinFile: string } | { kind: "path"; file: string };

/**
 * Resolves `--env <name|path>` against the repository root: a value containing `/` (or `\`) or
 * ending in `.yml`/`.yaml` is a path (relative to root); anything else is a name, meaning
 * `environments/<name>.yml`, then the built-in `<name>.yml`.
 */
export function resolveEnvironmentRef(ref: string, root: string): EnvironmentRef {
  const trimmed = ref.trim();
  if (trimmed === "") {
    throw new UsageError("USAGE", "--env needs an environment name or a policy file", {
      fix: "use --env development|staging|production, or --env path/to/policy.yml",
    });
  }
  if (/[/\\]/.test(trimmed) || /\.ya?ml$/i.test(trimmed)) return { kind: "path", file: path.resolve(root, trimmed) };
  return {
    kind: "name",
    name: trimmed,
    file: path.join(root, ENVIRONMENTS_DIR, `${trimmed}.yml`),
    builtinFile: path.join(BUILTIN_ENVIRONMENTS_DIR, `${trimmed}.yml`),
  };
}

/** The environments found in each place a name is looked up, in lookup order. */
export interface AvailableEnvironments {
  /** The repository's `environments/` folder as shown to the user. */
  folder: string;
  repository: readonly string[];
  builtin: readonly string[];
}

/** The error for an environment name with no file, listing both places searched and what each holds. */
export function unknownEnvironment(name: string, available: AvailableEnvironments): UsageError {
  const every = [...new Set([...available.repository, ...available.builtin])];
  const suggestion = closestMatch(name, every);
  const list = (names: readonly string[]): string => (names.length === 0 ? "none" : names.join(", "));
  const searched = `looked in ${available.folder}/: ${list(available.repository)}; built-in: ${list(available.builtin)}`;
  return new UsageError(
    "USAGE",
    `unknown environment ${quote(name)}${suggestion === undefined ? "" : ` — did you mean "${suggestion}"?`} (${searched})`,
    {
      fix: `${suggestion === undefined ? "use one of the names listed" : `use "${suggestion}"`}, add ${available.folder}/${name}.yml (\`portcullis init\` writes a start), or give the path of a policy file (path/to/policy.yml)`,
    },
  );
}
