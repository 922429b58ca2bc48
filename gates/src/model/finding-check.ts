import { FINDING_KINDS, SEVERITIES, SUPPRESSION_KINDS } from "../findings/finding.js";
import { GATE_NAMES } from "./gates.js";
import { hasOnlyKeys, isNonEmptyString, optionalCount, optionalString, optionalStrings } from "./plain-checks.js";
import type { z } from "zod";
import { FINDING_STATUSES, type ReportedFinding } from "./report.js";

/**
 * The ReportedFinding schema as a fast check (see plain-checks.ts), for baselines: a report.json of
 * 100,000 findings is read a line at a time beside the run, and zod's copy of every line cost about
 * 0.25 s of CPU there. Sufficient, never necessary: what it refuses goes through the schema. It
 * guards the schema's input type: `references` and a package's `fixed` may be absent (zod's default).
 */
export function isPlainReportedFinding(value: unknown): value is z.input<typeof ReportedFinding> {
  if (!hasOnlyKeys(value, FINDING_KEYS)) return false;
  const location = value["location"];
  const pkg = value["package"];
  const suppression = value["suppression"];
  return (
    isNonEmptyString(value["tool"]) &&
    KINDS.has(value["kind"]) &&
    isNonEmptyString(value["ruleId"]) &&
    SEVERITY_NAMES.has(value["severity"]) &&
    typeof value["title"] === "string" &&
    typeof value["message"] === "string" &&
    (location === undefined || isLocation(location)) &&
    isNonEmptyString(value["fingerprint"]) &&
    (pkg === undefined || isPackage(pkg)) &&
    optionalStrings(value["references"]) &&
    optionalString(value["helpUri"]) &&
    optionalString(value["snippet"]) &&
    optionalString(value["commit"]) &&
    (suppression === undefined || isSuppression(suppression)) &&
    GATES.has(value["gate"]) &&
    STATUSES.has(value["status"])
  );
}

// --- internal ---

const FINDING_KEYS: ReadonlySet<string> = new Set([
  "tool",
  "kind",
  "ruleId",
  "severity",
  "title",
  "message",
  "location",
  "fingerprint",
  "package",
  "references",
  "helpUri",
  "snippet",
  "commit",
  "suppression",
  "gate",
  "status",
]);
const LOCATION_KEYS: ReadonlySet<string> = new Set(["path", "startLine", "endLine", "startColumn", "endColumn"]);
const PACKAGE_KEYS: ReadonlySet<string> = new Set(["name", "installed", "fixed", "ecosystem"]);
const SUPPRESSION_KEYS: ReadonlySet<string> = new Set(["kind", "reason", "approver", "expires"]);
const KINDS: ReadonlySet<unknown> = new Set(FINDING_KINDS);
const SEVERITY_NAMES: ReadonlySet<unknown> = new Set(SEVERITIES);
const SUPPRESSIONS: ReadonlySet<unknown> = new Set(SUPPRESSION_KINDS);
const GATES: ReadonlySet<unknown> = new Set(GATE_NAMES);
const STATUSES: ReadonlySet<unknown> = new Set(FINDING_STATUSES);

function isLocation(value: unknown): boolean {
  return (
    hasOnlyKeys(value, LOCATION_KEYS) &&
    isNonEmptyString(value["path"]) &&
    optionalCount(value["startLine"]) &&
    optionalCount(value["endLine"]) &&
    optionalCount(value["startColumn"]) &&
    optionalCount(value["endColumn"])
  );
}

function isPackage(value: unknown): boolean {
  return (
    hasOnlyKeys(value, PACKAGE_KEYS) &&
    typeof value["name"] === "string" &&
    optionalString(value["installed"]) &&
    optionalStrings(value["fixed"]) &&
    optionalString(value["ecosystem"])
  );
}

function isSuppression(value: unknown): boolean {
  return (
    hasOnlyKeys(value, SUPPRESSION_KEYS) &&
    SUPPRESSIONS.has(value["kind"]) &&
    optionalString(value["reason"]) &&
    optionalString(value["approver"]) &&
    optionalString(value["expires"])
  );
}
