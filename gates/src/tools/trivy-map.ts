import { z } from "zod";
import type { Finding, Location, PackageInfo, Severity } from "../findings/finding.js";
import { fingerprintOf } from "../findings/fingerprint.js";
import { REDACTED } from "../findings/redact.js";
import { invalidReport, normalisePath, type ReportContext } from "./report-json.js";
import { isPlainVulnerabilityResult } from "./trivy-check.js";
import {
  TrivyResult,
  type TrivyLicense,
  type TrivyMisconfiguration,
  type TrivySecret,
  type TrivyVulnerability,
} from "./trivy-schema.js";

/** trivy's severities and ours; anything else (a future level, a typo) is `unknown`, never harmless. */
const SEVERITIES: Readonly<Record<string, Severity>> = {
  CRITICAL: "critical",
  HIGH: "high",
  MEDIUM: "medium",
  LOW: "low",
  UNKNOWN: "unknown",
};

/** trivy masks a secret by replacing each of its characters with `*`. */
const MASKED = /\*{3,}/;
/**
 * A mask and the rest of the word it sits in: trivy masks only its rule's secret group, so part of a
 * token can stay in the clear beside it (a Slack bot token's last 40 characters).
 */
const MASKED_WORDS = /[^\s"'`=:,;()[\]{}]*\*{3,}[^\s"'`=:,;()[\]{}]*/g;
const MAX_SNIPPET_LINES = 10;

/**
 * Turns trivy `Results[]` entries into findings, one entry at a time, so that the whole report never
 * has to be in memory (see trivy-stream.ts). Fingerprints that need an ordinal count occurrences
 * across the whole report in document order, which is the order both parsers feed entries in.
 */
export class TrivyCollector {
  readonly findings: Finding[] = [];
  /** Unmasked secret values met on the way, for the final scrub of every output. */
  readonly secrets: string[] = [];
  private readonly seen = new Map<string, number>();

  /** Validates `Results[index]` and collects its findings; throws REPORT_INVALID naming the JSON path. */
  add(entry: unknown, index: number, context: ReportContext): void {
    const result = isPlainVulnerabilityResult(entry) ? entry : checkedResult(entry, index, context);
    const target = normalisePath(result.Target);
    for (const vulnerability of result.Vulnerabilities ?? []) {
      this.findings.push(this.vulnerability(vulnerability, target, result.Type));
    }
    for (const misconfiguration of result.Misconfigurations ?? []) {
      if (misconfiguration.Status !== "PASS") this.findings.push(this.misconfiguration(misconfiguration, target));
    }
    const secrets = [...(result.Secrets ?? [])].sort((a, b) => (a.StartLine ?? 0) - (b.StartLine ?? 0));
    for (const secret of secrets) this.findings.push(this.secret(secret, target));
    for (const license of result.Licenses ?? []) this.findings.push(this.license(license, target));
  }

  /**
   * Built field by field in the order of the Finding schema, without spreads: this runs once per
   * vulnerability, 100,000 times for a large image, and every spread is an extra object.
   */
  private vulnerability(vulnerability: TrivyVulnerability, target: string, ecosystem: string | undefined): Finding {
    const id = vulnerability.VulnerabilityID;
    const name = vulnerability.PkgName;
    const installed = vulnerability.InstalledVersion;
    const fixed = splitFixedVersions(vulnerability.FixedVersion);
    const fix = fixed.length === 0 ? "no fixed version known" : `fixed in ${fixed.join(", ")}`;
    const finding: Finding = {
      tool: "trivy",
      kind: "vulnerability",
      ruleId: id,
      severity: severityOf(vulnerability.Severity),
      title: vulnerability.Title ?? id,
      // Joined, not a template: one flat string instead of a chain of pieces that every scavenge
      // copies and report.json's stringify must flatten.
      message: [id, " in ", name, installed === undefined ? "" : ` ${installed}`, ": ", fix].join(""),
    } as Finding;
    const path = vulnerability.PkgPath === undefined ? target : normalisePath(vulnerability.PkgPath);
    if (path !== "") finding.location = { path };
    finding.fingerprint = this.ordinal(["trivy", id, name, installed ?? "", target]);
    const pkg: PackageInfo = { name } as PackageInfo;
    if (installed !== undefined) pkg.installed = installed;
    pkg.fixed = fixed;
    if (ecosystem !== undefined) pkg.ecosystem = ecosystem;
    finding.package = pkg;
    finding.references = references(id, vulnerability.CweIDs, vulnerability.References);
    if (vulnerability.PrimaryURL !== undefined) finding.helpUri = vulnerability.PrimaryURL;
    return finding;
  }

  private misconfiguration(check: TrivyMisconfiguration, target: string): Finding {
    const id = normaliseCheckId(check.ID, check.AVDID);
    const cause = check.CauseMetadata;
    const snippet = causeLines(cause?.Code?.Lines ?? []);
    return {
      tool: "trivy",
      kind: "misconfiguration",
      ruleId: id,
      severity: severityOf(check.Severity),
      title: check.Title ?? id,
      message: check.Message ?? check.Description ?? check.Title ?? id,
      ...locationField(target, cause?.StartLine, cause?.EndLine),
      // Lines are left out on purpose: a check keeps its identity when the file around it moves.
      fingerprint: this.ordinal(["trivy", "misconfiguration", id, target, cause?.Resource ?? ""]),
      references: unique(check.References ?? []),
      ...(check.PrimaryURL === undefined ? {} : { helpUri: check.PrimaryURL }),
      ...(snippet === "" ? {} : { snippet }),
      ...(check.Status === "EXCEPTION"
        ? { suppression: { kind: "external", reason: "trivy check exception (Status EXCEPTION)" } }
        : {}),
    };
  }

  private secret(secret: TrivySecret, target: string): Finding {
    const match = secret.Match;
    const masked = match !== undefined && MASKED.test(match);
    if (match !== undefined && !masked && match.trim() !== "") this.secrets.push(match.trim());
    for (const line of secret.Code?.Lines ?? []) {
      const content = line.Content?.trim() ?? "";
      if (line.IsCause === true && content !== "" && !MASKED.test(content)) this.secrets.push(content);
    }
    const title = secret.Title ?? secret.RuleID;
    const category = secret.Category === undefined ? "" : ` (${secret.Category})`;
    return {
      tool: "trivy",
      kind: "secret",
      ruleId: secret.RuleID,
      severity: severityOf(secret.Severity),
      title,
      message: `${title}${category} found in ${target}`,
      ...locationField(target, secret.StartLine, secret.EndLine),
      // Never derived from the secret, not even hashed: rule, file and the finding's rank in that file.
      fingerprint: this.ordinal(["trivy", "secret", secret.RuleID, target]),
      references: [],
      // Only trivy's own masked line is shown, the masked word made explicit; code lines never are.
      ...(masked ? { snippet: match.replace(MASKED_WORDS, REDACTED).trim() } : {}),
    };
  }

  private license(license: TrivyLicense, target: string): Finding {
    const subject = license.PkgName ?? license.FilePath ?? target;
    const category = license.Category === undefined ? "" : ` (category ${license.Category})`;
    return {
      tool: "trivy",
      kind: "license",
      ruleId: license.Name,
      severity: severityOf(license.Severity),
      title: `License ${license.Name}`,
      message: `${subject} is licensed under ${license.Name}${category}`,
      ...locationField(license.FilePath === undefined ? target : normalisePath(license.FilePath)),
      fingerprint: this.ordinal([
        "trivy",
        "license",
        license.Name,
        license.PkgName ?? "",
        license.FilePath ?? "",
        target,
      ]),
      ...(license.PkgName === undefined ? {} : { package: { name: license.PkgName, fixed: [] } }),
      references: license.Link === undefined || license.Link === "" ? [] : [license.Link],
      ...(license.Link === undefined || license.Link === "" ? {} : { helpUri: license.Link }),
    };
  }

  /** Same scheme as ordinalFingerprints: the first occurrence of an identity keeps the plain hash. */
  private ordinal(parts: readonly string[]): string {
    const key = fingerprintOf(parts);
    const count = this.seen.get(key) ?? 0;
    this.seen.set(key, count + 1);
    return count === 0 ? key : fingerprintOf([key, count]);
  }
}

/** `7.0.5, 6.0.6` -> [`7.0.5`, `6.0.6`]; empty or absent -> [] (no fix known). */
export function splitFixedVersions(value: string | undefined): string[] {
  if (value === undefined) return [];
  if (!value.includes(",")) {
    const version = value.trim();
    return version === "" ? [] : [version];
  }
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

/**
 * One spelling per check across trivy versions: `DS002` + `AVD-DS-0002`, `AVD-DS-0002` and `DS-0002`
 * all become `DS-0002`; `KSV001` and `KSV-0001` become `KSV-0001`. Waivers and baselines written
 * against one trivy version keep matching after an upgrade.
 */
export function normaliseCheckId(id: string, avdId?: string): string {
  const source = (avdId ?? id).trim().replace(/^AVD-/i, "");
  const match = /^([A-Za-z]+(?:-[A-Za-z]+)*)-?(\d+)$/.exec(source);
  if (match === null) return source === "" ? id : source;
  const [, prefix = "", digits = ""] = match;
  return `${prefix.toUpperCase()}-${digits.padStart(4, "0")}`;
}

export function severityOf(value: string): Severity {
  return SEVERITIES[value.trim().toUpperCase()] ?? "unknown";
}

// --- internal ---

/** An entry the fast check refused, through the schema: its data, or REPORT_INVALID naming the field. */
function checkedResult(entry: unknown, index: number, context: ReportContext): TrivyResult {
  const parsed = TrivyResult.safeParse(entry);
  if (!parsed.success) throw invalidReport(prefixed(parsed.error, ["Results", index]), context);
  return parsed.data;
}

/** The advisory id, its CWEs, then its links; empty and repeated ones left out (as `unique` does). */
function references(
  id: string,
  cwes: readonly string[] | null | undefined,
  links: readonly string[] | null | undefined,
): string[] {
  const all = [id];
  for (const cwe of cwes ?? []) all.push(cwe);
  for (const link of links ?? []) all.push(link);
  // A handful per vulnerability: a linear look-up beats building a Set for each of 100,000.
  if (all.length > 16) return unique(all);
  const kept: string[] = [];
  for (const value of all) if (value !== "" && !kept.includes(value)) kept.push(value);
  return kept;
}

/** Puts `Results.<index>` in front of each issue path, so an error names the entry in the file. */
function prefixed(error: z.ZodError, prefix: readonly (string | number)[]): z.ZodError {
  return new z.ZodError(error.issues.map((issue) => ({ ...issue, path: [...prefix, ...issue.path] })));
}

function locationField(path: string, startLine?: number, endLine?: number): { location?: Location } {
  if (path === "") return {};
  return {
    location: {
      path,
      ...(startLine !== undefined && startLine > 0 ? { startLine } : {}),
      ...(endLine !== undefined && endLine > 0 ? { endLine } : {}),
    },
  };
}

function causeLines(lines: readonly { Content?: string | undefined; IsCause?: boolean | undefined }[]): string {
  return lines
    .filter((line) => line.IsCause === true)
    .slice(0, MAX_SNIPPET_LINES)
    .map((line) => line.Content ?? "")
    .join("\n")
    .trimEnd();
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.filter((value) => value !== ""))];
}
