import { SEVERITIES, SEVERITY_RANK, type Severity } from "../findings/finding.js";
import { GATE_NAMES } from "../policy/schema.js";
import { escapeHtml, safeHref } from "./html-escape.js";
import type { Report, ReportedFinding } from "../model/report.js";
import { worstByStatusAndSeverity } from "../model/sort.js";

/**
 * How much of each gate's findings report.html shows. The page is for reading, report.json for
 * keeping: whatever the input, a gate shows its counts per severity, rule and package, then its
 * worst findings up to a count and a byte budget, then how many more are in report.json. With the
 * defaults, seven gates stay far below 5 MB, which a browser opens in well under two seconds.
 */
export interface HtmlLimits {
  /** Most finding rows per gate (new before accepted, worst severity first). */
  findingsPerGate: number;
  /** Most bytes of finding rows per gate: long paths and titles cannot blow the page up. */
  bytesPerGate: number;
  /** Rows of the per-rule and per-package count tables, per gate. */
  countRows: number;
}

export const HTML_LIMITS: Readonly<HtmlLimits> = { findingsPerGate: 500, bytesPerGate: 400_000, countRows: 25 };

/** The findings section: per gate, its counts, its worst findings, and what was left for report.json. */
export function findingsSection(report: Report, limits: HtmlLimits = HTML_LIMITS): string {
  const byGate = new Map<string, ReportedFinding[]>();
  for (const finding of report.findings) {
    const list = byGate.get(finding.gate);
    if (list === undefined) byGate.set(finding.gate, [finding]);
    else list.push(finding);
  }
  if (byGate.size === 0) return `<h2 id="findings">Findings</h2><p>No findings.</p>`;
  const sections = GATE_NAMES.filter((gate) => byGate.has(gate)).map((gate) =>
    gateSection(gate, byGate.get(gate) ?? [], limits),
  );
  return `<h2 id="findings">Findings</h2>${filterBar(report)}<div id="findings">${sections.join("")}</div>`;
}

// --- internal ---

/** Longest texts shown per finding: the page must stay light with thousands of findings. */
const TITLE_LIMIT = 120;
const MESSAGE_LIMIT = 200;
const PATH_LIMIT = 200;
const FINDING_STATUSES = ["new", "baseline", "waived", "suppressed"] as const;

function gateSection(gate: string, findings: readonly ReportedFinding[], limits: HtmlLimits): string {
  const worst = worstByStatusAndSeverity(findings, limits.findingsPerGate);
  const shown: ReportedFinding[] = [];
  let bytes = 0;
  for (const finding of worst) {
    if (shown.length >= limits.findingsPerGate) break;
    // Measured without its group: the row can only get shorter once its group header says its title.
    const size = findingRow(finding, undefined).length;
    if (bytes + size > limits.bytesPerGate) break;
    bytes += size;
    shown.push(finding);
  }
  const groups = ruleGroups(shown).map(ruleGroup).join("\n");
  const left = findings.length - shown.length;
  const more =
    left === 0
      ? ""
      : `<p class="more">${count(left)} more in report.json (the ${count(shown.length)} shown are the worst, new first).</p>`;
  return (
    `<section data-gate="${gate}"><h3>${gate} · ${count(findings.length)}</h3>${countsBlock(findings, limits)}` +
    `<table class="findings"><thead><tr><th>Finding</th><th>Location</th><th>Fix</th></tr></thead>\n${groups}</table>${more}</section>`
  );
}

/** Counts over every finding of the gate, shown or not: per severity and status, per rule, per package. */
function countsBlock(findings: readonly ReportedFinding[], limits: HtmlLimits): string {
  const severities = new Map<Severity, number>();
  const statuses = new Map<string, number>();
  const rules = new Map<string, { severity: Severity; count: number }>();
  const packages = new Map<string, { severity: Severity; count: number }>();
  for (const finding of findings) {
    severities.set(finding.severity, (severities.get(finding.severity) ?? 0) + 1);
    statuses.set(finding.status, (statuses.get(finding.status) ?? 0) + 1);
    tally(rules, finding.ruleId, finding.severity);
    if (finding.package !== undefined) tally(packages, finding.package.name, finding.severity);
  }
  const bySeverity = SEVERITIES.filter((severity) => severities.has(severity))
    .map((severity) => `<span class="sev sev-${severity}">${count(severities.get(severity) ?? 0)} ${severity}</span>`)
    .join(" · ");
  const byStatus = FINDING_STATUSES.filter((status) => statuses.has(status))
    .map((status) => `${count(statuses.get(status) ?? 0)} ${status}`)
    .join(" · ");
  const tables = [countTable("rule", rules, limits.countRows), countTable("package", packages, limits.countRows)];
  return `<p class="counts">${bySeverity}<span class="fs"> (${byStatus})</span></p>${tables.join("")}`;
}

function tally(map: Map<string, { severity: Severity; count: number }>, key: string, severity: Severity): void {
  const entry = map.get(key);
  if (entry === undefined) map.set(key, { severity, count: 1 });
  else {
    entry.count += 1;
    if (SEVERITY_RANK[severity] < SEVERITY_RANK[entry.severity]) entry.severity = severity;
  }
}

/** The most frequent rules or packages, worst severity first; one line says how many are not listed. */
function countTable(
  what: "rule" | "package",
  map: ReadonlyMap<string, { severity: Severity; count: number }>,
  rows: number,
): string {
  if (map.size < 2) return "";
  const top = worstEntries(map, rows);
  const body = top
    .map(
      ([name, entry]) =>
        `<tr><td><code>${escapeHtml(truncate(name, PATH_LIMIT))}</code><td><span class="sev sev-${entry.severity}">${entry.severity}</span><td class="num">${count(entry.count)}`,
    )
    .join("");
  const rest = map.size > top.length ? ` (the ${top.length} worst of ${count(map.size)})` : "";
  return `<details class="counts-${what}"><summary>By ${what}${rest}</summary><table><thead><tr><th>${what === "rule" ? "Rule" : "Package"}</th><th>Worst</th><th>Findings</th></tr></thead><tbody>${body}</tbody></table></details>`;
}

type Counted = readonly [string, { severity: Severity; count: number }];

/** Worst severity first, then most findings, then by name. */
function compareCounted([a, x]: Counted, [b, y]: Counted): number {
  return SEVERITY_RANK[x.severity] - SEVERITY_RANK[y.severity] || y.count - x.count || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The `limit` first entries in compareCounted order, without sorting them all: a gate of 100,000
 * findings can name as many rules (one per CVE), of which a handful are shown.
 */
function worstEntries(map: ReadonlyMap<string, { severity: Severity; count: number }>, limit: number): Counted[] {
  const top: Counted[] = [];
  for (const entry of map) {
    if (top.length === limit && compareCounted(entry, top[limit - 1] ?? entry) >= 0) continue;
    let at = top.length;
    while (at > 0 && compareCounted(entry, top[at - 1] ?? entry) < 0) at -= 1;
    top.splice(at, 0, entry);
    if (top.length > limit) top.pop();
  }
  return top;
}

/** Findings of one rule and severity: the rule's title and message are shown once, in its header. */
interface RuleGroup {
  severity: Severity;
  ruleId: string;
  title: string;
  message: string;
  findings: ReportedFinding[];
}

function ruleGroups(findings: readonly ReportedFinding[]): RuleGroup[] {
  const groups = new Map<string, RuleGroup>();
  for (const finding of findings) {
    const key = `${finding.severity}\u0000${finding.ruleId}`;
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, {
        severity: finding.severity,
        ruleId: finding.ruleId,
        title: finding.title,
        message: finding.message,
        findings: [finding],
      });
    } else {
      group.findings.push(finding);
    }
  }
  return [...groups.values()].sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      b.findings.length - a.findings.length ||
      a.ruleId.localeCompare(b.ruleId),
  );
}

/**
 * A rule header, then one row per finding in the lightest valid HTML (optional end tags and quotes
 * left out). Full texts live in report.json.
 */
function ruleGroup(group: RuleGroup): string {
  const message =
    group.message === group.title ? "" : `<small>${escapeHtml(truncate(group.message, MESSAGE_LIMIT))}</small>`;
  const header = `<tr class=h><th colspan=3><span class="sev sev-${group.severity}">${group.severity}</span> <code>${escapeHtml(truncate(group.ruleId, TITLE_LIMIT))}</code> ${escapeHtml(truncate(group.title, TITLE_LIMIT))} · ${group.findings.length}${message}</th></tr>`;
  return `<tbody data-s=${group.severity}>${header}\n${group.findings.map((finding) => findingRow(finding, group)).join("\n")}</tbody>`;
}

/** A finding's row, leaving out what its group header already says (same title or message). */
function findingRow(finding: ReportedFinding, group: RuleGroup | undefined): string {
  const own = [
    finding.title === group?.title ? "" : escapeHtml(truncate(finding.title, TITLE_LIMIT)),
    finding.message === group?.message || finding.message === finding.title
      ? ""
      : `<small>${escapeHtml(truncate(finding.message, MESSAGE_LIMIT))}</small>`,
    finding.status === "new"
      ? ""
      : `<i>[${finding.status}${finding.suppression?.reason === undefined ? "" : `: ${escapeHtml(truncate(finding.suppression.reason, MESSAGE_LIMIT))}`}]</i>`,
  ].join("");
  const location =
    finding.location === undefined
      ? escapeHtml(finding.tool)
      : `${escapeHtml(truncate(finding.location.path, PATH_LIMIT))}${finding.location.startLine === undefined ? "" : `:${finding.location.startLine}`}`;
  const status = finding.status === "new" ? "" : ` data-st=${finding.status}`;
  // Nothing of its own (the group's heading says it): an empty cell, hidden on narrow screens.
  return `<tr${status}><td>${own}<td>${location}<td>${fixCell(finding)}`;
}

function fixCell(finding: ReportedFinding): string {
  const parts: string[] = [];
  const pkg = finding.package;
  if (pkg !== undefined) {
    const installed = pkg.installed === undefined ? "" : ` ${escapeHtml(truncate(pkg.installed, TITLE_LIMIT))}`;
    const name = escapeHtml(truncate(pkg.name, TITLE_LIMIT));
    parts.push(
      pkg.fixed.length === 0
        ? `${name}${installed}: no fix yet`
        : `${name}${installed} → ${escapeHtml(truncate(pkg.fixed.join(", "), TITLE_LIMIT))}`,
    );
  }
  const href =
    finding.helpUri !== undefined && finding.helpUri.length <= URL_LIMIT ? safeHref(finding.helpUri) : undefined;
  if (href !== undefined) parts.push(`<a href="${href}">help</a>`);
  return parts.join("<br>");
}

const URL_LIMIT = 500;

function filterBar(report: Report): string {
  // One pass over what can be 100,000 findings.
  const present = new Set<Severity>();
  const gatesSeen = new Set<string>();
  for (const finding of report.findings) {
    present.add(finding.severity);
    gatesSeen.add(finding.gate);
  }
  const severities = SEVERITIES.filter((s) => present.has(s))
    .map((s) => `<label><input type="checkbox" name="sev" value="${s}" checked> ${s}</label>`)
    .join("");
  const statuses = FINDING_STATUSES.map(
    (s) => `<label><input type="checkbox" name="st" value="${s}" checked> ${s}</label>`,
  ).join("");
  const gates = [...gatesSeen].map((gate) => `<option value="${gate}">${gate}</option>`).join("");
  return (
    `<form id="filters" hidden role="search"><input type="search" id="q" placeholder="Search rule, path, message…" aria-label="Search findings">` +
    `<select id="gate" aria-label="Gate"><option value="">all gates</option>${gates}</select>${severities}${statuses}<span id="shown" class="fs"></span></form>`
  );
}

/** `1,234`: one formatter for every count (toLocaleString builds one per call, ~10x slower). */
function count(value: number): string {
  return COUNT_FORMAT.format(value);
}

const COUNT_FORMAT = new Intl.NumberFormat("en-US");

function truncate(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}
