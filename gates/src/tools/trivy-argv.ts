import { UsageError } from "../errors.js";

/*
 * Command lines for trivy (arguments after the `trivy` executable). We never pass `--exit-code`, so
 * trivy exits 0 whenever it ran, findings or not, and any other code means it failed.
 */

export const TRIVY_SCANNERS = ["vuln", "secret", "misconfig", "license"] as const;
export type TrivyScanner = (typeof TRIVY_SCANNERS)[number];

/** Options shared by every scan that writes a JSON report. */
export interface TrivyScanOptions {
  /** Where trivy writes its JSON report. */
  output: string;
  /** trivy's cache (vulnerability DB, Java DB, checks bundle); keep it between runs. */
  cacheDir: string;
  /**
   * Ignore file. Default: none named, so trivy reads `.trivyignore` in its working directory when
   * there is one; a file named here must exist (trivy 0.74 stops otherwise).
   */
  ignoreFile?: string;
  /** Default: all of vuln, secret, misconfig, license. */
  scanners?: readonly TrivyScanner[];
  /** Leave out vulnerabilities that have no fixed version yet. */
  ignoreUnfixed?: boolean;
  /** Offline runs: use the databases already in the cache (`--skip-db-update --skip-java-db-update`). */
  skipDbUpdate?: boolean;
  /** Mirror of `ghcr.io/aquasecurity/trivy-db` (`--db-repository`). */
  dbRepository?: string;
  /** Mirror of `ghcr.io/aquasecurity/trivy-java-db` (`--java-db-repository`). */
  javaDbRepository?: string;
}

export interface TrivyFsOptions extends TrivyScanOptions {
  /** Folder to scan. */
  dir: string;
}

export interface TrivyImageOptions extends TrivyScanOptions {
  /** An image saved with `docker save` / `dagger export` (a tar file); no daemon or registry needed. */
  input: string;
}

/** What an SBOM is generated from: a folder or a saved image. */
export type TrivySbomSource = { dir: string } | { input: string };

export type TrivySbomOptions = TrivySbomSource & {
  /** Where the CycloneDX JSON is written. */
  output: string;
  cacheDir: string;
};

/** `trivy sbom` reads packages from the SBOM, so only vulnerabilities and licences apply. */
export interface TrivyScanSbomOptions extends Omit<TrivyScanOptions, "scanners"> {
  /** A CycloneDX or SPDX SBOM file. */
  sbom: string;
  scanners?: readonly ("vuln" | "license")[];
}

/** argv builders: `trivy.argv.fs({...})` and so on. */
export const trivyArgv = {
  /** `trivy fs … <dir>`: a source tree (lock files, IaC, secrets, licences). */
  fs(options: TrivyFsOptions): string[] {
    return ["fs", ...scanFlags(options, TRIVY_SCANNERS), "--", operand("dir", options.dir)];
  },
  /** `trivy image --input <tar> …`: a built image, read from a tar file. */
  image(options: TrivyImageOptions): string[] {
    return ["image", ...scanFlags(options, TRIVY_SCANNERS), "--input", operand("input", options.input)];
  },
  /** `trivy fs|image --format cyclonedx --output <f>`: generates an SBOM, no scanning. */
  sbom(options: TrivySbomOptions): string[] {
    const common = ["--format", "cyclonedx", "--output", operand("output", options.output)];
    const cache = ["--cache-dir", operand("cacheDir", options.cacheDir), ...NO_CONFIG_FILE, "--quiet"];
    if ("dir" in options) return ["fs", ...common, ...cache, "--", operand("dir", options.dir)];
    return ["image", ...common, ...cache, "--input", operand("input", options.input)];
  },
  /** `trivy sbom <file>`: scans an existing SBOM for vulnerabilities (and licences). */
  scanSbom(options: TrivyScanSbomOptions): string[] {
    return ["sbom", ...scanFlags(options, ["vuln", "license"]), "--", operand("sbom", options.sbom)];
  },
  /** `trivy version --format json`: trivy's version and the age of its vulnerability DB. */
  version(cacheDir?: string): string[] {
    return [
      "version",
      "--format",
      "json",
      ...(cacheDir === undefined ? [] : ["--cache-dir", operand("cacheDir", cacheDir)]),
    ];
  },
} as const;

// --- internal ---

function scanFlags(options: TrivyScanOptions, defaults: readonly TrivyScanner[]): string[] {
  const scanners = options.scanners ?? defaults;
  if (scanners.length === 0) {
    throw new UsageError("USAGE", "trivy needs at least one scanner", {
      tool: "trivy",
      fix: `name one or more of ${defaults.join(", ")}`,
    });
  }
  return [
    "--format",
    "json",
    "--output",
    operand("output", options.output),
    "--scanners",
    [...new Set(scanners)].join(","),
    "--cache-dir",
    operand("cacheDir", options.cacheDir),
    // trivy reads `.trivyignore` in its working directory by default (skipping it when absent),
    // but stops with "ignore file not found" when a missing file is named explicitly.
    ...(options.ignoreFile === undefined ? [] : ["--ignorefile", operand("ignoreFile", options.ignoreFile)]),
    ...(options.ignoreUnfixed === true ? ["--ignore-unfixed"] : []),
    ...(options.skipDbUpdate === true ? ["--skip-db-update", "--skip-java-db-update"] : []),
    ...(options.dbRepository === undefined ? [] : ["--db-repository", operand("dbRepository", options.dbRepository)]),
    ...(options.javaDbRepository === undefined
      ? []
      : ["--java-db-repository", operand("javaDbRepository", options.javaDbRepository)]),
    ...NO_CONFIG_FILE,
    ...(scanners.includes("secret") ? noSecretConfig(options.output) : []),
    // Its log is kept beside the report (`<stem>.log`): a file trivy skipped is said only there
    // (see trivy-log.ts). No progress bar in it.
    "--no-progress",
  ];
}

/**
 * trivy also reads `trivy-secret.yaml` from the scanned tree, whose `allow-rules` can drop every
 * secret finding. It accepts no empty file for it, and skips one that is not there: a name beside
 * the report that nothing writes.
 */
function noSecretConfig(output: string): string[] {
  const folder = output.includes("/") ? output.slice(0, output.lastIndexOf("/") + 1) : "";
  return ["--secret-config", `${folder}.portcullis-no-secret-config.yaml`];
}

/**
 * trivy reads `trivy.yaml` from its working directory, the scanned tree: one line there
 * (`severity: [CRITICAL]`, `skip-files`) would hide findings from a gate with no waiver, approver
 * or trace. An empty config in its place; `.trivyignore` still applies and its findings are kept.
 */
const NO_CONFIG_FILE = ["--config", "/dev/null"];

/** A value that trivy would read as a flag (or an empty one) is a caller bug, not something to run. */
function operand(name: string, value: string): string {
  if (value === "" || value.startsWith("-")) {
    throw new UsageError("USAGE", `trivy ${name} must be a non-empty path or reference not starting with "-"`, {
      tool: "trivy",
      path: name,
      fix: `prefix a relative path with ./ (for example ./${value.replace(/^-+/, "") || "dir"})`,
    });
  }
  return value;
}
