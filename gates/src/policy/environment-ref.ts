import path from "node:path";
import { UsageError, quote } from "../errors.js";
import { closestMatch } from "./suggest.js";

/** The folder of environment files, relative to the repository root. */
export const ENVIRONMENTS_DIR = "environments";

/** What `--env` named: an environment by name, or a file by path. */
export type EnvironmentRef = { kind: "name"; name: string; file: string } | { kind: "path"; file: string };

/**
 * Resolves `--env <name|path>` against the repository root: a value containing `/` (or `\`) or
 * ending in `.yml`/`.yaml` is a path (relative to root); anything else is a name, meaning
 * `environments/<name>.yml`.
 */
export function resolveEnvironmentRef(ref: string, root: string): EnvironmentRef {
  const trimmed = ref.trim();
  if (trimmed === "") {
    throw new UsageError("USAGE", "--env needs an environment name or a policy file", {
      fix: "use --env development|staging|production, or --env path/to/policy.yml",
    });
  }
  if (/[/\\]/.test(trimmed) || /\.ya?ml$/i.test(trimmed)) return { kind: "path", file: path.resolve(root, trimmed) };
  return { kind: "name", name: trimmed, file: path.join(root, ENVIRONMENTS_DIR, `${trimmed}.yml`) };
}

/** The error for an environment name with no file, listing those that exist. */
export function unknownEnvironment(name: string, available: readonly string[]): UsageError {
  const suggestion = closestMatch(name, available);
  const list = available.length === 0 ? `none found in ${ENVIRONMENTS_DIR}/` : `available: ${available.join(", ")}`;
  return new UsageError(
    "USAGE",
    `unknown environment ${quote(name)}${suggestion === undefined ? "" : ` — did you mean "${suggestion}"?`} (${list})`,
    {
      fix:
        available.length === 0
          ? "run from the repository root, or give the path of a policy file (path/to/policy.yml)"
          : `${suggestion === undefined ? "use one of the available names" : `use "${suggestion}"`}, or give the path of a policy file (path/to/policy.yml)`,
    },
  );
}
