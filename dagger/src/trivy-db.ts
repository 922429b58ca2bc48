/**
 * The maximum age of trivy's vulnerability DB. trivy refreshes its DB itself, but a mirror that
 * stopped syncing (`--db-repository`) or an offline cache hands it an old one without complaint,
 * and an old DB reports "no vulnerabilities" for CVEs published since: a silent pass. The scan is
 * followed by `trivy version --format json` in the same cache, and a DB older than the maximum
 * keeps the scan's report out of the evaluation, so its gates are `error`.
 */

/** Why the DB described by `trivy version --format json` cannot be trusted, or undefined when it is recent enough. */
export function staleDbReason(versionOutput: string, maxAge: string, now: Date): string | undefined {
  const limit = durationMs(maxAge);
  const updatedAt = dbUpdatedAt(versionOutput);
  if (typeof updatedAt === "string") return updatedAt;
  const age = now.getTime() - updatedAt.getTime();
  if (age <= limit) return undefined;
  return (
    `trivy's vulnerability DB was built ${updatedAt.toISOString()}, ${Math.floor(age / 3_600_000)}h ago, ` +
    `older than the ${maxAge} maximum: refresh the mirror given as trivyDbRepository, or allow an older DB with trivyMaxDbAge`
  );
}

/** `200ms`, `30s`, `5m`, `168h` (the duration convention of environment files) in milliseconds. */
export function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  const unit = UNIT_MS.find(([name]) => name === match?.[2]);
  if (match?.[1] === undefined || unit === undefined) {
    throw new Error(
      `${JSON.stringify(text)} is not a duration: write a number and a unit, ms, s, m or h (for example 168h)`,
    );
  }
  return Number(match[1]) * unit[1];
}

// --- internal ---

const UNIT_MS: readonly (readonly [string, number])[] = [
  ["ms", 1],
  ["s", 1_000],
  ["m", 60_000],
  ["h", 3_600_000],
];

/** The DB's build time, or the reason it cannot be read (a string). */
function dbUpdatedAt(versionOutput: string): Date | string {
  let document: unknown;
  try {
    document = JSON.parse(versionOutput);
  } catch {
    return `trivy version printed no JSON (${JSON.stringify(versionOutput.slice(0, 80))}): the DB's age is unknown`;
  }
  const db = field(document, "VulnerabilityDB");
  if (db === undefined) return "trivy has no vulnerability DB in its cache: the scan cannot be trusted";
  const updatedAt = field(db, "UpdatedAt");
  const date = typeof updatedAt === "string" ? new Date(updatedAt) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    return `trivy's vulnerability DB has no readable UpdatedAt (${JSON.stringify(updatedAt)}): the DB's age is unknown`;
  }
  return date;
}

function field(value: unknown, name: string): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const entry: [string, unknown] | undefined = Object.entries(value).find(([key]) => key === name);
  return entry?.[1];
}
