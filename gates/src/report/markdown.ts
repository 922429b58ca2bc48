import { GITHUB_LIMITS } from "./limits.js";
import type { ControlStatus, GateStatus, GateVerdict, Report } from "../model/report.js";
import { oneLine } from "../findings/one-line.js";
import { countNew, digestOf } from "./digest.js";
import {
  clip,
  locationText,
  measuredText,
  outcomeLine,
  thresholdText,
  toolProblems,
  worstFindings,
} from "./summary.js";

export interface MarkdownOptions {
  /** Most bytes written (default: GitHub's step-summary limit). */
  maxBytes?: number | undefined;
}

/** Rows per list; with the cell limit they keep summary.md far below GitHub's 1 MiB per step. */
export const MARKDOWN_LIMITS = {
  findings: 20,
  problems: 30,
  waivers: 50,
  controls: 50,
  notices: 50,
  cell: 400,
  /** Whatever the lists hold, the page never exceeds what GitHub accepts per step. */
  bytes: GITHUB_LIMITS.stepSummaryBytes,
} as const;

/**
 * summary.md, for $GITHUB_STEP_SUMMARY: the verdict line, the gate table, the compliance controls,
 * the worst findings, bypasses, waivers and tool errors. Every piece of report text is escaped: a finding message or a
 * file name cannot inject Markdown, HTML, links or images into the page.
 */
export function renderMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const sections = [
    header(report),
    gateTable(report.verdicts),
    controlSection(report),
    findingsSection(report),
    bypassSection(report),
    waiverSection(report),
    problemSection(report),
    noticeSection(report),
  ].filter((section) => section !== "");
  return withinBytes(`${sections.join("\n\n")}\n`, options.maxBytes ?? MARKDOWN_LIMITS.bytes);
}

/**
 * Escapes untrusted text for a Markdown table cell or paragraph (GitHub-flavoured, HTML allowed).
 * GitHub's renderer (cmark-gfm) also links bare `www.` addresses and e-mail addresses, the latter
 * after escapes are resolved: `www\.` and a zero-width space before `@` keep both plain text.
 */
export function escapeMarkdown(text: string, max: number = MARKDOWN_LIMITS.cell): string {
  return clip(oneLine(text), max)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_{}[\]()#+!|~:-]/g, (char) => `\\${char}`)
    .replace(/@/g, "\u200b\\@")
    .replace(/(www)\./gi, "$1\\.");
}

// --- internal ---

const ICON: Readonly<Record<GateStatus, string>> = {
  pass: "✅ pass",
  warn: "⚠️ warn",
  fail: "❌ fail",
  error: "⛔ error",
  disabled: "⏸️ disabled",
};

function header(report: Report): string {
  const outcome = report.passed ? "✅ Portcullis: passed" : `❌ Portcullis: ${outcomeLine(report)}`;
  const facts = [
    `environment **${escapeMarkdown(report.environment)}**`,
    ...(report.commit === undefined ? [] : [`commit ${escapeMarkdown(report.commit.slice(0, 12))}`]),
    `policy ${escapeMarkdown(report.policyHash.slice(0, 12))}${report.policySource === undefined ? "" : ` (${escapeMarkdown(report.policySource)})`}`,
    `Portcullis ${escapeMarkdown(report.portcullisVersion)}`,
    escapeMarkdown(report.generatedAt),
  ];
  return `# ${outcome}\n\n${facts.join(" · ")}`;
}

function gateTable(verdicts: readonly GateVerdict[]): string {
  const rows = verdicts.map((verdict) => {
    const status = `${ICON[verdict.status]}${verdict.blocking ? " **blocking**" : ""}${verdict.bypass === undefined ? "" : " (bypassed)"}`;
    const reason = verdict.fix === undefined ? verdict.reason : `${verdict.reason}. Fix: ${verdict.fix}`;
    return row([
      escapeMarkdown(verdict.gate),
      status,
      verdict.mode,
      escapeMarkdown(thresholdText(verdict)),
      escapeMarkdown(measuredText(verdict)),
      escapeMarkdown(reason),
    ]);
  });
  return [
    "| Gate | Status | Mode | Threshold | Measured | Reason |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

const CONTROL_ICON: Readonly<Record<ControlStatus, string>> = { pass: "✅ pass", fail: "❌ fail", error: "⛔ error" };

/** One row per control: what it checks, the frameworks it evidences, what was seen and where the evidence is. */
function controlSection(report: Report): string {
  const controls = report.compliance?.controls;
  if (controls === undefined || controls.length === 0) return "";
  const shown = controls.slice(0, MARKDOWN_LIMITS.controls);
  const rows = shown.map((control) =>
    row([
      `${escapeMarkdown(control.id)}: ${escapeMarkdown(control.title, 200)}`,
      CONTROL_ICON[control.status],
      escapeMarkdown(control.frameworks.join(", "), 200),
      escapeMarkdown(control.fix === undefined ? control.details : `${control.details}. Fix: ${control.fix}`),
      control.evidence.length === 0 ? "—" : escapeMarkdown(control.evidence.join(", "), 200),
    ]),
  );
  const passed = controls.filter((control) => control.status === "pass").length;
  const more =
    controls.length > shown.length ? `\n\n${controls.length - shown.length} more controls are in report.json.` : "";
  return (
    [
      `## Compliance controls (${passed} of ${controls.length} pass)`,
      "",
      "| Control | Status | Frameworks | Details | Evidence |",
      "| --- | --- | --- | --- | --- |",
      ...rows,
    ].join("\n") + more
  );
}

function findingsSection(report: Report): string {
  const worst = worstFindings(report, MARKDOWN_LIMITS.findings);
  if (worst.length === 0) return "";
  const total = countNew(digestOf(report));
  const rows = worst.map((finding) =>
    row([
      finding.severity,
      escapeMarkdown(finding.gate),
      escapeMarkdown(finding.tool),
      escapeMarkdown(finding.ruleId, 120),
      escapeMarkdown(locationText(finding), 200),
      escapeMarkdown(finding.message !== "" ? finding.message : finding.title, 200),
    ]),
  );
  const more =
    total > worst.length ? `\n\n${total - worst.length} more new findings are in report.json and report.sarif.` : "";
  return (
    [
      `## Worst findings (${worst.length} of ${total} new)`,
      "",
      "| Severity | Gate | Tool | Rule | Location | Message |",
      "| --- | --- | --- | --- | --- | --- |",
      ...rows,
    ].join("\n") + more
  );
}

function bypassSection(report: Report): string {
  if (report.bypasses.length === 0) return "";
  const lines = report.bypasses.map(
    (bypass) =>
      `- **${escapeMarkdown(bypass.gate)}** bypassed by ${escapeMarkdown(bypass.approver)} at ${escapeMarkdown(bypass.at)}: ${escapeMarkdown(bypass.reason)}`,
  );
  return ["## Bypasses", "", ...lines].join("\n");
}

function waiverSection(report: Report): string {
  const parts: string[] = [];
  if (report.waivers.length > 0) {
    const shown = report.waivers.slice(0, MARKDOWN_LIMITS.waivers);
    parts.push(
      "## Waivers",
      "",
      "| Waiver | Approver | Expires | Findings | Reason |",
      "| --- | --- | --- | --- | --- |",
      ...shown.map((waiver) =>
        row([
          escapeMarkdown(waiver.id),
          escapeMarkdown(waiver.approver),
          escapeMarkdown(waiver.expires),
          String(waiver.matched),
          escapeMarkdown(waiver.reason),
        ]),
      ),
    );
    if (report.waivers.length > shown.length)
      parts.push("", `${report.waivers.length - shown.length} more waivers are in report.json.`);
  }
  if (report.waiverProblems.length > 0) {
    if (parts.length > 0) parts.push("");
    parts.push(
      "## Waivers that cannot be used",
      "",
      ...report.waiverProblems
        .slice(0, MARKDOWN_LIMITS.waivers)
        .map(
          (problem) =>
            `- ⛔ **${escapeMarkdown(problem.id)}** (${escapeMarkdown(problem.code)}): ${escapeMarkdown(problem.message)}${problem.fix === undefined ? "" : `. Fix: ${escapeMarkdown(problem.fix)}`}`,
        ),
    );
    if (report.waiverProblems.length > MARKDOWN_LIMITS.waivers)
      parts.push(
        "",
        `${report.waiverProblems.length - MARKDOWN_LIMITS.waivers} more unusable waivers are in report.json.`,
      );
  }
  return parts.join("\n");
}

function problemSection(report: Report): string {
  const problems = toolProblems(report);
  if (problems.length === 0) return "";
  const shown = problems.slice(0, MARKDOWN_LIMITS.problems);
  const lines = [
    "## Tool errors",
    "",
    "| Report | Level | Problem |",
    "| --- | --- | --- |",
    ...shown.map((problem) => row([escapeMarkdown(problem.source), problem.level, escapeMarkdown(problem.text)])),
  ];
  if (problems.length > shown.length)
    lines.push("", `${problems.length - shown.length} more tool messages are in report.json.`);
  return lines.join("\n");
}

function noticeSection(report: Report): string {
  if (report.notices.length === 0) return "";
  const shown = report.notices.slice(0, MARKDOWN_LIMITS.notices);
  const more = report.notices.length - shown.length;
  return [
    "## Notices",
    "",
    ...shown.map((notice) => `- ${escapeMarkdown(notice)}`),
    ...(more > 0 ? ["", `${more} more notices are in report.json.`] : []),
  ].join("\n");
}

/** The text cut at the last line that fits in `bytes`, with a line saying so. */
function withinBytes(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  const note =
    "\n\n*summary.md was cut here to stay within GitHub's step-summary limit; report.json has everything.*\n";
  let cut = Buffer.from(text)
    .subarray(0, bytes - Buffer.byteLength(note))
    .toString("utf8");
  // A character cut in two decodes as U+FFFD; dropping the partial line drops it too.
  cut = cut.slice(0, Math.max(0, cut.lastIndexOf("\n")));
  return `${cut}${note}`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}
