import { SEVERITIES } from "../findings/finding.js";
import { GATE_NAMES } from "../policy/schema.js";
import { HTML_SCRIPT, HTML_STYLE } from "./html-assets.js";
import {
  type DeployTimeline,
  type SlaLines,
  type TimePoint,
  deployTimelineChart,
  latencyChart,
  timeSeriesCharts,
} from "./html-charts.js";
import { escapeHtml } from "./html-escape.js";
import { findingsSection, HTML_LIMITS, type HtmlLimits } from "./html-findings.js";
import { checkLabel, checkLimitText, checkMeasuredText } from "../model/check-text.js";
import { LATENCY_CHECKS } from "../model/checks.js";
import type { GateVerdict, Report } from "../model/report.js";

export type { DeployTimeline, DeployStep, TimePoint } from "./html-charts.js";
export { HTML_LIMITS, type HtmlLimits } from "./html-findings.js";

export interface HtmlExtras {
  /** Per-second series from the k6 `--out json` stream. */
  series?: readonly TimePoint[] | undefined;
  /** Deploys from the ledger, each drawn as a timeline. */
  deploys?: readonly DeployTimeline[] | undefined;
  /** How many findings and counts each gate shows (default HTML_LIMITS). */
  limits?: HtmlLimits | undefined;
}

/**
 * report.html: one self-contained page (inline CSS and SVG, no request of any kind, enforced by
 * its Content-Security-Policy) rendered from an already redacted report. Readable without
 * JavaScript; the inline script only adds filters.
 */
export function renderHtml(report: Report, extras: HtmlExtras = {}): string {
  const title = `${report.passed ? "Passed" : "Blocked"}: ${report.environment}`;
  const body = [
    banner(report),
    "<main>",
    noticesSection(report),
    gateTable(report.verdicts),
    controlsSection(report),
    performanceSection(report, extras.series),
    deploySection(extras.deploys),
    findingsSection(report, extras.limits ?? HTML_LIMITS),
    waiversSection(report),
    toolsSection(report),
    "</main>",
  ].join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Portcullis · ${escapeHtml(title)}</title><style>${HTML_STYLE}</style></head>
<body>
${body}
<script>${HTML_SCRIPT}</script>
</body></html>
`;
}

// --- internal ---

/** Tool messages listed per report; a tool can emit thousands. */
const TOOL_ERRORS_SHOWN = 20;

function banner(report: Report): string {
  const blocking = report.verdicts.filter((v) => v.blocking).map((v) => v.gate);
  const headline = report.passed ? "Passed" : `Blocked by ${blocking.join(", ")}`;
  const facts = [
    `environment <strong>${escapeHtml(report.environment)}</strong>`,
    report.commit === undefined ? undefined : `commit <code>${escapeHtml(report.commit)}</code>`,
    `generated ${escapeHtml(report.generatedAt)}`,
    `Portcullis ${escapeHtml(report.portcullisVersion)}`,
  ].filter((fact): fact is string => fact !== undefined);
  return `<header class="banner ${report.passed ? "passed" : "blocked"}" id="verdict"><h1>${escapeHtml(headline)}</h1><p>${facts.join(" · ")}</p></header>`;
}

function noticesSection(report: Report): string {
  const items = [
    ...report.waiverProblems.map(
      (problem) =>
        `<li><strong>${escapeHtml(problem.code)}</strong> ${escapeHtml(problem.message)}${problem.fix === undefined ? "" : ` — fix: ${escapeHtml(problem.fix)}`}</li>`,
    ),
    ...report.notices.map((notice) => `<li>${escapeHtml(notice)}</li>`),
  ];
  return items.length === 0 ? "" : `<h2 id="notices">Notices</h2><ul>${items.join("")}</ul>`;
}

function gateTable(verdicts: readonly GateVerdict[]): string {
  const ordered = [...verdicts].sort((a, b) => GATE_NAMES.indexOf(a.gate) - GATE_NAMES.indexOf(b.gate));
  const rows = ordered.map((verdict) => {
    const checks =
      verdict.evidence.checks.length === 0
        ? ""
        : `<ul class="checks">${verdict.evidence.checks
            .map(
              (check) =>
                `<li class="${check.ok ? "" : "bad"}">${escapeHtml(checkLabel(check))}: ${escapeHtml(checkMeasuredText(check))} (threshold ${escapeHtml(checkLimitText(check))})</li>`,
            )
            .join("")}</ul>`;
    const counted = SEVERITIES.map((s) => [s, verdict.evidence.counted[s] ?? 0] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `<span class="sev sev-${s}">${n} ${s}</span>`)
      .join(", ");
    const bypass =
      verdict.bypass === undefined
        ? ""
        : `<div class="fs">bypassed by ${escapeHtml(verdict.bypass.approver)}: ${escapeHtml(verdict.bypass.reason)}</div>`;
    const fix = verdict.fix === undefined ? "" : `<div class="fs">Fix: ${escapeHtml(verdict.fix)}</div>`;
    return (
      `<tr id="gate-${verdict.gate}" data-gate="${verdict.gate}"><td><strong>${verdict.gate}</strong></td>` +
      `<td><span class="st st-${verdict.status}">${verdict.status}</span>${verdict.blocking ? " <strong>blocking</strong>" : ""}</td>` +
      `<td>${verdict.mode}${verdict.enabled ? "" : " (disabled)"}</td>` +
      `<td>${escapeHtml(verdict.reason)}${checks}${fix}${bypass}</td>` +
      `<td>${counted === "" ? "—" : counted}<div class="fs">${verdict.evidence.waived} waived · ${verdict.evidence.baseline} baseline · ${verdict.evidence.suppressed} suppressed</div></td></tr>`
    );
  });
  return `<h2 id="gates">Gates</h2><table><thead><tr><th>Gate</th><th>Status</th><th>Mode</th><th>Why (threshold and measured)</th><th>Counted findings</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** Each compliance control with the framework items it evidences, what was seen and where the evidence is. */
function controlsSection(report: Report): string {
  const controls = report.compliance?.controls;
  if (controls === undefined || controls.length === 0) return "";
  const rows = controls.map((control) => {
    const fix = control.fix === undefined ? "" : `<div class="fs">Fix: ${escapeHtml(control.fix)}</div>`;
    const evidence =
      control.evidence.length === 0
        ? "—"
        : control.evidence.map((item) => `<code>${escapeHtml(item)}</code>`).join("<br>");
    return (
      `<tr id="control-${escapeHtml(control.id)}"><td><strong>${escapeHtml(control.id)}</strong><div class="fs">${escapeHtml(control.title)}</div></td>` +
      `<td>${control.frameworks.map(escapeHtml).join("<br>")}</td>` +
      `<td><span class="st st-${control.status}">${control.status}</span></td>` +
      `<td>${escapeHtml(control.details)}${fix}</td><td>${evidence}</td></tr>`
    );
  });
  return `<h2 id="compliance">Compliance controls</h2><table><thead><tr><th>Control</th><th>Frameworks</th><th>Status</th><th>Details</th><th>Evidence</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function performanceSection(report: Report, series: readonly TimePoint[] | undefined): string {
  if (report.performance === undefined && (series === undefined || series.length === 0)) return "";
  const sla = slaFromVerdicts(report.verdicts);
  const percentiles = report.performance === undefined ? "" : latencyChart(report.performance, sla);
  const overTime = series === undefined ? "" : timeSeriesCharts(series, sla);
  return `<h2 id="performance">Performance</h2>${percentiles}${overTime}`;
}

function deploySection(deploys: readonly DeployTimeline[] | undefined): string {
  if (deploys === undefined || deploys.length === 0) return "";
  const items = deploys
    .map(
      (deploy) =>
        `<h3>${escapeHtml(deploy.version)} · ${escapeHtml(deploy.outcome)}</h3>${deployTimelineChart(deploy)}`,
    )
    .join("");
  return `<h2 id="deploys">Deploys</h2>${items}`;
}

function waiversSection(report: Report): string {
  const rows = report.waivers.map(
    (w) =>
      `<tr><td>${escapeHtml(w.id)}</td><td>${escapeHtml(w.reason)}</td><td>${escapeHtml(w.approver)}</td><td>${escapeHtml(w.expires)}</td><td class="num">${w.matched}</td></tr>`,
  );
  const bypasses = report.bypasses.map(
    (b) =>
      `<tr><td>bypass: ${b.gate}</td><td>${escapeHtml(b.reason)}</td><td>${escapeHtml(b.approver)}</td><td>${escapeHtml(b.at)}</td><td></td></tr>`,
  );
  if (rows.length + bypasses.length === 0) return "";
  return `<h2 id="waivers">Waivers and bypasses</h2><table><thead><tr><th>Id</th><th>Reason</th><th>Approver</th><th>Expires / at</th><th>Findings</th></tr></thead><tbody>${[...rows, ...bypasses].join("")}</tbody></table>`;
}

function toolsSection(report: Report): string {
  const rows = report.tools.map((run) => {
    const problem =
      run.error === undefined
        ? [
            ...run.toolErrors.slice(0, TOOL_ERRORS_SHOWN).map((e) => `${e.level}: ${escapeHtml(e.message)}`),
            ...(run.toolErrors.length > TOOL_ERRORS_SHOWN
              ? [`${run.toolErrors.length - TOOL_ERRORS_SHOWN} more in report.json`]
              : []),
          ].join("<br>")
        : `<strong>${escapeHtml(run.error.code)}</strong>: ${escapeHtml(run.error.message)}${run.error.fix === undefined ? "" : `<div class="fs">Fix: ${escapeHtml(run.error.fix)}</div>`}`;
    return `<tr><td>${escapeHtml(run.kind)}${run.label === undefined ? "" : `.${escapeHtml(run.label)}`}</td><td>${escapeHtml(run.tool)} ${escapeHtml(run.version ?? "")}</td><td><code>${escapeHtml(run.file)}</code></td><td>${problem}</td></tr>`;
  });
  if (rows.length === 0) return "";
  return `<h2 id="tools">Reports read</h2><table><thead><tr><th>Kind</th><th>Tool</th><th>File</th><th>Problems</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** SLA lines come from the performance verdict's own checks, so the page shows what was judged. */
function slaFromVerdicts(verdicts: readonly GateVerdict[]): SlaLines {
  const performance = verdicts.find((v) => v.gate === "performance");
  const limit = (name: string): number | undefined => {
    for (const check of performance?.evidence.checks ?? []) {
      if (check.kind === "limit" && check.unit === "ms" && check.name === name) return check.limit;
    }
    return undefined;
  };
  return { p95Ms: limit(LATENCY_CHECKS.p95), p99Ms: limit(LATENCY_CHECKS.p99) };
}
