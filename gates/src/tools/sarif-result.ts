import type { Finding, Location, Severity, Suppression } from "../findings/finding.js";
import { isMasked, REDACTED, redactText, scrubList } from "../findings/redact.js";
import type { DriverProfile } from "./sarif-profile.js";
import { normalisePath } from "./report-json.js";
import type { SarifLevel, SarifResult, SarifRule, SarifRun } from "./sarif-schema.js";

/** A finding before its fingerprint, with what the fingerprint is computed from. */
export interface DraftFinding {
  finding: Omit<Finding, "fingerprint">;
  /** Identity parts for ordinalFingerprints; never secret material. */
  identity: Array<string | number | undefined>;
  /** Position in the file, to number findings that share an identity. */
  order: number;
  /** Raw secret values seen in this result (to be scrubbed from every output). */
  secrets: string[];
}

/** SARIF level -> severity (used when no `security-severity` is given). */
export const LEVEL_SEVERITY: Readonly<Record<SarifLevel, Severity>> = {
  error: "high",
  warning: "medium",
  note: "low",
  none: "info",
};

/** CVSS v3 qualitative bands, as GitHub code scanning reads `security-severity`. */
export function severityFromScore(score: number): Severity {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  if (score > 0) return "low";
  return "info";
}

/** Values tools write where they have none ("requires login" is semgrep's logged-out placeholder). */
export function isPlaceholder(value: string): boolean {
  return /^\s*requires login\s*$/i.test(value);
}

/**
 * One SARIF result as a draft finding, or undefined for results that are not findings: kind
 * `pass`/`notApplicable`, or `baselineState: absent` (gone since the baseline).
 */
export function draftFromResult(result: SarifResult, run: SarifRun, profile: DriverProfile): DraftFinding | undefined {
  if (result.kind === "pass" || result.kind === "notApplicable" || result.baselineState === "absent") return undefined;
  const rule = resolveRule(result, run);
  const ruleId = ruleIdOf(result) ?? (rule?.id || "unidentified-rule");
  const kind = profile.kind(rule, ruleId);
  const { location, snippet } = firstLocation(result, run, profile);
  const title = profile.title(rule) ?? ruleId;
  const message = messageText(result, rule) ?? title;
  const helpUri = rule?.helpUri;
  const pkg = profile.packageOf(result);
  const suppression = suppressionOf(result);
  const order = (location?.startLine ?? 0) * 1_000_000 + (location?.startColumn ?? 0);
  // Built field by field, in the order report.json writes them, without spreads: this runs once per
  // result, and the spread copies were over a quarter of the time spent turning results into findings.
  const finding = {
    tool: profile.tool,
    kind,
    ruleId,
    severity: severityOf(result, rule, profile),
    references: referencesOf(ruleId, rule, result, helpUri),
  } as Omit<Finding, "fingerprint">;
  if (location !== undefined) finding.location = location;
  if (helpUri !== undefined) finding.helpUri = helpUri;
  if (pkg !== undefined) finding.package = pkg;
  if (suppression !== undefined) finding.suppression = suppression;
  finding.title = title;
  finding.message = message;
  if (kind === "secret") return secretDraft(finding, { result, snippet, order });
  if (snippet !== undefined) finding.snippet = snippet;
  return {
    finding,
    identity: identityOf(result, profile.tool, ruleId, location, pkg?.name),
    order,
    secrets: [],
  };
}

/**
 * A draft with its fingerprint, the draft itself completed: the drafts are the parser's own, and a
 * copy per finding of a large report is only garbage. The fingerprint comes last, as it always has.
 */
export function withFingerprint(draft: Omit<Finding, "fingerprint">, fingerprint: string | undefined): Finding {
  return Object.assign(draft, { fingerprint: fingerprint ?? "" });
}

// --- internal ---

type FindingBody = Omit<Finding, "fingerprint" | "snippet" | "commit">;

/** The snippet of a secret finding is (or contains) the secret: it never leaves this function. */
function secretDraft(
  body: FindingBody,
  from: { result: SarifResult; snippet: string | undefined; order: number },
): DraftFinding {
  const { result, snippet, order } = from;
  const secrets = snippet === undefined || isMasked(snippet.trim()) ? [] : [snippet];
  const scrub = scrubList(secrets);
  const commit = result.partialFingerprints?.["commitSha"];
  return {
    finding: {
      ...body,
      title: redactText(body.title, scrub),
      message: redactText(body.message, scrub),
      ...(snippet === undefined ? {} : { snippet: REDACTED }),
      ...(commit === undefined || commit === "" ? {} : { commit }),
    },
    // Never the tool's fingerprints, which may hash the secret; the commit keeps history scans apart.
    identity: [body.tool, body.ruleId, body.location?.path, commit],
    order,
    secrets,
  };
}

/** The rule id a result names itself, if any: an empty id is none (a finding's rule id never is). */
function ruleIdOf(result: SarifResult): string | undefined {
  return result.ruleId || result.rule?.id || undefined;
}

function resolveRule(result: SarifResult, run: SarifRun): SarifRule | undefined {
  const rules = run.tool.driver.rules ?? [];
  const index = result.ruleIndex ?? result.rule?.index;
  const id = ruleIdOf(result);
  const byIndex = index === undefined || index < 0 ? undefined : rules[index];
  if (byIndex !== undefined && (id === undefined || byIndex.id === id || id.startsWith(`${byIndex.id}/`)))
    return byIndex;
  return id === undefined ? undefined : rulesById(run).get(id);
}

/**
 * A run's rules by id, the first of each id (as a search from the start finds it). semgrep and
 * gitleaks give results no ruleIndex and list every rule of the run, over a thousand for a
 * registry pack: searching the list for each result was another quarter of that time.
 */
function rulesById(run: SarifRun): ReadonlyMap<string, SarifRule> {
  let byId = RULES_BY_ID.get(run);
  if (byId === undefined) {
    byId = new Map();
    for (const rule of run.tool.driver.rules ?? []) if (!byId.has(rule.id)) byId.set(rule.id, rule);
    RULES_BY_ID.set(run, byId);
  }
  return byId;
}

const RULES_BY_ID = new WeakMap<SarifRun, Map<string, SarifRule>>();

function severityOf(result: SarifResult, rule: SarifRule | undefined, profile: DriverProfile): Severity {
  const stated = profile.statedSeverity(rule);
  if (stated !== undefined) return stated;
  const score = securitySeverity(result.properties) ?? securitySeverity(rule?.properties);
  if (score !== undefined) return severityFromScore(score);
  // SARIF §3.27.10: a failing result without `level` takes the rule's default level, else "warning";
  // any other result kind defaults to "none".
  const failing = result.kind === undefined || result.kind === "fail";
  const level = result.level ?? (failing ? (rule?.defaultConfiguration?.level ?? "warning") : "none");
  return LEVEL_SEVERITY[level];
}

function securitySeverity(bag: Record<string, unknown> | undefined): number | undefined {
  const value = bag?.["security-severity"];
  const score =
    typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  return Number.isFinite(score) && score >= 0 && score <= 10 ? score : undefined;
}

function firstLocation(
  result: SarifResult,
  run: SarifRun,
  profile: DriverProfile,
): { location?: Location; snippet?: string } {
  const physical = result.locations?.[0]?.physicalLocation;
  const artifact = physical?.artifactLocation;
  const uri =
    artifact?.uri ?? (artifact?.index === undefined ? undefined : run.artifacts?.[artifact.index]?.location?.uri);
  // Portcullis' own report.sarif encodes every path, whichever tool's run it carries.
  const encoded = profile.encodesUris || run.automationDetails?.id?.startsWith("portcullis/") === true;
  const path = uri === undefined ? "" : normalisePath(encoded ? decodedUri(uri) : uri);
  const region = physical?.region;
  const text = region?.snippet?.text;
  const snippet = text === undefined || text === "" || isPlaceholder(text) ? undefined : text;
  if (path === "") return snippet === undefined ? {} : { snippet };
  const location: Location = {
    path,
    ...(region?.startLine === undefined ? {} : { startLine: region.startLine }),
    ...(region?.endLine === undefined ? {} : { endLine: region.endLine }),
    ...(region?.startColumn === undefined ? {} : { startColumn: region.startColumn }),
    ...(region?.endColumn === undefined ? {} : { endColumn: region.endColumn }),
  };
  return snippet === undefined ? { location } : { location, snippet };
}

/** SARIF URIs are percent-encoded; relative ones are kept relative to their uriBaseId (the scan root). */
function decodedUri(uri: string): string {
  try {
    return decodeURIComponent(uri);
  } catch {
    // Not a valid escape sequence: the producer wrote a raw path, keep it as written.
    return uri;
  }
}

function messageText(result: SarifResult, rule: SarifRule | undefined): string | undefined {
  const template =
    result.message.text ??
    (result.message.id === undefined ? undefined : rule?.messageStrings?.[result.message.id]?.text) ??
    result.message.markdown;
  if (template === undefined) return undefined;
  const args = result.message.arguments ?? [];
  return template.replace(/\{(\d+)\}/g, (placeholder, index: string) => args[Number(index)] ?? placeholder);
}

function suppressionOf(result: SarifResult): Suppression | undefined {
  const suppressions = result.suppressions ?? [];
  // SARIF §3.27.23: suppressed only when every suppression is accepted (status absent counts as accepted).
  if (suppressions.length === 0 || suppressions.some((s) => s.status === "rejected" || s.status === "underReview")) {
    return undefined;
  }
  const first = suppressions[0];
  if (first === undefined) return undefined;
  return first.justification === undefined || first.justification === ""
    ? { kind: first.kind }
    : { kind: first.kind, reason: first.justification };
}

const ID_PATTERN = /\b(CWE-\d+|CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3})\b/gi;

/**
 * The advisory ids named by the rule id, the rule's tags and CWEs and the result's tags, then the
 * help link. The rule's part is the same for each of its results (a registry rule has thousands):
 * read once per rule and rule id.
 */
function referencesOf(
  ruleId: string,
  rule: SarifRule | undefined,
  result: SarifResult,
  helpUri: string | undefined,
): string[] {
  const references = new Set(ruleReferences(ruleId, rule));
  for (const text of stringsOf(result.properties?.["tags"])) addIds(references, text);
  if (helpUri !== undefined && helpUri !== "") references.add(helpUri);
  return [...references];
}

function ruleReferences(ruleId: string, rule: SarifRule | undefined): readonly string[] {
  if (rule === undefined) return idsIn([ruleId]);
  let byRuleId = RULE_REFERENCES.get(rule);
  if (byRuleId === undefined) {
    byRuleId = new Map();
    RULE_REFERENCES.set(rule, byRuleId);
  }
  let ids = byRuleId.get(ruleId);
  if (ids === undefined) {
    ids = idsIn([ruleId, ...stringsOf(rule.properties?.["tags"]), ...stringsOf(rule.properties?.["cwe"])]);
    byRuleId.set(ruleId, ids);
  }
  return ids;
}

const RULE_REFERENCES = new WeakMap<SarifRule, Map<string, readonly string[]>>();

function idsIn(texts: readonly string[]): readonly string[] {
  const ids = new Set<string>();
  for (const text of texts) addIds(ids, text);
  return [...ids];
}

/** Advisory ids in upper case, GHSA ids as GitHub writes them (`GHSA-xxxx-…` in lower case after the prefix). */
function addIds(ids: Set<string>, text: string): void {
  for (const match of text.matchAll(ID_PATTERN)) {
    const id = match[0];
    ids.add(id.toUpperCase().startsWith("GHSA") ? `GHSA${id.slice(4).toLowerCase()}` : id.toUpperCase());
  }
}

function stringsOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function identityOf(
  result: SarifResult,
  tool: string,
  ruleId: string,
  location: Location | undefined,
  packageName: string | undefined,
): Array<string | undefined> {
  const own = stableEntries(result.fingerprints);
  // The tool's own fingerprint (semgrep matchBasedId/v1…) already survives line moves.
  if (own.length > 0) return [tool, ruleId, ...own];
  // Parts are appended only when present, so that semgrep JSON (rule, path) and SARIF agree.
  const pkg = packageName === undefined ? [] : [packageName];
  return [tool, ruleId, location?.path, ...pkg, ...stableEntries(result.partialFingerprints)];
}

function stableEntries(map: Record<string, string> | undefined): string[] {
  if (map === undefined) return [];
  return Object.entries(map)
    .filter(([, value]) => value !== "" && !isPlaceholder(value))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`);
}
