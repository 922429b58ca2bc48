import type { FixPlan } from "./plan.js";

/**
 * What `portcullis fix` needs from a package ecosystem. The planner (plan.ts) is ecosystem-blind:
 * it groups findings, picks target versions through the ecosystem's VersionScheme and splits the
 * work into "declared directly" and "only transitive". Everything that knows a file format or a
 * package manager's command line is one adapter implementing this interface: npm now (npm.ts); Go
 * modules (`go get <mod>@<v>` + `go mod tidy`, a `replace` for transitive-only) and pip pins
 * (requirements files, `pip-compile --upgrade-package`) are one adapter each later. Adapters are
 * pure: the CLI reads the files they name, runs the steps they return and hands back the results.
 */
export interface EcosystemAdapter {
  /** `npm`, later `gomod`, `pip`. */
  readonly name: string;
  /** trivy `Results[].Type` values whose findings this ecosystem can fix (`npm` for package-lock.json). */
  readonly trivyTypes: readonly string[];
  /** The lockfile, relative to the project folder: its presence selects the adapter. */
  readonly lockfile: string;
  /** Files whose presence means the project is of a layout this adapter cannot fix (npm-shrinkwrap.json), and what to do. */
  readonly unsupportedFiles: readonly { file: string; why: string; fix: string }[];
  readonly versions: VersionScheme;
  /** Why a manifest's declaration of `name` cannot be rewritten by the package manager, if so. */
  cannotRewrite(name: string, declaration: Declaration): string | undefined;
  /** The files to read besides the lockfile (manifests of the workspaces the lockfile names). */
  manifestFiles(lockfileText: string): string[];
  /** Reads the project: every installed package, where it is declared. Throws a PortcullisError naming the file. */
  inventory(files: ProjectFiles): Inventory;
  /** The edits and commands that apply the plan, in order. */
  steps(plan: FixPlan, inventory: Inventory): FixStep[];
  /** What changed in the lockfile beyond the planned packages and their own dependencies. */
  unplannedMoves(before: ProjectFiles, after: ProjectFiles, plan: FixPlan): LockMove[];
}

/** How an ecosystem orders versions and what it counts as a breaking change. */
export interface VersionScheme {
  valid(version: string): boolean;
  /** Negative, zero or positive, as for Array.prototype.sort. */
  compare(a: string, b: string): number;
  /**
   * The release line a version belongs to: moving inside a line is not a breaking change by the
   * ecosystem's rules (npm: the major, or `0.<minor>` below 1.0.0, as a caret range reads it).
   */
  line(version: string): string;
}

/** Project files by path relative to the project folder (forward slashes). */
export type ProjectFiles = ReadonlyMap<string, string>;

/** One manifest's declaration of a package. */
export interface Declaration {
  /** The manifest, relative to the project folder (`package.json`, `packages/api/package.json`). */
  manifest: string;
  /** The workspace folder when the manifest is a workspace's (`packages/api`), undefined for the root. */
  workspace: string | undefined;
  /** The manifest section (`dependencies`, `devDependencies`, `optionalDependencies`). */
  section: string;
  /** The range as written (`^1.2.0`). */
  range: string;
}

/** One installed copy of a package. */
export interface InstalledPackage {
  name: string;
  version: string;
  /** Where the lockfile records it (npm: `node_modules/a/node_modules/b`). */
  location: string;
  /** The manifests whose direct dependency resolves to this copy; empty when it only arrives transitively. */
  declaredBy: readonly Declaration[];
}

export interface Inventory {
  lockfile: string;
  /** Workspace folders of the project (npm workspaces, later go.work members). */
  workspaces: readonly string[];
  packages: readonly InstalledPackage[];
  /**
   * Why the transitive-only copy `name@version` cannot be overridden, if so (npm: the root manifest
   * declares the name with a range that version satisfies, which npm refuses with EOVERRIDE, or an
   * override the manifest already has for it wins over a new one).
   */
  cannotOverride(name: string, version: string): string | undefined;
}

/** One thing to do to apply a plan. Edits are functions of the file's text at the time they run. */
export type FixStep =
  | { kind: "run"; argv: readonly string[]; why: string }
  | { kind: "edit"; file: string; edit: (text: string) => string; why: string };

/** A lockfile entry that changed although the plan did not ask for it. */
export interface LockMove {
  location: string;
  name: string;
  before: string | undefined;
  after: string | undefined;
  /**
   * fix itself had the package manager resolve this entry again (npm: on the way to a workspace's
   * override), and it came back at another version within its range.
   */
  resolvedAgain: boolean;
}

/** `node_modules/a (1.0.0 → 2.0.0)`, `node_modules/b (added 1.0.0)`. */
export function describeMove(move: LockMove): string {
  const what =
    move.before === undefined
      ? `added ${move.after ?? "?"}`
      : move.after === undefined
        ? `removed ${move.before}`
        : `${move.before} → ${move.after}`;
  return `${move.name} ${what} (${move.location})`;
}
