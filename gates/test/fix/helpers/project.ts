import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { onTestFinished } from "vitest";

const execFileAsync = promisify(execFile);

/** A temporary project folder with the given files (JSON values are written as npm writes them). */
export function makeProject(files: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "portcullis-fix-project-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(
      path.join(dir, file),
      typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`,
    );
  }
  return dir;
}

/** Runs the real npm (asynchronously: the registry serves from this same process). */
export async function npm(
  args: readonly string[],
  cwd: string,
  env: Record<string, string | undefined>,
): Promise<string> {
  const { stdout } = await execFileAsync("npm", [...args], { cwd, env: env, timeout: 120_000 });
  return stdout;
}

export function readJson(dir: string, file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Record<string, unknown>;
}

/** The lockfile's `packages` map. */
export function lockPackages(dir: string): Record<string, { version?: string }> {
  return readJson(dir, "package-lock.json")["packages"] as Record<string, { version?: string }>;
}

/** Every file under dir with the SHA-256 of its bytes: two equal digests mean a byte-identical tree. */
export function treeDigest(dir: string): Record<string, string> {
  const digest: Record<string, string> = {};
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const absolute = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(absolute);
      else digest[path.relative(dir, absolute)] = createHash("sha256").update(readFileSync(absolute)).digest("hex");
    }
  };
  walk(dir);
  return digest;
}

export interface Advisory {
  pkg: string;
  installed: string;
  id: string;
  severity: "CRITICAL" | "HIGH" | "MEDIUM" | "LOW";
  /** trivy's FixedVersion: comma-separated, one per release line; "" when no fix is known. */
  fixed: string;
}

/** A trivy 0.74 `fs --format json` report on package-lock.json with these vulnerabilities. */
export function trivyReport(advisories: readonly Advisory[]): string {
  return `${JSON.stringify(
    {
      SchemaVersion: 2,
      Trivy: { Version: "0.74.0" },
      CreatedAt: "2026-12-01T09:00:00.000000000Z",
      ArtifactName: ".",
      ArtifactType: "filesystem",
      Results: [
        {
          Target: "package-lock.json",
          Class: "lang-pkgs",
          Type: "npm",
          Vulnerabilities: advisories.map((advisory) => ({
            VulnerabilityID: advisory.id,
            PkgID: `${advisory.pkg}@${advisory.installed}`,
            PkgName: advisory.pkg,
            PkgIdentifier: { PURL: `pkg:npm/${advisory.pkg}@${advisory.installed}` },
            InstalledVersion: advisory.installed,
            FixedVersion: advisory.fixed,
            Status: advisory.fixed === "" ? "affected" : "fixed",
            SeveritySource: "ghsa",
            PrimaryURL: `https://avd.aquasec.com/nvd/${advisory.id.toLowerCase()}`,
            Title: `${advisory.pkg}: ${advisory.id}`,
            Severity: advisory.severity,
            References: [`https://github.com/advisories/${advisory.id}`],
          })),
        },
      ],
    },
    null,
    2,
  )}\n`;
}
