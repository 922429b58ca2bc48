import type { Finding } from "../findings/finding.js";
import type { Inventory, VersionScheme } from "./ecosystem.js";
import { fixes } from "./target-version.js";

export interface Prediction {
  /** The report's findings that the new lockfile still has (every other finding is kept as it was). */
  findings: Finding[];
  /** Vulnerability findings whose vulnerable version is gone and every remaining copy is fixed. */
  resolved: Finding[];
}

/**
 * The same scan's findings judged against the new lockfile, for when no scanner can run again: a
 * vulnerability is dropped when its `name@installed` is no longer in the lockfile and every copy of
 * the package that is left is at or past the advisory's fix. It cannot see advisories against the
 * new versions, which is why a report built from it is marked as a prediction.
 */
export function predictFindings(
  findings: readonly Finding[],
  after: Inventory,
  options: { trivyTypes: readonly string[]; versions: VersionScheme },
): Prediction {
  const kept: Finding[] = [];
  const resolved: Finding[] = [];
  for (const finding of findings) {
    const pkg = finding.package;
    const ours =
      finding.kind === "vulnerability" &&
      pkg?.installed !== undefined &&
      pkg.ecosystem !== undefined &&
      options.trivyTypes.includes(pkg.ecosystem);
    if (!ours) {
      kept.push(finding);
      continue;
    }
    const copies = after.packages.filter((entry) => entry.name === pkg.name);
    const stillThere = copies.some((entry) => entry.version === pkg.installed);
    const allFixed = copies.every(
      (entry) => options.versions.valid(entry.version) && fixes(entry.version, pkg.fixed, options.versions),
    );
    if (!stillThere && allFixed) resolved.push(finding);
    else kept.push(finding);
  }
  return { findings: kept, resolved };
}
