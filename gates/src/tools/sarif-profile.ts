import type { FindingKind, PackageInfo, ReportFormat, Severity } from "../findings/finding.js";
import type { SarifDriver, SarifResult, SarifRule } from "./sarif-schema.js";

/**
 * What Portcullis knows about a SARIF producer beyond the SARIF standard: the tool name it files
 * findings under, the finding kind, and the severity it states in its own words. Every driver
 * without a profile is read by the standard alone and its findings are `sast`.
 */
export interface DriverProfile {
  readonly tool: string;
  readonly format: ReportFormat;
  kind(rule: SarifRule | undefined, ruleId: string): FindingKind;
  /** A severity the tool states outside SARIF's level and `security-severity`, when it has one. */
  statedSeverity(rule: SarifRule | undefined): Severity | undefined;
  /** Tool version, when the driver reports it truthfully. */
  version(driver: SarifDriver): string | undefined;
  title(rule: SarifRule | undefined): string | undefined;
  packageOf(result: SarifResult): PackageInfo | undefined;
  /**
   * Whether its artifact URIs are percent-encoded, as SARIF says they are. gitleaks and semgrep
   * write the file's path as it is: `C#/x%20y.sh` is a file of that name, not `C#/x y.sh`.
   */
  readonly encodesUris: boolean;
}

/** The profile of a driver, by its `tool.driver.name`. */
export function driverProfile(driverName: string): DriverProfile {
  const name = driverName.trim().toLowerCase();
  if (name === "gitleaks") return GITLEAKS;
  if (name === "trivy") return TRIVY;
  if (name === "semgrep" || name.startsWith("semgrep ")) return SEMGREP;
  return genericProfile(driverName.trim());
}

// --- internal ---

const standardVersion = (driver: SarifDriver): string | undefined => driver.semanticVersion ?? driver.version;
const standardTitle = (rule: SarifRule | undefined): string | undefined => rule?.shortDescription?.text ?? rule?.name;

function genericProfile(tool: string): DriverProfile {
  return {
    tool,
    format: "sarif",
    kind: () => "sast",
    statedSeverity: () => undefined,
    version: standardVersion,
    title: standardTitle,
    packageOf: () => undefined,
    encodesUris: true,
  };
}

const GITLEAKS: DriverProfile = {
  tool: "gitleaks",
  format: "gitleaks-sarif",
  kind: () => "secret",
  // gitleaks rates nothing: every leaked secret is treated as high (see the adapter docs).
  statedSeverity: () => "high",
  // gitleaks writes the constant `v8.0.0` whatever version ran (report/constants.go): not a version.
  version: () => undefined,
  // Older gitleaks put the rule's regex in shortDescription and the human name in `name`.
  title: (rule) => rule?.name ?? rule?.shortDescription?.text,
  packageOf: () => undefined,
  encodesUris: false,
};

const SEMGREP: DriverProfile = {
  tool: "semgrep",
  format: "semgrep-sarif",
  kind: () => "sast",
  statedSeverity: () => undefined,
  version: standardVersion,
  title: standardTitle,
  packageOf: () => undefined,
  encodesUris: false,
};

/** trivy's SARIF rule names (pkg/report/sarif.go `toSarifRuleName`) and the kind each stands for. */
const TRIVY_RULE_KINDS: Readonly<Record<string, FindingKind>> = {
  OsPackageVulnerability: "vulnerability",
  LanguageSpecificPackageVulnerability: "vulnerability",
  Misconfiguration: "misconfiguration",
  Secret: "secret",
  SecretDetection: "secret",
  License: "license",
};

/** The first rule tag trivy writes is the finding's class. */
const TRIVY_TAG_KINDS: Readonly<Record<string, FindingKind>> = {
  vulnerability: "vulnerability",
  misconfiguration: "misconfiguration",
  secret: "secret",
  license: "license",
};

/** trivy's own severity, written as a rule tag; UNKNOWN stays unknown rather than a CVSS 0.0 `info`. */
const TRIVY_SEVERITIES: Readonly<Record<string, Severity>> = {
  CRITICAL: "critical",
  HIGH: "high",
  MEDIUM: "medium",
  LOW: "low",
  UNKNOWN: "unknown",
};

const TRIVY: DriverProfile = {
  tool: "trivy",
  format: "trivy-sarif",
  kind(rule, ruleId) {
    const byName = rule?.name === undefined ? undefined : TRIVY_RULE_KINDS[rule.name];
    if (byName !== undefined) return byName;
    for (const tag of ruleTags(rule)) {
      const byTag = TRIVY_TAG_KINDS[tag.toLowerCase()];
      if (byTag !== undefined) return byTag;
    }
    // UnknownIssue or a custom template: advisory ids are vulnerabilities, check ids misconfigurations.
    return /^(CVE|GHSA|GMS|RUSTSEC|PYSEC|GO|OSV|DLA|DSA|ALAS|RHSA|USN)-/i.test(ruleId)
      ? "vulnerability"
      : "misconfiguration";
  },
  statedSeverity(rule) {
    for (const tag of ruleTags(rule)) {
      const severity = TRIVY_SEVERITIES[tag];
      if (severity !== undefined) return severity;
    }
    return undefined;
  },
  version: standardVersion,
  title: standardTitle,
  encodesUris: true,
  packageOf(result) {
    // trivy writes the package only into the message text: `Package: qs\nInstalled Version: 6.14.0\n…`.
    const text = result.message.text ?? "";
    const name = messageField(text, "Package");
    if (name === undefined) return undefined;
    const installed = messageField(text, "Installed Version");
    const fixed = (messageField(text, "Fixed Version") ?? "")
      .split(",")
      .map((version) => version.trim())
      .filter((version) => version !== "");
    return { name, fixed, ...(installed === undefined ? {} : { installed }) };
  },
};

function ruleTags(rule: SarifRule | undefined): string[] {
  const tags = rule?.properties?.["tags"];
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === "string") : [];
}

function messageField(text: string, label: string): string | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${label}: `)) {
      const value = line.slice(label.length + 2).trim();
      return value === "" ? undefined : value;
    }
  }
  return undefined;
}
