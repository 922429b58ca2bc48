import { isPortcullisError, messageOf } from "../errors.js";
import { parseDuration } from "../policy/duration.js";
import { parseTrivyVersion } from "../tools/trivy.js";
import type { ToolVersionInput } from "./types.js";
import type { GateError } from "./verdict.js";

/** The DB age allowed when the policy sets no `gates.vulnerabilities.max_db_age`: one week. */
export const DEFAULT_MAX_DB_AGE = "168h";

/**
 * Whether trivy's vulnerability DB was fresh enough to trust a clean scan: the raw output of
 * `trivy version --format json` that the runner recorded (`versions/trivy.txt`) against the
 * policy's max_db_age. Judged here and nowhere else, so the host runner and the Dagger module reach
 * the same verdict. Fails closed: a version file that cannot be read, names no DB, or names one
 * older than the limit is an error of the vulnerabilities gate. Without a version file (reports
 * given one by one) nothing is known, and the returned notice says the age was not checked.
 */
export function judgeTrivyDb(
  version: ToolVersionInput | undefined,
  maxDbAge: string | undefined,
  now: Date,
): { errors: GateError[]; notice?: string } {
  const limit = maxDbAge ?? DEFAULT_MAX_DB_AGE;
  if (version === undefined) {
    return {
      errors: [],
      notice: `trivy's vulnerability DB age was not checked (max_db_age ${limit}): no versions/trivy.txt beside the reports`,
    };
  }
  let updatedAt: string | undefined;
  try {
    updatedAt = parseTrivyVersion(version.raw, { file: version.file }).vulnerabilityDb?.updatedAt;
  } catch (error) {
    if (!isPortcullisError(error)) throw error;
    return {
      errors: [
        {
          message: `${version.file} cannot be read as \`trivy version --format json\`: ${messageOf(error)}`,
          fix: "record the raw output of `trivy version --format json` there, right after the scan, with the same cache",
        },
      ],
    };
  }
  const updated = updatedAt === undefined ? Number.NaN : Date.parse(updatedAt);
  if (Number.isNaN(updated)) {
    return {
      errors: [
        {
          message: `${version.file} names no vulnerability DB${updatedAt === undefined ? "" : ` date (${updatedAt})`}: the scan's DB age is unknown`,
          fix: "run `trivy version --format json` with the cache the scan used, after the DB was downloaded",
        },
      ],
    };
  }
  const age = now.getTime() - updated;
  if (age <= parseDuration(limit)) return { errors: [] };
  return {
    errors: [
      {
        message: `trivy's vulnerability DB is ${hours(age)} old (updated ${updatedAt}), older than max_db_age ${limit}: a clean scan proves nothing about newer CVEs`,
        fix: "let trivy update its DB (drop --skip-db-update, or run `trivy image --download-db-only`) and scan again, or raise gates.vulnerabilities.max_db_age",
      },
    ],
  };
}

// --- internal ---

function hours(ms: number): string {
  return `${Math.floor(ms / 3_600_000)}h`;
}
