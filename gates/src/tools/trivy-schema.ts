import { z } from "zod";

/*
 * trivy's JSON report, schema v2 (`trivy … --format json`), reduced to the fields Portcullis reads.
 * trivy adds fields in almost every release (Fingerprint, PkgIdentifier, ReportID, Trivy.Version…),
 * so these objects deliberately accept (and drop) keys they do not name; a field they do name must
 * have the right type. Arrays that Go leaves nil are written as `null` by older trivy versions,
 * hence `.nullish()` on every list.
 */

const Strings = z.array(z.string()).nullish();

export const TrivyVulnerability = z.object({
  VulnerabilityID: z.string().min(1),
  PkgName: z.string(),
  PkgPath: z.string().optional(),
  InstalledVersion: z.string().optional(),
  /** Comma-separated when several release lines fix it (`7.0.5, 6.0.6`). */
  FixedVersion: z.string().optional(),
  Severity: z.string(),
  Title: z.string().optional(),
  PrimaryURL: z.string().optional(),
  CweIDs: Strings,
  References: Strings,
});
export type TrivyVulnerability = z.infer<typeof TrivyVulnerability>;

const CodeLine = z.object({
  Number: z.number().int().optional(),
  Content: z.string().optional(),
  IsCause: z.boolean().optional(),
});

/** `Code.Lines` is `null` when trivy could not read the source (the Dockerfile fixture shows it). */
const Code = z.object({ Lines: z.array(CodeLine).nullish() });

export const TrivyMisconfiguration = z.object({
  /** `DS002` / `KSV001` in older versions (with AVDID `AVD-DS-0002`), `KSV-0001` since the ID rework. */
  ID: z.string().min(1),
  AVDID: z.string().optional(),
  Title: z.string().optional(),
  Description: z.string().optional(),
  Message: z.string().optional(),
  Severity: z.string(),
  PrimaryURL: z.string().optional(),
  References: Strings,
  /** Absent in reports older than `--include-non-failures`: those list failures only. */
  Status: z.enum(["FAIL", "PASS", "EXCEPTION"]).optional(),
  CauseMetadata: z
    .object({
      Resource: z.string().optional(),
      StartLine: z.number().int().optional(),
      EndLine: z.number().int().optional(),
      Code: Code.optional(),
    })
    .optional(),
});
export type TrivyMisconfiguration = z.infer<typeof TrivyMisconfiguration>;

export const TrivySecret = z.object({
  RuleID: z.string().min(1),
  Category: z.string().optional(),
  Severity: z.string(),
  Title: z.string().optional(),
  StartLine: z.number().int().optional(),
  EndLine: z.number().int().optional(),
  /** The matched line with the secret replaced by `*`; checked anyway before anything is shown. */
  Match: z.string().optional(),
  Code: Code.optional(),
});
export type TrivySecret = z.infer<typeof TrivySecret>;

export const TrivyLicense = z.object({
  Name: z.string().min(1),
  Severity: z.string(),
  Category: z.string().optional(),
  PkgName: z.string().optional(),
  FilePath: z.string().optional(),
  Link: z.string().optional(),
});
export type TrivyLicense = z.infer<typeof TrivyLicense>;

/** One `Results[]` entry: any of the finding lists may be absent (the os-pkgs result of a clean image). */
export const TrivyResult = z.object({
  Target: z.string(),
  Class: z.string().optional(),
  Type: z.string().optional(),
  Vulnerabilities: z.array(TrivyVulnerability).nullish(),
  Misconfigurations: z.array(TrivyMisconfiguration).nullish(),
  Secrets: z.array(TrivySecret).nullish(),
  Licenses: z.array(TrivyLicense).nullish(),
});
export type TrivyResult = z.infer<typeof TrivyResult>;

/**
 * Everything but the results. `Results` is only checked to be a list here: entries are validated
 * one at a time, so that the streaming parser and `parse(raw)` share one code path. trivy omits
 * `Results` altogether when a scan finds nothing.
 */
export const TrivyHeader = z.object({
  SchemaVersion: z.literal(2),
  ArtifactName: z.string().optional(),
  ArtifactType: z.string().optional(),
  Trivy: z.object({ Version: z.string() }).optional(),
  Results: z.array(z.unknown()).nullish(),
});
export type TrivyHeader = z.infer<typeof TrivyHeader>;

/** `trivy version --format json`. VulnerabilityDB is absent until a database has been downloaded. */
export const TrivyVersionOutput = z.object({
  Version: z.string().min(1),
  VulnerabilityDB: z
    .object({
      Version: z.number().int(),
      UpdatedAt: z.string().refine(isTimestamp, "expected an RFC 3339 timestamp"),
      NextUpdate: z.string().refine(isTimestamp, "expected an RFC 3339 timestamp"),
    })
    .optional(),
});

// --- internal ---

function isTimestamp(value: string): boolean {
  return Number.isFinite(Date.parse(value));
}
