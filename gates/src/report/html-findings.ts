import { SEVERITIES, SEVERITY_RANK, type Severity } from "../findings/finding.js";
import { escapeHtml, safeHref } from "./html-escape.js";
import { formatCount } from "./format-count.js";
import { FINDING_STATUSES, type Report, type ReportedFinding } from "../model/report.js";
import { digestOf, type GateDigest, type Tally } from "./digest.js";

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
  const gates = digestOf(report).gates;
  if (gates.length === 0) return `<h2 id="findings">Findings</h2><p>No findings.</p>`;
  const present = SEVERITIES.filter((_, rank) => gates.some(({ severities }) => (severities[rank] ?? 0) > 0));
  const sections = gates.map((gate) => gateSection(gate, limits));
  const bar = filterBar(
    present,
    gates.map(({ gate }) => gate),
  );
  return `<h2 id="findings">Findings</h2>${bar}<div id="findings">${sections.join("")}</div>`;
}

// --- internal ---

/** Longest texts shown per finding: the page must stay light with thousands of findings. */
const TITLE_LIMIT = 120;
const MESSAGE_LIMIT = 200;
const PATH_LIMIT = 200;

function gateSection(digest: GateDigest, limits: HtmlLimits): string {
  const total = digest.worst.total;
  const shown: ReportedFinding[] = [];
  let bytes = 0;
  for (const finding of digest.worst.take(limits.findingsPerGate)) {
    // Measured without its group: the row can only get shorter once its group header says its title.
    const size = findingRow(finding, undefined).length;
    if (bytes + size > limits.bytesPerGate) break;
    bytes += size;
    shown.push(finding);
  }
  const groups = ruleGroups(shown).map(ruleGroup).join("\n");
  const left = total - shown.length;
  const more =
    left === 0
      ? ""
      : `<p class="more">${formatCount(left)} more in report.json (the ${formatCount(shown.length)} shown are the worst, new first).</p>`;
  return (
    `<section data-gate="${digest.gate}"><h3>${digest.gate} · ${formatCount(total)}</h3>${countsBlock(digest, limits)}` +
    `<table class="findings"><thead><tr><th>Finding</th><th>Location</th><th>Fix</th></tr></thead>\n${groups}</table>${more}</section>`
  );
}

function countsBlock({ severities, statuses, rules, packages }: GateDigest, limits: HtmlLimits): string {
  const bySeverity = SEVERITIES.flatMap((severity, rank) => {
    const count = severities[rank] ?? 0;
    return count > 0 ? [`<span class="sev sev-${severity}">${formatCount(count)} ${severity}</span>`] : [];
  }).join(" · ");
  const byStatus = FINDING_STATUSES.flatMap((status, index) => {
    const count = statuses[index] ?? 0;
    return count > 0 ? [`${formatCount(count)} ${status}`] : [];
  }).join(" · ");
  const tables = [countTable("rule", rules, limits.countRows), countTable("package", packages, limits.countRows)];
  return `<p class="counts">${bySeverity}<span class="fs"> (${byStatus})</span></p>${tables.join("")}`;
}

/** The most frequent rules or packages, worst severity first; one line says how many are not listed. */
function countTable(what: "rule" | "package", tally: Tally, rows: number): string {
  if (tally.indexByName.size < 2) return "";
  const top = worstEntries(tally, rows);
  const body = top
    .map(({ name, rank, findings }) => {
      const severity = SEVERITIES[rank] ?? "unknown";
      return `<tr><td><code>${escapeHtml(truncate(name, PATH_LIMIT))}</code><td><span class="sev sev-${severity}">${severity}</span><td class="num">${formatCount(findings)}`;
    })
    .join("");
  const rest =
    tally.indexByName.size > top.length ? ` (the ${top.length} worst of ${formatCount(tally.indexByName.size)})` : "";
  return `<details class="counts-${what}"><summary>By ${what}${rest}</summary><table><thead><tr><th>${what === "rule" ? "Rule" : "Package"}</th><th>Worst</th><th>Findings</th></tr></thead><tbody>${body}</tbody></table></details>`;
}

interface Counted {
  name: string;
  rank: number;
  findings: number;
}

/** Worst severity first, then most findings, then by name. */
function compareCounted(a: Counted, b: Counted): number {
  return a.rank - b.rank || b.findings - a.findings || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * The `limit` first names in compareCounted order, without sorting them all: a gate of 100,000
 * findings can name as many rules (one per CVE), of which a handful are shown. One object is
 * reused for the names that do not make it.
 */
function worstEntries(tally: Tally, limit: number): Counted[] {
  const top: Counted[] = [];
  let entry: Counted = { name: "", rank: 0, findings: 0 };
  for (const [name, at] of tally.indexByName) {
    entry.name = name;
    entry.rank = tally.worst[at] ?? 0;
    entry.findings = tally.counts[at] ?? 0;
    const last = top[limit - 1];
    if (last !== undefined && compareCounted(entry, last) >= 0) continue;
    let place = top.length;
    while (place > 0 && compareCounted(entry, top[place - 1] ?? entry) < 0) place -= 1;
    top.splice(place, 0, entry);
    if (top.length > limit) top.pop();
    entry = { name: "", rank: 0, findings: 0 };
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
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
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

/** Checkboxes for the severities present and the statuses, and a choice of the gates that have findings. */
function filterBar(present: readonly Severity[], gatesWithFindings: readonly string[]): string {
  const severities = present
    .map((s) => `<label><input type="checkbox" name="sev" value="${s}" checked> ${s}</label>`)
    .join("");
  const statuses = FINDING_STATUSES.map(
    (s) => `<label><input type="checkbox" name="st" value="${s}" checked> ${s}</label>`,
  ).join("");
  const gates = gatesWithFindings.map((gate) => `<option value="${gate}">${gate}</option>`).join("");
  return (
    `<form id="filters" hidden role="search"><input type="search" id="q" placeholder="Search rule, path, message…" aria-label="Search findings">` +
    `<select id="gate" aria-label="Gate"><option value="">all gates</option>${gates}</select>${severities}${statuses}<span id="shown" class="fs"></span></form>`
  );
}

function truncate(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}
