import { isPlainMap, optionalCount, optionalInteger, optionalString, optionalStrings } from "../model/plain-checks.js";
import { isRecord } from "./report-json.js";
import type { SarifResult } from "./sarif-schema.js";

/**
 * The `SarifResult` schema as a fast check (see plain-checks.ts): a SARIF log of 100 MB holds
 * 150,000 results, and zod's copy of each, garbage once its finding is built, was a fifth of
 * reading the log. Sufficient, never necessary: what it refuses goes through the schema.
 */
export function isPlainSarifResult(value: unknown): value is SarifResult {
  if (!isRecord(value)) return false;
  const rule = value["rule"];
  const locations = value["locations"];
  const suppressions = value["suppressions"];
  return (
    optionalString(value["ruleId"]) &&
    optionalInteger(value["ruleIndex"]) &&
    (rule === undefined || (isRecord(rule) && optionalString(rule["id"]) && optionalInteger(rule["index"]))) &&
    optionalMember(value["kind"], RESULT_KINDS) &&
    optionalMember(value["level"], LEVELS) &&
    isMessage(value["message"]) &&
    (locations === undefined || (Array.isArray(locations) && locations.every(isLocation))) &&
    optionalStringMap(value["fingerprints"]) &&
    optionalStringMap(value["partialFingerprints"]) &&
    (suppressions === undefined || (Array.isArray(suppressions) && suppressions.every(isSuppression))) &&
    optionalMember(value["baselineState"], BASELINE_STATES) &&
    (value["properties"] === undefined || isPlainMap(value["properties"]))
  );
}

// --- internal ---

const RESULT_KINDS: ReadonlySet<unknown> = new Set([
  "notApplicable",
  "pass",
  "fail",
  "review",
  "open",
  "informational",
]);
const LEVELS: ReadonlySet<unknown> = new Set(["none", "note", "warning", "error"]);
const BASELINE_STATES: ReadonlySet<unknown> = new Set(["new", "unchanged", "updated", "absent"]);
const SUPPRESSION_KINDS: ReadonlySet<unknown> = new Set(["inSource", "external"]);
const SUPPRESSION_STATUSES: ReadonlySet<unknown> = new Set(["accepted", "underReview", "rejected"]);

function optionalMember(value: unknown, members: ReadonlySet<unknown>): boolean {
  return value === undefined || members.has(value);
}

function isMessage(value: unknown): boolean {
  return (
    isRecord(value) &&
    optionalString(value["text"]) &&
    optionalString(value["markdown"]) &&
    optionalString(value["id"]) &&
    optionalStrings(value["arguments"])
  );
}

function isLocation(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const physical = value["physicalLocation"];
  if (physical === undefined) return true;
  if (!isRecord(physical)) return false;
  const artifact = physical["artifactLocation"];
  const region = physical["region"];
  return (
    (artifact === undefined ||
      (isRecord(artifact) &&
        optionalString(artifact["uri"]) &&
        optionalString(artifact["uriBaseId"]) &&
        optionalCount(artifact["index"]))) &&
    (region === undefined || isRegion(region))
  );
}

function isRegion(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const snippet = value["snippet"];
  return (
    optionalCount(value["startLine"]) &&
    optionalCount(value["startColumn"]) &&
    optionalCount(value["endLine"]) &&
    optionalCount(value["endColumn"]) &&
    (snippet === undefined || (isRecord(snippet) && optionalString(snippet["text"])))
  );
}

function isSuppression(value: unknown): boolean {
  return (
    isRecord(value) &&
    SUPPRESSION_KINDS.has(value["kind"]) &&
    optionalMember(value["status"], SUPPRESSION_STATUSES) &&
    optionalString(value["justification"])
  );
}

/** `z.record(z.string(), z.string()).optional()`. */
function optionalStringMap(value: unknown): boolean {
  if (value === undefined) return true;
  if (!isPlainMap(value)) return false;
  for (const key in value) if (typeof value[key] !== "string") return false;
  return true;
}
