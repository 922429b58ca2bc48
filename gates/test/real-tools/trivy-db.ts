import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A small trivy vulnerability DB built offline, as trivy's own integration tests build theirs
 * (aquasecurity/trivy internal/dbtest/db.go and integration/integration_test.go `initDB`): the
 * bolt-fixtures YAML below loaded into `db/trivy.db` by the Go program beside this file, plus
 * `db/metadata.json` whose NextUpdate lies in the future, so trivy uses it without downloading.
 */

const BUILDER = fileURLToPath(new URL("./trivy-db/", import.meta.url));

/** One npm advisory (lodash) and one Alpine advisory (openssl), with their details. */
export const DB_FIXTURES = `- bucket: data-source
  pairs:
    - key: "npm::GitHub Security Advisory Npm"
      value: { ID: ghsa, Name: "GitHub Security Advisory Npm", URL: "https://github.com/advisories" }
    - key: "alpine 3.10"
      value: { ID: alpine, Name: "Alpine Secdb", URL: "https://secdb.alpinelinux.org/" }
- bucket: "npm::GitHub Security Advisory Npm"
  pairs:
    - bucket: lodash
      pairs:
        - key: CVE-2019-10744
          value: { PatchedVersions: ["4.17.12"], VulnerableVersions: ["< 4.17.12"] }
- bucket: "alpine 3.10"
  pairs:
    - bucket: openssl
      pairs:
        - key: CVE-2019-1549
          value: { FixedVersion: "1.1.1d-r0" }
- bucket: vulnerability
  pairs:
    - key: CVE-2019-10744
      value: { Title: "lodash: prototype pollution in defaultsDeep", Severity: CRITICAL }
    - key: CVE-2019-1549
      value: { Title: "openssl: fork-safety of the RNG", Severity: MEDIUM }
`;

/**
 * Builds the DB into a fresh trivy cache folder (under the OS temp folder, left for the OS to clean:
 * it is made once per file, in beforeAll) and returns it; `updatedAt` sets the DB's age.
 */
export function trivyCacheWithDb(updatedAt: Date): string {
  const cache = mkdtempSync(path.join(tmpdir(), "portcullis-trivy-cache-"));
  const work = mkdtempSync(path.join(tmpdir(), "portcullis-trivy-db-"));
  const builder = path.join(work, "trivy-db");
  execFileSync("go", ["build", "-o", builder, "."], { cwd: BUILDER, stdio: "pipe", timeout: 600_000 });
  const fixtures = path.join(work, "fixtures.yaml");
  writeFileSync(fixtures, DB_FIXTURES);
  mkdirSync(path.join(cache, "db"), { recursive: true });
  execFileSync(builder, [path.join(cache, "db", "trivy.db"), fixtures], { stdio: "pipe" });
  const nextUpdate = new Date(Date.now() + 24 * 3_600_000);
  writeFileSync(
    path.join(cache, "db", "metadata.json"),
    JSON.stringify({
      Version: 2,
      NextUpdate: nextUpdate.toISOString(),
      UpdatedAt: updatedAt.toISOString(),
      DownloadedAt: updatedAt.toISOString(),
    }),
  );
  return cache;
}
