import type { Finding, Severity } from "../findings/finding.js";
import type { Declaration, Inventory, VersionScheme } from "./ecosystem.js";
import { chooseTarget } from "./target-version.js";

/** One advisory behind an upgrade, as the pull-request body and the plan show it. */
export interface Advisory {
  id: string;
  severity: Severity;
  title: string;
  fixed: string[];
  fingerprint: string;
}

/** A package to move from a vulnerable version to one that fixes its advisories. */
export interface PlannedUpgrade {
  name: string;
  from: string;
  to: string;
  /** direct: the manifests that declare it are upgraded; override: it only arrives transitively. */
  via: "direct" | "override";
  /** `to` is in a newer release line (applied only with --allow-major). */
  major: boolean;
  declaredBy: readonly Declaration[];
  advisories: Advisory[];
}

export const SKIP_REASONS = [
  "no-fix",
  "major",
  "no-common-fix",
  "not-in-lockfile",
  "not-overridable",
  "unsupported-range",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** A vulnerable package the plan lists but does not change, and why. */
export interface SkippedPackage {
  name: string;
  installed: string;
  reason: SkipReason;
  /** One sentence for the reader: what stands in the way and what to do. */
  detail: string;
  /** The version that would fix it, when there is one (a new major, for `major`). */
  to?: string | undefined;
  advisories: Advisory[];
}

export interface FixPlan {
  ecosystem: string;
  lockfile: string;
  upgrades: PlannedUpgrade[];
  skipped: SkippedPackage[];
}

export interface PlanInput {
  /** The scanner's findings; only vulnerabilities of this ecosystem's lockfile are considered. */
  findings: readonly Finding[];
  ecosystem: string;
  /** trivy result types this ecosystem fixes (`npm`). */
  trivyTypes: readonly string[];
  inventory: Inventory;
  versions: VersionScheme;
  allowMajor: boolean;
  /** Why a manifest's declaration cannot be rewritten by the package manager (a git URL, `1.x`), if so. */
  cannotRewrite: (name: string, declaration: Declaration) => string | undefined;
}

/**
 * The fix plan: pure. Findings are grouped per installed package (`name@version`); each group gets
 * the lowest version that fixes all its advisories (target-version.ts). A package some manifest
 * declares is upgraded there; one that only arrives transitively is overridden. A new major is
 * listed, not planned, unless allowed; so are packages with no known fix.
 */
export function planFixes(input: PlanInput): FixPlan {
  const plan: FixPlan = { ecosystem: input.ecosystem, lockfile: input.inventory.lockfile, upgrades: [], skipped: [] };
  for (const group of groupFindings(input)) {
    const outcome = planPackage(group, input);
    if ("via" in outcome) plan.upgrades.push(outcome);
    else plan.skipped.push(outcome);
  }
  return plan;
}

/** True when the plan changes nothing. */
export function isEmptyPlan(plan: FixPlan): boolean {
  return plan.upgrades.length === 0;
}

/**
 * Upgrades the package manager did not carry out: the vulnerable copy is still in the new lockfile,
 * or the fixing version is not. The CLI reverts rather than hand back a change that fixes less than
 * it says.
 */
export function unappliedUpgrades(plan: FixPlan, after: Inventory): PlannedUpgrade[] {
  const has = (name: string, version: string): boolean =>
    after.packages.some((entry) => entry.name === name && entry.version === version);
  return plan.upgrades.filter((upgrade) => has(upgrade.name, upgrade.from) || !has(upgrade.name, upgrade.to));
}

// --- internal ---

interface PackageGroup {
  name: string;
  installed: string;
  advisories: Advisory[];
}

function planPackage(group: PackageGroup, input: PlanInput): PlannedUpgrade | SkippedPackage {
  const skip = (reason: SkipReason, detail: string, to?: string): SkippedPackage => ({
    name: group.name,
    installed: group.installed,
    reason,
    detail,
    ...(to === undefined ? {} : { to }),
    advisories: group.advisories,
  });
  const copies = input.inventory.packages.filter(
    (entry) => entry.name === group.name && entry.version === group.installed,
  );
  if (copies.length === 0) {
    return skip(
      "not-in-lockfile",
      `${group.name}@${group.installed} is not in ${input.inventory.lockfile}: the report is of another project or an older lockfile; scan again`,
    );
  }
  const choice = chooseTarget(
    group.installed,
    group.advisories.map((advisory) => advisory.fixed),
    input.versions,
  );
  if (choice.kind === "no-fix")
    return skip(
      "no-fix",
      "no fixed version is known yet: waive it with a reason and an expiry, or replace the package",
    );
  if (choice.kind === "no-common-fix") {
    return skip(
      "no-common-fix",
      `no single version above ${group.installed} fixes every advisory (fixed in ${choice.fixed.join(", ")}): upgrade by hand`,
    );
  }
  const to = choice.version;
  if (!choice.sameLine && !input.allowMajor) {
    return skip("major", `only ${to}, a new major, fixes it: review its changes and run again with --allow-major`, to);
  }
  const declaredBy = copies.flatMap((copy) => copy.declaredBy);
  if (declaredBy.length > 0) {
    const problem = declaredBy
      .map((declaration) => input.cannotRewrite(group.name, declaration))
      .find((reason) => reason !== undefined);
    if (problem !== undefined) return skip("unsupported-range", problem, to);
    return {
      name: group.name,
      from: group.installed,
      to,
      via: "direct",
      major: !choice.sameLine,
      declaredBy,
      advisories: group.advisories,
    };
  }
  const notOverridable = input.inventory.cannotOverride(group.name, group.installed);
  if (notOverridable !== undefined) return skip("not-overridable", notOverridable, to);
  return {
    name: group.name,
    from: group.installed,
    to,
    via: "override",
    major: !choice.sameLine,
    declaredBy: [],
    advisories: group.advisories,
  };
}

function groupFindings(input: PlanInput): PackageGroup[] {
  const groups = new Map<string, PackageGroup>();
  for (const finding of input.findings) {
    const pkg = finding.package;
    if (finding.kind !== "vulnerability" || pkg?.installed === undefined) continue;
    if (pkg.ecosystem === undefined || !input.trivyTypes.includes(pkg.ecosystem)) continue;
    if (!isLockfileTarget(finding.location?.path, input.inventory.lockfile)) continue;
    const key = `${pkg.name}@${pkg.installed}`;
    const group = groups.get(key) ?? { name: pkg.name, installed: pkg.installed, advisories: [] };
    if (!group.advisories.some((advisory) => advisory.id === finding.ruleId)) {
      group.advisories.push({
        id: finding.ruleId,
        severity: finding.severity,
        title: finding.title,
        fixed: pkg.fixed,
        fingerprint: finding.fingerprint,
      });
    }
    groups.set(key, group);
  }
  // A report may name a version the ecosystem does not read (`1.0`): ordered as text, never compared.
  const byVersion = (a: string, b: string): number =>
    input.versions.valid(a) && input.versions.valid(b) ? input.versions.compare(a, b) : a < b ? -1 : a > b ? 1 : 0;
  return [...groups.values()].sort((a, b) => a.name.localeCompare(b.name) || byVersion(a.installed, b.installed));
}

/** trivy names the lockfile it read (`package-lock.json`, or `app/package-lock.json` for a scan of a parent folder). */
function isLockfileTarget(target: string | undefined, lockfile: string): boolean {
  if (target === undefined) return false;
  return target === lockfile || target.endsWith(`/${lockfile}`);
}
