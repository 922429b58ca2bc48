import semver from "semver";
import type {
  Declaration,
  EcosystemAdapter,
  FixStep,
  Inventory,
  LockMove,
  ProjectFiles,
  VersionScheme,
} from "./ecosystem.js";
import {
  LOCKFILE,
  manifestPaths,
  nameAt,
  npmInventory,
  parseLockfile,
  resolveDependency,
  workspaceFolders,
  type Lockfile,
} from "./npm-lockfile.js";
import type { FixPlan, PlannedUpgrade } from "./plan.js";

/**
 * The npm adapter of `portcullis fix`. Every npm step runs with `--package-lock-only` (package.json
 * and package-lock.json are written, node_modules is not touched) and `--ignore-scripts` (fixing a
 * lockfile never runs a package's install scripts): the change is the two files, and `npm ci`
 * installs it afterwards.
 */

/** npm's release lines as a caret range reads them: the major, `0.<minor>`, `0.0.<patch>`. */
export const npmVersions: VersionScheme = {
  valid: (version) => semver.valid(version) !== null,
  compare: (a, b) => semver.compare(a, b),
  line(version) {
    const parsed = semver.parse(version);
    if (parsed === null) return version;
    if (parsed.major > 0) return `${parsed.major}`;
    return parsed.minor > 0 ? `0.${parsed.minor}` : `0.0.${parsed.patch}`;
  },
};

/** The flags of every npm step: the lockfile and manifests only, no scripts, no audit or funding noise. */
export const NPM_STEP_FLAGS = ["--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"] as const;

const SECTION_FLAGS: Readonly<Record<string, string>> = {
  dependencies: "--save-prod",
  devDependencies: "--save-dev",
  optionalDependencies: "--save-optional",
};

/** `^1.2.3`, `~1.2.3`, `1.2.3` (also `=1.2.3`, `v1.2.3`): the range styles npm itself saves. */
const SAVED_RANGE = /^(?<prefix>[\^~]|=?v?)\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export const npm: EcosystemAdapter = {
  name: "npm",
  trivyTypes: ["npm"],
  lockfile: LOCKFILE,
  unsupportedFiles: [
    {
      file: "npm-shrinkwrap.json",
      why: "npm-shrinkwrap.json takes precedence over package-lock.json; fix edits package-lock.json only",
      fix: "fix this project by hand",
    },
    {
      // npm 7+ updates a yarn.lock it finds: fix could neither restore it nor show it in fix.patch.
      file: "yarn.lock",
      why: "yarn.lock beside package-lock.json: npm rewrites yarn.lock whenever it runs there, and fix edits package-lock.json only",
      fix: "remove the lockfile of the package manager the project does not use, or fix this project by hand",
    },
  ],
  versions: npmVersions,
  manifestFiles: (lockfileText) => manifestPaths(parseLockfile(lockfileText)),
  inventory: (files) => npmInventory(files),
  cannotRewrite(name, declaration) {
    if (SAVED_RANGE.test(declaration.range.trim())) return undefined;
    return `${declaration.manifest} declares ${name} as ${JSON.stringify(declaration.range)} in ${declaration.section}; fix rewrites ^, ~ and exact versions only: change it by hand`;
  },
  steps: npmSteps,
  unplannedMoves,
};

/** The npm commands (and the one manifest edit) that apply a plan, in order: direct upgrades, then overrides. */
export function npmSteps(plan: FixPlan, inventory: Inventory): FixStep[] {
  const steps: FixStep[] = [];
  const groups = new Map<string, { declaration: Declaration; specs: string[] }>();
  for (const upgrade of plan.upgrades.filter((entry) => entry.via === "direct")) {
    for (const declaration of upgrade.declaredBy) {
      const key = `${declaration.workspace ?? ""}\u0000${declaration.section}\u0000${rangeStyle(declaration.range)}`;
      const group = groups.get(key) ?? { declaration, specs: [] };
      group.specs.push(`${upgrade.name}@${upgrade.to}`);
      groups.set(key, group);
    }
  }
  for (const { declaration, specs } of groups.values()) {
    steps.push({
      kind: "run",
      argv: [
        "npm",
        "install",
        ...NPM_STEP_FLAGS,
        ...(declaration.workspace === undefined ? [] : ["--workspace", declaration.workspace]),
        SECTION_FLAGS[declaration.section] ?? "--save-prod",
        ...styleFlags(rangeStyle(declaration.range)),
        ...specs,
      ],
      why: `upgrade ${specs.join(", ")} in ${declaration.manifest} (${declaration.section})`,
    });
  }
  const overrides = plan.upgrades.filter((entry) => entry.via === "override");
  if (overrides.length > 0) {
    steps.push({
      kind: "edit",
      file: "package.json",
      edit: (text) => withOverrides(text, overrides),
      why: `add overrides for ${overrides.map((entry) => `${entry.name}@${entry.from} → ${entry.to}`).join(", ")}`,
    });
    if (inventory.workspaces.length > 0)
      steps.push({
        kind: "edit",
        file: LOCKFILE,
        edit: (text) => withoutWorkspaceCopies(text, overrides),
        why: "drop the vulnerable copies reached through a workspace, and their dependents, so npm resolves them again",
      });
    steps.push({
      kind: "run",
      argv: ["npm", "install", ...NPM_STEP_FLAGS],
      why: "apply the overrides to package-lock.json",
    });
  }
  return steps;
}

/**
 * The override key names the vulnerable version (`foo@1.0.0`): only edges that could resolve to it
 * are redirected, so a copy of another major elsewhere in the tree stays where it is. The value is
 * the fixing version itself, the smallest change.
 */
export function overrideKey(upgrade: Pick<PlannedUpgrade, "name" | "from">): string {
  return `${upgrade.name}@${upgrade.from}`;
}

/** package.json with the overrides added, keeping its indentation and line endings. */
export function withOverrides(text: string, upgrades: readonly PlannedUpgrade[]): string {
  const manifest = JSON.parse(text) as Record<string, unknown>;
  const existing = manifest["overrides"];
  const overrides: Record<string, unknown> = typeof existing === "object" && existing !== null ? { ...existing } : {};
  for (const upgrade of upgrades) overrides[overrideKey(upgrade)] = upgrade.to;
  manifest["overrides"] = overrides;
  const indent = /^([ \t]+)"/m.exec(text)?.[1] ?? "  ";
  const newline = text.includes("\r\n") ? "\r\n" : "\n";
  const body = JSON.stringify(manifest, null, indent).replaceAll("\n", newline);
  return /\r?\n$/.test(text) ? `${body}${newline}` : body;
}

/**
 * npm does not apply a new override to an edge that passes through a workspace while the lockfile
 * already resolves it (npm/cli#8986): the old copy stays. Removing that copy and every entry that
 * leads to it makes npm resolve them again from the workspace, under the override. npm re-resolves
 * a missing entry only from a workspace's or the root's own edges, not from a package's, so the
 * whole chain goes (`top → mid → deep`: all three). Only workspace projects need it; an entry that
 * comes back at another version is named by the unplanned-move check, which reverts the fix.
 */
export function withoutWorkspaceCopies(text: string, upgrades: readonly PlannedUpgrade[]): string {
  const lock = parseLockfile(text);
  const requeued = workspaceRequeue(lock, upgrades);
  if (requeued.size === 0) return text;
  const document = JSON.parse(text) as { packages: Record<string, unknown> };
  for (const location of requeued) Reflect.deleteProperty(document.packages, location);
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The lockfile entries withoutWorkspaceCopies removes: the vulnerable copies and everything depending on them. */
export function workspaceRequeue(lock: Lockfile, upgrades: readonly PlannedUpgrade[]): Set<string> {
  const overrides = upgrades.filter((upgrade) => upgrade.via === "override");
  if (overrides.length === 0 || workspaceFolders(lock).length === 0) return new Set();
  const dependents = new Map<string, string[]>();
  for (const [location, entry] of Object.entries(lock.packages)) {
    if (!location.includes("node_modules/") || entry.link === true) continue;
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const resolved = resolveDependency(lock, location, name);
      if (resolved !== undefined) dependents.set(resolved, [...(dependents.get(resolved) ?? []), location]);
    }
  }
  const queue = Object.entries(lock.packages)
    .filter(([location, entry]) =>
      overrides.some((upgrade) => nameAt(location, entry) === upgrade.name && entry.version === upgrade.from),
    )
    .map(([location]) => location);
  const requeued = new Set<string>();
  while (queue.length > 0) {
    const location = queue.pop() ?? "";
    if (requeued.has(location)) continue;
    requeued.add(location);
    queue.push(...(dependents.get(location) ?? []));
  }
  return requeued;
}

/**
 * Lockfile entries that changed although they are neither a planned package nor one of its own
 * dependencies (before or after). The root and workspace entries mirror the manifests, whose
 * changes the patch shows, and are left out.
 */
export function unplannedMoves(before: ProjectFiles, after: ProjectFiles, plan: FixPlan): LockMove[] {
  const old = parseLockfile(before.get(LOCKFILE) ?? "", LOCKFILE);
  const now = parseLockfile(after.get(LOCKFILE) ?? "", LOCKFILE);
  const planned = new Set(plan.upgrades.map((upgrade) => upgrade.name));
  const allowed = new Set([...ownTrees(old, planned), ...ownTrees(now, planned)]);
  const requeuedNames = new Set(
    [...workspaceRequeue(old, plan.upgrades)].map((location) => nameAt(location, old.packages[location])),
  );
  const moves: LockMove[] = [];
  if (old.lockfileVersion !== now.lockfileVersion) {
    moves.push({
      location: "lockfileVersion",
      name: "lockfileVersion",
      before: `${old.lockfileVersion}`,
      after: `${now.lockfileVersion}`,
      resolvedAgain: false,
    });
  }
  const locations = new Set([...Object.keys(old.packages), ...Object.keys(now.packages)]);
  for (const location of [...locations].sort()) {
    if (allowed.has(location) || !location.includes("node_modules/")) continue;
    const a = old.packages[location];
    const b = now.packages[location];
    if (a !== undefined && b !== undefined && sameEntry(a, b)) continue;
    const name = nameAt(location, b ?? a);
    moves.push({ location, name, before: shown(a), after: shown(b), resolvedAgain: requeuedNames.has(name) });
  }
  return moves;
}

// --- internal ---

type RangeStyle = "^" | "~" | "exact";

function rangeStyle(range: string): RangeStyle {
  const prefix = SAVED_RANGE.exec(range.trim())?.groups?.["prefix"];
  return prefix === "^" || prefix === "~" ? prefix : "exact";
}

function styleFlags(style: RangeStyle): string[] {
  return style === "exact" ? ["--save-exact"] : ["--save-exact=false", `--save-prefix=${style}`];
}

/** Every location a planned package occupies, and everything those copies depend on, transitively. */
function ownTrees(lock: Lockfile, planned: ReadonlySet<string>): Set<string> {
  const seen = new Set<string>();
  const queue = Object.entries(lock.packages)
    .filter(([location, entry]) => location.includes("node_modules/") && planned.has(nameAt(location, entry)))
    .map(([location]) => location);
  while (queue.length > 0) {
    const location = queue.pop() ?? "";
    if (seen.has(location)) continue;
    seen.add(location);
    const entry = lock.packages[location];
    const names = Object.keys({ ...entry?.dependencies, ...entry?.optionalDependencies, ...entry?.peerDependencies });
    for (const name of names) {
      const resolved = resolveDependency(lock, location, name);
      if (resolved !== undefined && !seen.has(resolved)) queue.push(resolved);
    }
  }
  return seen;
}

function sameEntry(a: Lockfile["packages"][string], b: Lockfile["packages"][string]): boolean {
  return a.version === b.version && a.resolved === b.resolved && a.integrity === b.integrity && a.link === b.link;
}

function shown(entry: Lockfile["packages"][string] | undefined): string | undefined {
  if (entry === undefined) return undefined;
  return entry.version ?? entry.resolved ?? "(link)";
}
