import { SEVERITIES } from "../findings/finding.js";
import { checkLabel, checkLimitText, checkMeasuredText } from "../model/check-text.js";
import { type GateStatus, type GateVerdict, type Report, type ReportedFinding } from "../model/report.js";
import type { GateCheck } from "../model/checks.js";
import { digestOf, worstCounted } from "./digest.js";

/**
 * Wording shared by the human-facing renderers (summary.md, junit.xml, the terminal table), so
 * that they describe a verdict in the same words.
 */

export const STATUS_LABEL: Readonly<Record<GateStatus, string>> = {
  pass: "pass",
  warn: "warn",
  fail: "FAIL",
  error: "ERROR",
  disabled: "disabled",
};

/** `blocked (secrets, sast)` or `passed`. */
export function outcomeLine(report: Report): string {
  const blocking = report.verdicts.filter((verdict) => verdict.blocking).map((verdict) => verdict.gate);
  return blocking.length === 0 ? "passed" : `blocked (${blocking.join(", ")})`;
}

/** The limits a gate was judged by: `max.critical ≤ 0, max.high ≤ 0`; `—` when none applied. */
export function thresholdText(verdict: GateVerdict): string {
  const checks = verdict.evidence.checks;
  const own = checks.filter((check) => check.kind === "limit");
  const k6 = checks.filter((check) => check.kind === "k6_threshold").length;
  const controls = checks.filter((check) => check.kind === "control").length;
  const parts = own.map((check) => `${checkLabel(check)} ${checkLimitText(check)}`);
  if (k6 > 0) parts.push(`${k6} k6 thresholds pass`);
  if (controls > 0) parts.push(`${controls} controls pass`);
  return parts.length === 0 ? "—" : parts.join(", ");
}

/** What was measured: counted findings per severity (and accepted ones), or performance figures. */
export function measuredText(verdict: GateVerdict): string {
  if (verdict.gate === "performance") {
    const own = verdict.evidence.checks.filter((check) => check.kind !== "k6_threshold");
    const k6 = verdict.evidence.checks.filter((check) => check.kind === "k6_threshold");
    const parts = own.map((check) => `${shortLabel(check)} ${checkMeasuredText(check)}`);
    if (k6.length > 0) parts.push(`k6 thresholds ${k6.filter((check) => check.ok).length}/${k6.length} passed`);
    return parts.length === 0 ? "—" : parts.join(", ");
  }
  const { counted, waived, baseline, suppressed, unfixable } = verdict.evidence;
  const severities = SEVERITIES.filter((severity) => (counted[severity] ?? 0) > 0).map(
    (severity) => `${counted[severity]} ${severity}`,
  );
  const accepted = [
    waived > 0 ? `${waived} waived` : "",
    baseline > 0 ? `${baseline} baseline` : "",
    suppressed > 0 ? `${suppressed} suppressed` : "",
    unfixable !== undefined && unfixable > 0 ? `${unfixable} without fix` : "",
  ].filter((part) => part !== "");
  const controls = verdict.evidence.checks.filter((check) => check.kind === "control");
  const controlText =
    controls.length === 0 ? [] : [`controls ${controls.filter((check) => check.ok).length}/${controls.length} passed`];
  return [severities.length === 0 ? "0 new" : severities.join(", "), ...accepted, ...controlText].join(", ");
}

/** `src/app.js:12`, or the path alone, or `—`. */
export function locationText(finding: ReportedFinding): string {
  const location = finding.location;
  if (location === undefined) return "—";
  return location.startLine === undefined || location.startLine < 1
    ? location.path
    : `${location.path}:${location.startLine}`;
}

/** The counted (new) findings of every gate that is switched on, worst first, at most `limit`. */
export function worstFindings(report: Report, limit: number): ReportedFinding[] {
  return worstCounted(digestOf(report), limit);
}

/** Report problems worth a line each: unusable reports and the tools' own errors and warnings. */
export function toolProblems(report: Report): { source: string; level: "error" | "warning"; text: string }[] {
  return report.tools.flatMap((run) => {
    const source = `${run.label === undefined ? run.kind : `${run.kind}.${run.label}`} (${run.file})`;
    const own =
      run.error === undefined
        ? []
        : [
            {
              source,
              level: "error" as const,
              text: `${run.error.message}${run.error.fix === undefined ? "" : ` — fix: ${run.error.fix}`}`,
            },
          ];
    // The run's error is often the tool's own first error restated: list that message once.
    const restated = (message: string) => run.error !== undefined && run.error.message.includes(message);
    return [
      ...own,
      ...run.toolErrors
        .filter((error) => !(error.level === "error" && restated(error.message)))
        .map((error) => ({
          source,
          level: error.level,
          text: error.path === undefined ? error.message : `${error.path}: ${error.message}`,
        })),
    ];
  });
}

/** Cuts text to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// --- internal ---

/** The performance checks' names in a measured cell, short enough that a table shows every figure. */
const SHORT_CHECK_NAMES: Readonly<Record<string, string>> = {
  "http_reqs count": "requests",
  "http_req_duration p(95)": "p(95)",
  "http_req_duration p(99)": "p(99)",
  "http_req_failed rate": "failed",
  "checks rate": "checks",
};

/** `k6.smoke: http_req_failed rate` -> `k6.smoke: failed`; other checks by their full label. */
function shortLabel(check: GateCheck): string {
  if (check.kind !== "limit") return checkLabel(check);
  return `${check.source === undefined ? "" : `${check.source}: `}${SHORT_CHECK_NAMES[check.name] ?? check.name}`;
}
