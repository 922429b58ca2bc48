import { gitleaks } from "./gitleaks.js";
import { k6 } from "./k6.js";
import { semgrep } from "./semgrep.js";
import { trivy } from "./trivy.js";

/**
 * Where each scanner's pinned version comes from when Portcullis installs it (`portcullis tools
 * install`), and how its version output is read. The versions are the adapters' image versions: a
 * host run and a Dagger run use the same release. Pure: downloads and processes live in
 * runner/tool-install.ts.
 */

/** The tools the host runner executes. */
export const INSTALLABLE_TOOLS = ["gitleaks", "trivy", "semgrep", "k6"] as const;
export type InstallableTool = (typeof INSTALLABLE_TOOLS)[number];

/** `tools install` without names: the scanners. k6 only when named (and only from its release archive). */
export const DEFAULT_INSTALL: readonly InstallableTool[] = ["gitleaks", "trivy", "semgrep"];

/** An official release archive (`.tar.gz`) and the checksum file published beside it. */
export interface ReleaseArchive {
  /** GitHub `owner/repo` the release belongs to. */
  repo: string;
  /** Release tag (`v8.30.1`). */
  tag: string;
  /** Asset name of the archive for the platform. */
  asset: string;
  /** Asset name of the checksum file (`sha256  name` lines). */
  checksums: string;
  /** Path of the executable inside the archive. */
  binary: string;
}

/** `go install <module>/<package>@v<version>` with the release version stamped in. */
export interface GoModuleSource {
  /** `github.com/zricethezav/gitleaks/v8`. */
  module: string;
  /** The main package's path inside the module (`""` for the module root). */
  package: string;
  /** The variable the release build sets with `-ldflags -X` so `<tool> version` reports the pin. */
  versionVariable: string;
  /** Environment the release build sets (trivy: `GOEXPERIMENT=jsonv2`, without which it does not compile). */
  env?: Readonly<Record<string, string>>;
}

export interface ToolSources {
  /** Pinned version, from the adapter's image. */
  version: string;
  /** The executable's name. */
  executable: string;
  /** The adapter's version command (after the executable). */
  versionArgv: readonly string[];
  release?: (platform: Platform) => ReleaseArchive | undefined;
  goModule?: GoModuleSource;
  /** A PyPI package installed as `pip install <package>==<version>` into a private virtualenv. */
  pypi?: string;
  /** Why a source is deliberately absent (shown when the others fail). */
  note?: string;
}

export interface Platform {
  os: NodeJS.Platform;
  arch: string;
}

/** The sources of every installable tool, tried in the order release archive, Go module, PyPI. */
export const TOOL_SOURCES: Readonly<Record<InstallableTool, ToolSources>> = {
  gitleaks: {
    version: gitleaks.image.version,
    executable: "gitleaks",
    versionArgv: gitleaks.versionArgv,
    release: goreleaserArchive("gitleaks/gitleaks", "gitleaks", gitleaks.image.version, {
      "linux-x64": "linux_x64",
      "linux-arm64": "linux_arm64",
      "darwin-x64": "darwin_x64",
      "darwin-arm64": "darwin_arm64",
    }),
    goModule: {
      module: "github.com/zricethezav/gitleaks/v8",
      package: "",
      versionVariable: "github.com/zricethezav/gitleaks/v8/version.Version",
    },
  },
  trivy: {
    version: trivy.image.version,
    executable: "trivy",
    versionArgv: trivy.versionArgv,
    release: goreleaserArchive("aquasecurity/trivy", "trivy", trivy.image.version, {
      "linux-x64": "Linux-64bit",
      "linux-arm64": "Linux-ARM64",
      "darwin-x64": "macOS-64bit",
      "darwin-arm64": "macOS-ARM64",
    }),
    goModule: {
      module: "github.com/aquasecurity/trivy",
      package: "cmd/trivy",
      versionVariable: "github.com/aquasecurity/trivy/pkg/version/app.ver",
      env: { GOEXPERIMENT: "jsonv2" },
    },
  },
  semgrep: {
    version: semgrep.image.version,
    executable: "semgrep",
    versionArgv: semgrep.versionArgv,
    pypi: "semgrep",
  },
  k6: {
    version: k6.image.version,
    executable: "k6",
    versionArgv: k6.versionArgv,
    release: (platform) => {
      // macOS builds of k6 ship as .zip; only the Linux tarballs are read here.
      const target = pick(platform, { "linux-x64": "linux-amd64", "linux-arm64": "linux-arm64" });
      const version = k6.image.version;
      return target === undefined
        ? undefined
        : {
            repo: "grafana/k6",
            tag: `v${version}`,
            asset: `k6-v${version}-${target}.tar.gz`,
            checksums: `k6-v${version}-checksums.txt`,
            binary: `k6-v${version}-${target}/k6`,
          };
    },
    note: "k6 is installed from its release archive only: its Go module is AGPL-licensed and is never built here",
  },
};

/** Where release assets are downloaded from; `PORTCULLIS_TOOLS_MIRROR` replaces it (same path layout). */
export const RELEASES_BASE = "https://github.com";

/** `<base>/<repo>/releases/download/<tag>/<asset>`: GitHub's layout, which a mirror reproduces. */
export function releaseAssetUrl(base: string, release: ReleaseArchive, asset: string): string {
  return `${base.replace(/\/+$/, "")}/${release.repo}/releases/download/${release.tag}/${asset}`;
}

/**
 * The SHA-256 a checksum file gives for `asset` (`<hex>  <name>` or `<hex> *<name>` lines, as
 * goreleaser and sha256sum write them); undefined when the asset is not listed.
 */
export function checksumFor(checksums: string, asset: string): string | undefined {
  for (const line of checksums.split(/\r?\n/)) {
    const match = /^([0-9a-fA-F]{64})\s+\*?(\S+)\s*$/.exec(line.trim());
    if (match?.[2] === asset) return match[1]?.toLowerCase();
  }
  return undefined;
}

/** The `go install` argv (after `go`) that builds the pinned release with its version stamped in. */
export function goInstallArgv(source: GoModuleSource, version: string): string[] {
  const main = source.package === "" ? source.module : `${source.module}/${source.package}`;
  return ["install", "-trimpath", "-ldflags", `-s -w -X ${source.versionVariable}=${version}`, `${main}@v${version}`];
}

/** The first `x.y.z` in a version command's output (`v8.30.1`, `{"Version":"0.74.0"}`, `k6 v1.7.1 (…)`). */
export function readToolVersion(output: string): string | undefined {
  return /\b[vV]?(\d+\.\d+\.\d+)\b/.exec(output)?.[1];
}

/** How a found version compares with the pin: the same major.minor runs (a patch release may differ). */
export type VersionFit = "exact" | "patch" | "wrong";

export function versionFit(found: string, pinned: string): VersionFit {
  if (found === pinned) return "exact";
  const minor = (version: string): string => version.split(".").slice(0, 2).join(".");
  return minor(found) === minor(pinned) ? "patch" : "wrong";
}

// --- internal ---

/**
 * A goreleaser release (gitleaks, trivy): `<name>_<version>_<target>.tar.gz` beside
 * `<name>_<version>_checksums.txt`, the executable at the archive's root. Platforms without a
 * target have no archive.
 */
function goreleaserArchive(
  repo: string,
  name: string,
  version: string,
  targets: Readonly<Record<string, string>>,
): (platform: Platform) => ReleaseArchive | undefined {
  return (platform) => {
    const target = pick(platform, targets);
    if (target === undefined) return undefined;
    return {
      repo,
      tag: `v${version}`,
      asset: `${name}_${version}_${target}.tar.gz`,
      checksums: `${name}_${version}_checksums.txt`,
      binary: name,
    };
  };
}

function pick(platform: Platform, targets: Readonly<Record<string, string>>): string | undefined {
  return targets[`${platform.os}-${platform.arch}`];
}
