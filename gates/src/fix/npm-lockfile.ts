import picomatch from "picomatch";
import semver from "semver";
import { z } from "zod";
import { ConfigError, quote } from "../errors.js";
import { describeIssues, schemaIssues } from "../zod-issues.js";
import type { Declaration, InstalledPackage, Inventory, ProjectFiles } from "./ecosystem.js";

/*
 * package-lock.json v2/v3 (npm 7+), reduced to what fix reads: the `packages` map keyed by
 * location (`""` the root, `node_modules/a`, `node_modules/a/node_modules/b`, `packages/api` a
 * workspace folder and `node_modules/api` its link). Unknown keys are kept out of the way, not
 * refused: npm adds fields between versions.
 */

const DependencyMap = z.record(z.string(), z.string()).optional();

const LockEntry = z.object({
  name: z.string().optional(),
  version: z.string().optional(),
  resolved: z.string().optional(),
  integrity: z.string().optional(),
  link: z.boolean().optional(),
  dependencies: DependencyMap,
  optionalDependencies: DependencyMap,
  peerDependencies: DependencyMap,
  devDependencies: DependencyMap,
  workspaces: z.unknown().optional(),
});
export type LockEntry = z.infer<typeof LockEntry>;

const Lockfile = z.object({
  lockfileVersion: z.union([z.literal(2), z.literal(3)], {
    error: "lockfileVersion 2 or 3 (npm 7 or later); lockfileVersion 1 has no `packages` map",
  }),
  packages: z.record(z.string(), LockEntry),
});
export type Lockfile = z.infer<typeof Lockfile>;

const Manifest = z.object({
  dependencies: DependencyMap,
  devDependencies: DependencyMap,
  optionalDependencies: DependencyMap,
  peerDependencies: DependencyMap,
  overrides: z.record(z.string(), z.unknown()).optional(),
});

/** The manifest sections whose dependencies npm installs (peers are a consumer's business). */
export const INSTALLED_SECTIONS = ["dependencies", "devDependencies", "optionalDependencies"] as const;

export const LOCKFILE = "package-lock.json";

/** Parses package-lock.json; a v1 lockfile or a broken one is a ConfigError naming the field. */
export function parseLockfile(text: string, file = LOCKFILE): Lockfile {
  const parsed = Lockfile.safeParse(parseJson(text, file));
  if (!parsed.success) {
    throw new ConfigError(
      "CONFIG_INVALID",
      `not a package-lock.json v2/v3: ${describeIssues(schemaIssues(parsed.error), 3)}`,
      {
        file,
        fix: "run `npm install --package-lock-only` with npm 7 or later to write a v3 lockfile, commit it, then run fix again",
      },
    );
  }
  return parsed.data;
}

/**
 * The workspace folders the lockfile names (`packages/api`): the root's link entries that its
 * `workspaces` patterns match. A `file:` dependency is a link too, but no workspace: npm refuses
 * `--workspace` for it, and its own dependencies are transitive ones of the root.
 */
export function workspaceFolders(lock: Lockfile): string[] {
  const isWorkspace = picomatch(workspacePatterns(lock.packages[""]?.workspaces));
  const folders = new Set<string>();
  for (const entry of Object.values(lock.packages)) {
    if (
      entry.link === true &&
      entry.resolved !== undefined &&
      !entry.resolved.startsWith("..") &&
      !entry.resolved.includes(":") &&
      isWorkspace(entry.resolved)
    ) {
      folders.add(entry.resolved);
    }
  }
  return [...folders].sort();
}

/** package.json's `workspaces` as npm reads it: a list of folders and globs, or `{ packages: [...] }`. */
function workspacePatterns(workspaces: unknown): string[] {
  const list =
    typeof workspaces === "object" && workspaces !== null && !Array.isArray(workspaces) && "packages" in workspaces
      ? workspaces.packages
      : workspaces;
  if (!Array.isArray(list)) return [];
  return list
    .filter((pattern): pattern is string => typeof pattern === "string")
    .map((pattern) => pattern.replace(/^\.\//, "").replace(/\/+$/, ""));
}

/** The manifests fix reads: the root's and every workspace's package.json. */
export function manifestPaths(lock: Lockfile): string[] {
  return ["package.json", ...workspaceFolders(lock).map((folder) => `${folder}/package.json`)];
}

/** Every installed package, with the manifests whose direct dependency resolves to it. */
export function npmInventory(files: ProjectFiles): Inventory {
  const lock = parseLockfile(required(files, LOCKFILE));
  const owners = [
    { folder: "", manifest: "package.json" },
    ...workspaceFolders(lock).map((folder) => ({ folder, manifest: `${folder}/package.json` })),
  ];
  const declarations = new Map<string, Declaration[]>();
  let root: z.infer<typeof Manifest> = {};
  for (const owner of owners) {
    const manifest = parseManifest(required(files, owner.manifest), owner.manifest);
    if (owner.folder === "") root = manifest;
    for (const section of INSTALLED_SECTIONS) {
      for (const [name, range] of Object.entries(manifest[section] ?? {})) {
        const location = resolveDependency(lock, owner.folder, name);
        if (location === undefined) continue;
        const declaration: Declaration = {
          manifest: owner.manifest,
          workspace: owner.folder === "" ? undefined : owner.folder,
          section,
          range,
        };
        declarations.set(location, [...(declarations.get(location) ?? []), declaration]);
      }
    }
  }
  const packages: InstalledPackage[] = [];
  for (const [location, entry] of Object.entries(lock.packages)) {
    if (location === "" || entry.link === true || entry.version === undefined || !location.includes("node_modules/"))
      continue;
    packages.push({
      name: nameAt(location, entry),
      version: entry.version,
      location,
      declaredBy: declarations.get(location) ?? [],
    });
  }
  return {
    lockfile: LOCKFILE,
    workspaces: workspaceFolders(lock),
    packages,
    cannotOverride: (name, version) => rootConflict(root, name, version) ?? existingOverride(root, name, version),
  };
}

/**
 * npm refuses an override whose key a direct dependency of the root could resolve to (EOVERRIDE,
 * "conflicts with direct dependency"): `deep@1.4.0` next to the root's `deep: ^1.0.0`. Next to
 * `deep: ^2.0.0` it is accepted. A range npm's semver does not read (an alias, a git URL) is taken
 * as conflicting.
 */
function rootConflict(root: z.infer<typeof Manifest>, name: string, version: string): string | undefined {
  // npm checks the root's peer dependencies too (EOVERRIDE on `npm install`, tried with npm 11).
  for (const section of [...INSTALLED_SECTIONS, "peerDependencies"] as const) {
    const range = root[section]?.[name];
    if (range === undefined) continue;
    if (semver.validRange(range) !== null && !semver.satisfies(version, range)) continue;
    return `the root package.json also declares ${name} as ${JSON.stringify(range)} in ${section}, which ${version} satisfies, and npm refuses an override that conflicts with it (EOVERRIDE): upgrade the root's ${name} or the packages that bring this copy`;
  }
  return undefined;
}

/**
 * An override already in package.json that names the package, at any depth (`deep`, `deep@~1.4.0`,
 * `parent.deep`), keeps deciding its version: npm applies it rather than a new `deep@1.4.0` key, so
 * the vulnerable copy would stay.
 */
function existingOverride(root: z.infer<typeof Manifest>, name: string, version: string): string | undefined {
  const found = overrideNaming(root.overrides ?? {}, name, version, "overrides");
  if (found === undefined) return undefined;
  return `package.json's ${found.path} already sets ${name} to ${JSON.stringify(found.value)}, and npm keeps applying it instead of a new override: change or remove that entry, then run fix again`;
}

function overrideNaming(
  overrides: Readonly<Record<string, unknown>>,
  name: string,
  version: string,
  at: string,
): { path: string; value: unknown } | undefined {
  for (const [key, value] of Object.entries(overrides)) {
    const path = `${at}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`;
    const { name: keyName, spec } = overrideKeyParts(key);
    const applies = spec === undefined || semver.validRange(spec) === null || semver.satisfies(version, spec);
    if (keyName === name && applies) {
      const own = typeof value === "object" && value !== null ? (value as Record<string, unknown>)["."] : value;
      return { path, value: own };
    }
    if (typeof value === "object" && value !== null) {
      const nested = overrideNaming(value as Record<string, unknown>, name, version, path);
      if (nested !== undefined) return nested;
    }
  }
  return undefined;
}

/** `deep`, `deep@1.4.0`, `@scope/deep@^1`: the package name and the version spec, if any. */
function overrideKeyParts(key: string): { name: string; spec: string | undefined } {
  const at = key.indexOf("@", key.startsWith("@") ? 1 : 0);
  return at < 0 ? { name: key, spec: undefined } : { name: key.slice(0, at), spec: key.slice(at + 1) };
}

/**
 * Node's resolution over lockfile locations: `name` required from `from` is the nearest
 * `<ancestor>/node_modules/<name>`, walking up to the root.
 */
export function resolveDependency(lock: Lockfile, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (lock.packages[candidate] !== undefined) return candidate;
    if (base === "") return undefined;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut < 0 ? "" : base.slice(0, cut);
  }
}

/** The package name of a location: what follows its last `node_modules/` (scoped names keep their scope). */
export function nameAt(location: string, entry?: LockEntry): string {
  if (entry?.name !== undefined && entry.link !== true) return entry.name;
  const index = location.lastIndexOf("node_modules/");
  return index < 0 ? location : location.slice(index + "node_modules/".length);
}

export function parseManifest(text: string, file: string): z.infer<typeof Manifest> {
  const parsed = Manifest.safeParse(parseJson(text, file));
  if (!parsed.success) {
    throw new ConfigError(
      "CONFIG_INVALID",
      `unexpected package.json content: ${describeIssues(schemaIssues(parsed.error), 3)}`,
      {
        file,
        fix: "make the dependency sections objects of name → range, as npm writes them",
      },
    );
  }
  return parsed.data;
}

// --- internal ---

function required(files: ProjectFiles, file: string): string {
  const text = files.get(file);
  if (text === undefined) {
    throw new ConfigError("CONFIG_INVALID", "file not found", {
      file,
      fix:
        file === LOCKFILE
          ? "commit a package-lock.json (`npm install --package-lock-only`)"
          : "the lockfile names this workspace: restore its package.json or run `npm install`",
    });
  }
  return text;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(
      "CONFIG_INVALID",
      `not valid JSON (${quote(error instanceof Error ? error.message : String(error))})`,
      {
        file,
        fix: "restore the file from version control or let npm rewrite it",
        cause: error,
      },
    );
  }
}
