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
 * vulnerability found in that lockfile is dropped when its `name@installed` is no longer there and
 * the package still is, every copy at or past the advisory's fix. A finding of another lockfile,
 * or of a package the new lockfile does not hold at all, is kept: nothing here says it is gone.
 * It cannot see advisories against the new versions, which is why a report built from it is
 * marked as a prediction.
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
      finding.location?.path === after.lockfile &&
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
    if (copies.length > 0 && !stillThere && allFixed) resolved.push(finding);
    else kept.push(finding);
  }
  return { findings: kept, resolved };
}
