import type { VersionScheme } from "./ecosystem.js";

/**
 * Which version fixes a set of advisories on one installed package.
 *
 * trivy's fixed-version field lists one fix per release line (`7.0.5, 6.0.6`): 6.x is fixed from
 * 6.0.6, 7.x from 7.0.5. So a version fixes an advisory when it is at or above the listed fix of its
 * own release line; in a line with no listed fix, only when it is above every listed fix (a later
 * line, released after the fix). The target is the lowest listed fix above the installed version
 * that fixes every advisory at once: the smallest upgrade, in the installed line whenever that line
 * has a fix.
 */
export type TargetChoice =
  | { kind: "upgrade"; version: string; sameLine: boolean }
  /** No advisory names a fixed version. */
  | { kind: "no-fix" }
  /** Fixed versions are named, but none above the installed one fixes them all. */
  | { kind: "no-common-fix"; fixed: string[] };

/** One advisory's fixed versions, as the report lists them. */
export type FixedVersions = readonly string[];

export function chooseTarget(
  installed: string,
  advisories: readonly FixedVersions[],
  scheme: VersionScheme,
): TargetChoice {
  const listed = [...new Set(advisories.flat())].filter((version) => scheme.valid(version));
  if (listed.length === 0) return { kind: "no-fix" };
  const candidates = listed
    .filter((version) => scheme.compare(version, installed) > 0)
    .sort((a, b) => scheme.compare(a, b));
  const target = candidates.find((candidate) => advisories.every((fixed) => fixes(candidate, fixed, scheme)));
  if (target === undefined) return { kind: "no-common-fix", fixed: listed.sort((a, b) => scheme.compare(a, b)) };
  return { kind: "upgrade", version: target, sameLine: scheme.line(installed) === scheme.line(target) };
}

/** True when `version` is not affected by an advisory fixed in `fixed` (one entry per release line). */
export function fixes(version: string, fixed: FixedVersions, scheme: VersionScheme): boolean {
  const valid = fixed.filter((entry) => scheme.valid(entry));
  if (valid.length === 0) return false;
  const ownLine = valid.filter((entry) => scheme.line(entry) === scheme.line(version));
  if (ownLine.length > 0) return ownLine.some((entry) => scheme.compare(version, entry) >= 0);
  return valid.every((entry) => scheme.compare(version, entry) > 0);
}
