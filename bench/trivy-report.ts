import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from "node:fs";
import path from "node:path";

/**
 * The two report shapes the benchmark measures. `long`: ~41,000 vulnerabilities per 100 MB, each
 * with the description, CVSS vectors and five references trivy writes for NVD-sourced entries.
 * `short`: ~105,000 per 100 MB, as trivy writes them for distribution advisories (no description,
 * no CVSS, two references): the many-findings case, where per-finding costs dominate.
 */
export type ReportShape = "long" | "short";
export const REPORT_SHAPES: readonly ReportShape[] = ["long", "short"];

/**
 * Generates a large, realistic `trivy image --format json` report (schema v2): one os-pkgs result and
 * many lang-pkgs results (one per lock file), each with hundreds of vulnerabilities carrying the
 * fields trivy really writes (CVSS per source, VendorSeverity, comma-separated FixedVersion,
 * References), plus a few Dockerfile misconfigurations. Deterministic (seeded), indented like trivy.
 */

const SEVERITIES = ["CRITICAL", "HIGH", "HIGH", "MEDIUM", "MEDIUM", "MEDIUM", "LOW", "LOW", "UNKNOWN"] as const;
const ECOSYSTEMS = [
  { type: "npm", file: "package-lock.json", purl: "npm", source: "ghsa", sourceName: "GitHub Security Advisory npm" },
  { type: "gomod", file: "go.mod", purl: "golang", source: "govulndb", sourceName: "The Go Vulnerability Database" },
  {
    type: "pip",
    file: "requirements.txt",
    purl: "pypi",
    source: "osv",
    sourceName: "Python Packaging Advisory Database",
  },
] as const;

/** Writes the report to `file` unless a report of at least `targetBytes` is already there; returns its size. */
export function ensureTrivyReport(file: string, targetBytes: number, shape: ReportShape = "long"): number {
  if (existsSync(file) && statSync(file).size >= targetBytes) return statSync(file).size;
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  const fd = openSync(partial, "w");
  const random = seeded(20250415);
  let written = 0;
  const emit = (text: string): void => {
    written += writeSync(fd, text);
  };
  try {
    emit(header());
    emit(indent(JSON.stringify(osResult(random, shape), null, 2), 4));
    for (let target = 0; written < targetBytes; target += 1) {
      emit(",\n");
      emit(indent(JSON.stringify(langResult(random, target, shape), null, 2), 4));
    }
    emit(",\n");
    emit(indent(JSON.stringify(misconfigResult(), null, 2), 4));
    emit("\n  ]\n}\n");
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
  return statSync(file).size;
}

// --- internal ---

type Random = () => number;

function seeded(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    // mulberry32: small, fast, good enough to vary the data.
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

function header(): string {
  const head = {
    SchemaVersion: 2,
    CreatedAt: "2025-04-15T23:29:30.125146+05:30",
    ArtifactName: "bench-app:latest",
    ArtifactType: "container_image",
    Metadata: {
      OS: { Family: "alpine", Name: "3.21.3" },
      ImageID: "sha256:1de5e742eec657351a318758ca0f47ee4fc78e4d3683bde1a8d922e15376339d",
      RepoTags: ["bench-app:latest"],
    },
  };
  const text = JSON.stringify(head, null, 2);
  return `${text.slice(0, text.lastIndexOf("}")).trimEnd()},\n  "Results": [\n`;
}

function indent(text: string, spaces: number): string {
  const pad = " ".repeat(spaces);
  return pad + text.replaceAll("\n", `\n${pad}`);
}

function osResult(random: Random, shape: ReportShape): unknown {
  return {
    Target: "bench-app:latest (alpine 3.21.3)",
    Class: "os-pkgs",
    Type: "alpine",
    Vulnerabilities: Array.from({ length: 40 }, (_, index) => make(shape)(random, "alpine", `libpkg${index}`, "apk")),
  };
}

function langResult(random: Random, target: number, shape: ReportShape): unknown {
  const ecosystem = ECOSYSTEMS[target % ECOSYSTEMS.length] ?? ECOSYSTEMS[0];
  return {
    Target: `services/svc-${target}/${ecosystem.file}`,
    Class: "lang-pkgs",
    Type: ecosystem.type,
    Vulnerabilities: Array.from({ length: 200 + Math.floor(random() * 200) }, (_, index) =>
      make(shape)(random, ecosystem.purl, `pkg-${target}-${index % 37}`, ecosystem.source, ecosystem.sourceName),
    ),
  };
}

type MakeVulnerability = (random: Random, purl: string, name: string, source: string, sourceName?: string) => unknown;

function make(shape: ReportShape): MakeVulnerability {
  return shape === "long" ? vulnerability : shortVulnerability;
}

/** A distribution-advisory entry: what trivy writes when the source carries no description or CVSS. */
function shortVulnerability(random: Random, purl: string, name: string, source: string, sourceName = source): unknown {
  const year = 2015 + Math.floor(random() * 11);
  const id = `CVE-${year}-${10000 + Math.floor(random() * 89999)}`;
  const major = Math.floor(random() * 9);
  const installed = `${major}.${Math.floor(random() * 20)}.${Math.floor(random() * 30)}`;
  const severity = pick(random, SEVERITIES);
  const fixed = random() < 0.7 ? `${major}.${Math.floor(random() * 20) + 20}.0` : "";
  return {
    VulnerabilityID: id,
    PkgID: `${name}@${installed}`,
    PkgName: name,
    PkgIdentifier: { PURL: `pkg:${purl}/${name}@${installed}` },
    InstalledVersion: installed,
    ...(fixed === "" ? {} : { FixedVersion: fixed }),
    Status: fixed === "" ? "affected" : "fixed",
    ...(severity === "UNKNOWN" ? {} : { SeveritySource: source }),
    PrimaryURL: `https://avd.aquasec.com/nvd/${id.toLowerCase()}`,
    DataSource: { ID: source, Name: sourceName },
    Title: `${name}: denial of service via crafted input`,
    Severity: severity,
    CweIDs: [`CWE-${100 + Math.floor(random() * 1200)}`],
    VendorSeverity: { [source]: 1 + Math.floor(random() * 4) },
    References: [`https://security-tracker.debian.org/tracker/${id}`, `https://www.cve.org/CVERecord?id=${id}`],
    PublishedDate: `${year}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}T05:15:06.453Z`,
  };
}

function vulnerability(random: Random, purl: string, name: string, source: string, sourceName = source): unknown {
  const year = 2015 + Math.floor(random() * 11);
  const id = `CVE-${year}-${10000 + Math.floor(random() * 89999)}`;
  const major = Math.floor(random() * 9);
  const installed = `${major}.${Math.floor(random() * 20)}.${Math.floor(random() * 30)}`;
  const severity = pick(random, SEVERITIES);
  const fixed = random() < 0.7 ? `${major}.${Math.floor(random() * 20) + 20}.0, ${major + 1}.0.1` : "";
  const score = Math.round((random() * 9 + 1) * 10) / 10;
  return {
    VulnerabilityID: id,
    PkgID: `${name}@${installed}`,
    PkgName: name,
    PkgPath: `usr/local/lib/node_modules/${name}/package.json`,
    PkgIdentifier: { PURL: `pkg:${purl}/${name}@${installed}`, UID: Math.floor(random() * 2 ** 48).toString(16) },
    InstalledVersion: installed,
    ...(fixed === "" ? {} : { FixedVersion: fixed }),
    Status: fixed === "" ? "affected" : "fixed",
    Layer: {
      Digest: "sha256:d84c815451acbca96b6e6bdb479929222bec57121dfe10cc5b128c5c2dbaf10a",
      DiffID: "sha256:105c493da35328733d40e72efbcc0ffe5f0327b8b82cfdbccd09b3566cfc183b",
    },
    ...(severity === "UNKNOWN" ? {} : { SeveritySource: source }),
    PrimaryURL: `https://avd.aquasec.com/nvd/${id.toLowerCase()}`,
    DataSource: { ID: source, Name: sourceName, URL: "https://github.com/advisories" },
    Title: `${name}: improper input validation allows denial of service via crafted input`,
    Description: `Versions of the package ${name} before the fixed release are vulnerable to uncontrolled resource consumption. An attacker can increase CPU usage and crash the program by crafting a very large and well crafted string. This issue affects all releases from ${installed} onward until patched.`,
    Severity: severity,
    CweIDs: [`CWE-${100 + Math.floor(random() * 1200)}`],
    VendorSeverity: {
      ghsa: 1 + Math.floor(random() * 4),
      nvd: 1 + Math.floor(random() * 4),
      redhat: 1 + Math.floor(random() * 3),
    },
    CVSS: {
      ghsa: { V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", V3Score: score },
      nvd: {
        V2Vector: "AV:N/AC:L/Au:N/C:N/I:N/A:P",
        V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        V2Score: 5,
        V3Score: score,
      },
    },
    References: [
      `https://access.redhat.com/security/cve/${id}`,
      `https://github.com/advisories/GHSA-${Math.floor(random() * 1e8).toString(36)}`,
      `https://nvd.nist.gov/vuln/detail/${id}`,
      `https://security.snyk.io/vuln/SNYK-JS-${name.toUpperCase().replaceAll("-", "")}-${Math.floor(random() * 1e7)}`,
      `https://www.cve.org/CVERecord?id=${id}`,
    ],
    PublishedDate: `${year}-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 9)}T05:15:06.453Z`,
    LastModifiedDate: "2025-01-19T14:15:17.627Z",
  };
}

function misconfigResult(): unknown {
  return {
    Target: "Dockerfile",
    Class: "config",
    Type: "dockerfile",
    MisconfSummary: { Successes: 23, Failures: 1, Exceptions: 0 },
    Misconfigurations: [
      {
        Type: "Dockerfile Security Check",
        ID: "DS002",
        AVDID: "AVD-DS-0002",
        Title: "Image user should not be 'root'",
        Description: "Running containers with 'root' user can lead to a container escape situation.",
        Message: "Specify at least 1 USER command in Dockerfile with non-root user as argument",
        Namespace: "builtin.dockerfile.DS002",
        Query: "data.builtin.dockerfile.DS002.deny",
        Resolution: "Add 'USER <non root user name>' line to the Dockerfile",
        Severity: "HIGH",
        PrimaryURL: "https://avd.aquasec.com/misconfig/ds002",
        References: ["https://avd.aquasec.com/misconfig/ds002"],
        Status: "FAIL",
        Layer: {},
        CauseMetadata: { Provider: "Dockerfile", Service: "general", Code: { Lines: null } },
      },
    ],
  };
}
