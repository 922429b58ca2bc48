import { absentOrEmpty, nullishStrings, optionalString } from "../model/plain-checks.js";
import { isRecord } from "./report-json.js";
import type { TrivyResult } from "./trivy-schema.js";

/**
 * A fast check that a `Results[]` entry holding only vulnerabilities is one the `TrivyResult`
 * schema accepts. Sufficient, never necessary: whatever it refuses (a misconfiguration, a secret,
 * a wrong type anywhere) goes through the schema, which accepts it or names the bad field. A
 * 100 MB report holds 100,000 vulnerabilities: validating each through zod costs a copy of every
 * object, and the copies are garbage the moment the findings are built.
 */
export function isPlainVulnerabilityResult(entry: unknown): entry is TrivyResult {
  if (!isRecord(entry) || typeof entry["Target"] !== "string") return false;
  if (!optionalString(entry["Class"]) || !optionalString(entry["Type"])) return false;
  if (!absentOrEmpty(entry["Misconfigurations"]) || !absentOrEmpty(entry["Secrets"])) return false;
  if (!absentOrEmpty(entry["Licenses"])) return false;
  const vulnerabilities = entry["Vulnerabilities"];
  if (vulnerabilities === undefined || vulnerabilities === null) return true;
  if (!Array.isArray(vulnerabilities)) return false;
  for (const vulnerability of vulnerabilities) if (!isVulnerability(vulnerability)) return false;
  return true;
}

// --- internal ---

/** The `TrivyVulnerability` schema, field by field. */
function isVulnerability(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const id = value["VulnerabilityID"];
  return (
    typeof id === "string" &&
    id.length > 0 &&
    typeof value["PkgName"] === "string" &&
    typeof value["Severity"] === "string" &&
    optionalString(value["PkgPath"]) &&
    optionalString(value["InstalledVersion"]) &&
    optionalString(value["FixedVersion"]) &&
    optionalString(value["Title"]) &&
    optionalString(value["PrimaryURL"]) &&
    nullishStrings(value["CweIDs"]) &&
    nullishStrings(value["References"])
  );
}
