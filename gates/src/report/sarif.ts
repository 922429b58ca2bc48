import type * as Sarif from "sarif";
import { SEVERITY_RANK, type FindingKind, type Location, type Severity } from "../findings/finding.js";
import { InternalError } from "../errors.js";
import { artifactUri } from "../findings/artifact-uri.js";
import { GITHUB_LIMITS } from "./limits.js";
import type { Report, ReportedFinding, ToolRun } from "../model/report.js";
import { planSarif, type SarifToolPlan } from "./sarif-plan.js";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";

export { planSarif, sarifNotices, withSarifNotices, type SarifToolPlan } from "./sarif-plan.js";

/** report.sarif: merged SARIF 2.1.0, one run per tool, for GitHub code scanning. */
export function renderSarif(report: Report): string {
  return [...renderSarifChunks(report)].join("");
}

/**
 * report.sarif in pieces, for streaming to disk: the same bytes as renderSarif, one result at a
 * time, so that 5,000 results per tool are never one string.
 */
export function* renderSarifChunks(report: Report): Generator<string> {
  yield `{"$schema":${JSON.stringify(SARIF_SCHEMA_URI)},"version":"2.1.0","runs":[`;
  let first = true;
  const categories = new Set<string>();
  for (const entry of planSarif(report)) {
    if (entry.omitted !== undefined) continue;
    // Code scanning keeps one analysis per category: two tools whose names differ only in case or
    // punctuation (`semgrep`, `Semgrep`) must not share one and replace each other's alerts.
    let category = `portcullis/${slug(report.environment)}/${slug(entry.tool)}/`;
    for (let n = 2; categories.has(category); n += 1)
      category = `portcullis/${slug(report.environment)}/${slug(entry.tool)}-${n}/`;
    categories.add(category);
    const { run, rules } = toRun(report, entry, category);
    // Results go where they always were, before the run's properties.
    const { properties, ...head } = run;
    const text = JSON.stringify({ ...head, results: RESULTS_SLOT, properties });
    const slot = text.indexOf(SLOT_TEXT);
    if (slot < 0) throw new InternalError(`report.sarif: the results slot of ${entry.tool} is missing`);
    yield `${first ? "" : ","}${text.slice(0, slot)}"results":[`;
    first = false;
    // One stringify per batch of results (joined by commas, as JSON.stringify joins an array's
    // items): several times faster than one per result.
    for (let start = 0; start < entry.findings.length; start += BATCH) {
      const results = entry.findings
        .slice(start, start + BATCH)
        .map((finding) => toResult(finding, rules.get(finding.ruleId)?.index ?? 0));
      yield `${start === 0 ? "" : ","}${JSON.stringify(results).slice(1, -1)}`;
    }
    yield `]${text.slice(slot + SLOT_TEXT.length)}`;
  }
  yield "]}\n";
}

// --- internal ---

const LEVEL: Readonly<Record<Severity, Sarif.Result.level>> = {
  critical: "error",
  high: "error",
  medium: "warning",
  // Unknown is never shown as harmless.
  unknown: "warning",
  low: "note",
  info: "note",
};

/** GitHub reads security-severity in bands: > 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low. */
const SECURITY_SEVERITY: Readonly<Partial<Record<Severity, string>>> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "2.0",
};

const SECURITY_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>([
  "secret",
  "vulnerability",
  "misconfiguration",
  "sast",
]);

/** Results per yielded piece. */
const BATCH = 2048;
/** Stands in for a run's results while the rest of the run is serialised; only a key can precede `:"`. */
const RESULTS_SLOT = "\u0000portcullis:results\u0000";
const SLOT_TEXT = `"results":${JSON.stringify(RESULTS_SLOT)}`;

/** A run without its results (written one by one), and the rule index results point into. */
function toRun(
  report: Report,
  entry: SarifToolPlan,
  category: string,
): { run: Omit<Sarif.Run, "results">; rules: Map<string, RuleEntry> } {
  const rules = new Map<string, RuleEntry>();
  for (const finding of entry.findings) {
    const rule = rules.get(finding.ruleId);
    if (rule === undefined) rules.set(finding.ruleId, { index: rules.size, first: finding, worst: finding.severity });
    else if (SEVERITY_RANK[finding.severity] < SEVERITY_RANK[rule.worst]) rule.worst = finding.severity;
  }
  const runs = report.tools.filter((run) => run.tool === entry.tool);
  const version = runs.find((run) => run.version !== undefined)?.version;
  const notifications = runs.flatMap(notificationsOf);
  const run: Omit<Sarif.Run, "results"> = {
    tool: {
      driver: {
        name: entry.tool,
        ...(version === undefined ? {} : { version }),
        rules: [...rules.values()].map(toRule),
      },
    },
    automationDetails: { id: category },
    columnKind: "utf16CodeUnits",
    invocations: [
      {
        executionSuccessful: true,
        ...(notifications.length === 0 ? {} : { toolExecutionNotifications: notifications }),
      },
    ],
    properties: {
      "portcullis/environment": report.environment,
      "portcullis/truncated": entry.findings.length < entry.total,
      "portcullis/totalResults": entry.total,
      "portcullis/includedResults": entry.findings.length,
    },
  };
  return { run, rules };
}

interface RuleEntry {
  index: number;
  /** The rule's metadata (title, help, references) comes from its first finding. */
  first: ReportedFinding;
  /** The rule's level and security-severity are those of its worst result. */
  worst: Severity;
}

/** One per rule, up to 5,000 per run (a CVE each): built without spreads or a Set per rule. */
function toRule({ first, worst }: RuleEntry): Sarif.ReportingDescriptor {
  const security = SECURITY_KINDS.has(first.kind);
  const securitySeverity = security ? SECURITY_SEVERITY[worst] : undefined;
  // "security", the kind, then the CWEs among the references, each once, at most the limit.
  const tags = security ? ["security", first.kind] : [first.kind];
  for (const ref of first.references) {
    if (tags.length >= GITHUB_LIMITS.sarifTagsPerRule) break;
    if (!CWE_ID.test(ref)) continue;
    const tag = `external/cwe/${ref.toLowerCase()}`;
    if (!tags.includes(tag)) tags.push(tag);
  }
  tags.length = Math.min(tags.length, GITHUB_LIMITS.sarifTagsPerRule);
  const summary = cut(first.title !== "" ? first.title : first.ruleId);
  // A rules file in the scanned repository writes the help link: only a web page, never `javascript:`.
  const helpUri = first.helpUri !== undefined && /^https?:\/\//i.test(first.helpUri) ? first.helpUri : undefined;
  const rule: Sarif.ReportingDescriptor = {
    id: first.ruleId,
    name: first.ruleId.slice(0, GITHUB_LIMITS.sarifRuleNameChars),
    shortDescription: { text: summary },
    fullDescription: { text: cut(first.message !== "" ? first.message : summary) },
    help: { text: helpUri === undefined ? summary : `${summary}. See ${helpUri}` },
  };
  if (helpUri !== undefined) rule.helpUri = helpUri;
  rule.defaultConfiguration = { level: LEVEL[worst] };
  rule.properties = securitySeverity === undefined ? { tags } : { tags, "security-severity": securitySeverity };
  return rule;
}

const CWE_ID = /^CWE-\d+$/i;

function toResult(finding: ReportedFinding, ruleIndex: number): Sarif.Result {
  const suppression = suppressionOf(finding);
  return {
    ruleId: finding.ruleId,
    ruleIndex,
    level: LEVEL[finding.severity],
    message: { text: finding.message !== "" ? finding.message : finding.title !== "" ? finding.title : finding.ruleId },
    ...(finding.location === undefined ? {} : { locations: [locationOf(finding, finding.location)] }),
    partialFingerprints: { "portcullis/v1": finding.fingerprint },
    ...(suppression === undefined ? {} : { suppressions: [suppression] }),
    properties: {
      "portcullis/gate": finding.gate,
      "portcullis/status": finding.status,
      "portcullis/severity": finding.severity,
      ...(finding.package === undefined ? {} : { "portcullis/package": finding.package }),
      ...(finding.references.length === 0 ? {} : { "portcullis/references": finding.references }),
    },
  };
}

function locationOf(finding: ReportedFinding, location: Location): Sarif.Location {
  const start = location.startLine ?? 0;
  const region: Sarif.Region | undefined =
    start < 1
      ? undefined
      : {
          startLine: start,
          ...(location.endLine !== undefined && location.endLine >= start ? { endLine: location.endLine } : {}),
          ...(location.startColumn !== undefined && location.startColumn >= 1
            ? { startColumn: location.startColumn }
            : {}),
          ...(location.endColumn !== undefined && location.endColumn >= 1 ? { endColumn: location.endColumn } : {}),
          // A secret finding's snippet is never written, even redacted: defence in depth.
          ...(finding.snippet !== undefined && finding.kind !== "secret" ? { snippet: { text: finding.snippet } } : {}),
        };
  return {
    physicalLocation: {
      artifactLocation: { uri: artifactUri(location.path) },
      ...(region === undefined ? {} : { region }),
    },
  };
}

function suppressionOf(finding: ReportedFinding): Sarif.Suppression | undefined {
  const suppression = finding.suppression;
  switch (finding.status) {
    case "new":
      return undefined;
    case "suppressed":
      return {
        kind: suppression?.kind === "inSource" ? "inSource" : "external",
        ...(suppression?.reason === undefined ? {} : { justification: suppression.reason }),
      };
    case "waived":
      return {
        kind: "external",
        status: "accepted",
        justification: `waived by ${suppression?.approver ?? "?"} until ${suppression?.expires ?? "?"}: ${suppression?.reason ?? ""}`,
      };
    case "baseline":
      return { kind: "external", status: "accepted", justification: "present in the baseline report" };
  }
}

function notificationsOf(run: ToolRun): Sarif.Notification[] {
  return run.toolErrors.map((error) => ({
    level: error.level === "error" ? "error" : "warning",
    message: { text: error.path === undefined ? error.message : `${error.path}: ${error.message}` },
  }));
}

/** automationDetails ids are hierarchical (`/`-separated): a component must not contain `/`. */
function slug(text: string): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return cleaned === "" ? "tool" : cleaned;
}

function cut(text: string): string {
  const max = GITHUB_LIMITS.sarifDescriptionChars;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
