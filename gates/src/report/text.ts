import type { GateStatus, Report } from "../model/report.js";
import { oneLine } from "../findings/one-line.js";
import { STATUS_LABEL, clip, locationText, measuredText, outcomeLine, toolProblems, worstFindings } from "./summary.js";

export interface TextOptions {
  /** ANSI colours; the caller decides (TTY, NO_COLOR). */
  color?: boolean | undefined;
}

/** Rows of the worst-findings and tool-problem lists in the terminal. */
const TEXT_FINDINGS = 10;
const TEXT_PROBLEMS = 20;
/** Warnings shown per report before the rest is only counted. */
const TEXT_WARNINGS = 3;
/** Longest tool message shown: about one line of a wide terminal. */
const LINE = 160;

/**
 * The verdict table for the terminal: one line per gate (status, mode, measured, reason), the fix
 * of every gate that needs one, the worst findings, tool problems and notices. Report text is
 * stripped of escape sequences so that a tool message cannot drive the terminal.
 */
export function renderText(report: Report, options: TextOptions = {}): string {
  const paint: Paint = options.color === true ? colour : (_tone, text) => text;
  const outcome = report.passed
    ? paint("green", "PASSED")
    : paint("red", outcomeLine(report).replace(/^blocked/, "BLOCKED"));
  const commit = report.commit === undefined ? "" : ` · commit ${oneLine(report.commit).slice(0, 12)}`;
  const lines = [
    `Portcullis ${report.portcullisVersion} · ${oneLine(report.environment)}${commit} · ${outcome}`,
    ...(report.policySource === undefined ? [] : [`Policy: ${oneLine(report.policySource)}`]),
    "",
    ...verdictTable(report, paint),
    ...details(report, paint),
  ];
  return `${lines.join("\n")}\n`;
}

// --- internal ---

type Paint = (tone: Tone, text: string) => string;

/** One aligned line per gate: gate, status, mode, measured, reason. */
function verdictTable(report: Report, paint: Paint): string[] {
  const rows = report.verdicts.map((verdict) => ({
    gate: verdict.gate,
    status: `${STATUS_LABEL[verdict.status]}${verdict.blocking ? " ✗" : verdict.bypass === undefined ? "" : " (bypassed)"}`,
    tone: TONE[verdict.status],
    mode: verdict.mode,
    // Not clipped: the figures are short, and a cut one (`http_r…`) hides the value that failed.
    measured: oneLine(measuredText(verdict)),
    reason: oneLine(verdict.reason),
  }));
  const width = (pick: (row: (typeof rows)[number]) => string, title: string) =>
    Math.max(title.length, ...rows.map((row) => pick(row).length));
  const gateWidth = width((row) => row.gate, "GATE");
  const statusWidth = width((row) => row.status, "STATUS");
  const modeWidth = width((row) => row.mode, "MODE");
  const measuredWidth = width((row) => row.measured, "MEASURED");
  const header = `${"GATE".padEnd(gateWidth)}  ${"STATUS".padEnd(statusWidth)}  ${"MODE".padEnd(modeWidth)}  ${"MEASURED".padEnd(measuredWidth)}  REASON`;
  return [
    paint("bold", header),
    ...rows.map(
      (row) =>
        `${row.gate.padEnd(gateWidth)}  ${paint(row.tone, row.status.padEnd(statusWidth))}  ${row.mode.padEnd(modeWidth)}  ${row.measured.padEnd(measuredWidth)}  ${row.reason}`,
    ),
  ];
}

/** What to do, unmet compliance controls, the worst findings, tool problems, bypasses and notices. */
function details(report: Report, paint: Paint): string[] {
  const lines: string[] = [];
  const fixes = report.verdicts.filter(
    (verdict) => verdict.fix !== undefined && (verdict.status === "fail" || verdict.status === "error"),
  );
  if (fixes.length > 0) {
    lines.push("", paint("bold", "What to do:"));
    for (const verdict of fixes) lines.push(`  ${verdict.gate}: ${oneLine(verdict.fix ?? "")}`);
  }
  const unmet = (report.compliance?.controls ?? []).filter((control) => control.status !== "pass");
  if (unmet.length > 0) {
    lines.push("", paint("bold", "Compliance controls not met:"));
    for (const control of unmet) {
      lines.push(
        `  ${paint("red", STATUS_LABEL[control.status].padEnd(5))} ${oneLine(control.id)}: ${clip(oneLine(control.details), 200)}`,
      );
    }
  }
  const worst = worstFindings(report, TEXT_FINDINGS);
  if (worst.length > 0) {
    lines.push("", paint("bold", "Worst new findings:"));
    for (const finding of worst) {
      const message = clip(oneLine(finding.message !== "" ? finding.message : finding.title), 100);
      const severity = paint(SEVERITY_TONE[finding.severity] ?? "plain", finding.severity.padEnd(8));
      const rule = clip(oneLine(finding.ruleId), 100);
      lines.push(`  ${severity} ${rule}  ${oneLine(locationText(finding))}  ${message}`);
    }
  }
  lines.push(...waiverProblemLines(report, paint), ...toolProblemLines(report, paint));
  for (const bypass of report.bypasses)
    lines.push("", `Bypass: ${bypass.gate} by ${oneLine(bypass.approver)}: ${oneLine(bypass.reason)}`);
  for (const notice of report.notices) lines.push("", `Note: ${oneLine(notice)}`);
  return lines;
}

/**
 * Waivers that cannot be used, each with its fix. One that matches nothing changes no verdict, but
 * it is still a record to clean up, so it is printed and not left to report.json.
 */
function waiverProblemLines(report: Report, paint: Paint): string[] {
  if (report.waiverProblems.length === 0) return [];
  const lines = ["", paint("bold", "Waivers that cannot be used:")];
  for (const problem of report.waiverProblems) {
    const message = problem.message.includes(problem.id) ? problem.message : `${problem.id}: ${problem.message}`;
    const matched = problem.matched === 0 ? "matches no finding" : `would match ${problem.matched}, counted as new`;
    lines.push(`  ${oneLine(message)} (${matched})`);
    if (problem.fix !== undefined) lines.push(`    fix: ${oneLine(problem.fix)}`);
  }
  return lines;
}

/**
 * The tools' errors one per line; their warnings summarised per report (how many, the first few),
 * since a scan of a large repository warns about hundreds of files the reader cannot act on here.
 */
function toolProblemLines(report: Report, paint: Paint): string[] {
  const problems = toolProblems(report);
  if (problems.length === 0) return [];
  const lines = ["", paint("bold", "Tool problems:")];
  const errors = problems.filter((problem) => problem.level === "error");
  for (const problem of errors.slice(0, TEXT_PROBLEMS)) {
    lines.push(`  error ${oneLine(problem.source)}: ${clip(oneLine(problem.text), 2 * LINE)}`);
  }
  if (errors.length > TEXT_PROBLEMS) lines.push(`  … and ${errors.length - TEXT_PROBLEMS} more errors in report.json`);
  const warnings = new Map<string, typeof problems>();
  for (const problem of problems.filter((candidate) => candidate.level === "warning")) {
    warnings.set(problem.source, [...(warnings.get(problem.source) ?? []), problem]);
  }
  for (const [source, list] of warnings) {
    if (list.length <= TEXT_WARNINGS) {
      for (const problem of list) lines.push(`  warning ${oneLine(source)}: ${clip(oneLine(problem.text), LINE)}`);
      continue;
    }
    lines.push(`  warning ${oneLine(source)}: ${list.length} warnings (partial results), the first ${TEXT_WARNINGS}:`);
    for (const problem of list.slice(0, TEXT_WARNINGS)) lines.push(`    ${clip(oneLine(problem.text), LINE)}`);
    lines.push(`    … and ${list.length - TEXT_WARNINGS} more in report.json`);
  }
  return lines;
}

type Tone = "green" | "yellow" | "red" | "dim" | "bold" | "plain";

const TONE: Readonly<Record<GateStatus, Tone>> = {
  pass: "green",
  warn: "yellow",
  fail: "red",
  error: "red",
  disabled: "dim",
};
const SEVERITY_TONE: Readonly<Partial<Record<string, Tone>>> = {
  critical: "red",
  high: "red",
  medium: "yellow",
  unknown: "yellow",
};
const SGR: Readonly<Record<Tone, string>> = { green: "32", yellow: "33", red: "31", dim: "2", bold: "1", plain: "0" };

function colour(tone: Tone, text: string): string {
  return tone === "plain" ? text : `\u001b[${SGR[tone]}m${text}\u001b[0m`;
}
