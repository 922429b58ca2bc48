import { SEVERITIES, type Severity } from "../findings/finding.js";
import { GITHUB_LIMITS } from "./limits.js";
import type { GateVerdict, Report, ReportedFinding } from "../model/report.js";
import { digestOf } from "./digest.js";
import { clip } from "./summary.js";

export type AnnotationLevel = "error" | "warning" | "notice";

export interface AnnotationOptions {
  /** Most annotations per level; GitHub shows 10 per level per step and drops the rest. */
  maxPerLevel?: number | undefined;
}

/**
 * GitHub Actions annotations (`::error file=…,line=…,title=…::message`), one per line: first the
 * gates that are not clean (blocking ones as errors), then the new findings worst first
 * (critical/high as errors, medium/unknown as warnings, low/info as notices). Capped per level;
 * when anything is left out, the last notice says how much and where to find it.
 */
export function renderAnnotations(report: Report, options: AnnotationOptions = {}): string {
  const max = options.maxPerLevel ?? GITHUB_LIMITS.annotationsPerStepPerLevel;
  const findings = annotatedFindings(report, max);
  const candidates = [...report.verdicts.flatMap(gateAnnotation), ...findings.shown.flatMap(findingAnnotation)];
  const used: Record<AnnotationLevel, number> = { error: 0, warning: 0, notice: 0 };
  const kept: Annotation[] = [];
  let omitted = findings.left;
  for (const annotation of candidates) {
    if (used[annotation.level] >= max) {
      omitted += 1;
      continue;
    }
    used[annotation.level] += 1;
    kept.push(annotation);
  }
  if (omitted > 0) {
    // The "left out" line is a notice itself: make room for it among the notices GitHub shows.
    const lastNotice = kept.map((annotation) => annotation.level).lastIndexOf("notice");
    if (used.notice >= max && lastNotice >= 0) {
      kept.splice(lastNotice, 1);
      omitted += 1;
    }
    kept.push({
      level: "notice",
      properties: { title: "Portcullis" },
      message: `${omitted} more annotations left out (GitHub shows ${max} per level and step): see the job summary, report.sarif or report.json`,
    });
  }
  const lines = kept.map(command);
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** Escapes a workflow command's message (`%`, CR, LF). */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a workflow command's property value (also `:` and `,`, which delimit properties). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

// --- internal ---

/**
 * The counted findings that can be annotated (they have a location), worst first, at most `max` of
 * each severity (max ≤ DIGEST_CAP): no level shows more than `max`, so of 100,000 findings the rest
 * are only counted (`left`), never formatted. Each severity has one level, so this keeps every one a
 * level can show. Within a severity: by gate, then in report order, as worstFindings keeps them.
 */
function annotatedFindings(report: Report, max: number): { shown: ReportedFinding[]; left: number } {
  const gates = digestOf(report).gates.filter((gate) => gate.enabled);
  const shown: ReportedFinding[] = [];
  let left = 0;
  SEVERITIES.forEach((_, rank) => {
    let taken = 0;
    for (const gate of gates) {
      left += gate.locatedCounts[rank] ?? 0;
      for (const finding of gate.located[rank] ?? []) {
        if (taken === max) break;
        shown.push(finding);
        taken += 1;
      }
    }
    left -= taken;
  });
  return { shown, left };
}

interface Annotation {
  level: AnnotationLevel;
  properties: Partial<Record<"title" | "file" | "line" | "endLine" | "col" | "endColumn", string>>;
  message: string;
}

const FINDING_LEVEL: Readonly<Record<Severity, AnnotationLevel>> = {
  critical: "error",
  high: "error",
  medium: "warning",
  unknown: "warning",
  low: "notice",
  info: "notice",
};

/** Longest message: the annotation box shows a few lines; the rest is in the reports. */
const MESSAGE_MAX = 1000;

function gateAnnotation(verdict: GateVerdict): Annotation[] {
  if (verdict.status === "pass" || verdict.status === "disabled") return [];
  const level: AnnotationLevel = verdict.blocking ? "error" : "warning";
  const fix = verdict.fix === undefined ? "" : ` Fix: ${verdict.fix}`;
  return [
    {
      level,
      properties: {
        title: `Portcullis gate ${verdict.gate}: ${verdict.status}${verdict.blocking ? " (blocking)" : ""}`,
      },
      message: `${verdict.reason}.${fix}`,
    },
  ];
}

function findingAnnotation(finding: ReportedFinding): Annotation[] {
  const location = finding.location;
  if (location === undefined) return [];
  const line = location.startLine !== undefined && location.startLine >= 1 ? location.startLine : undefined;
  const properties: Annotation["properties"] = {
    file: location.path,
    title: `${finding.severity} ${finding.ruleId} (${finding.tool})`,
  };
  if (line !== undefined) {
    properties.line = String(line);
    if (location.endLine !== undefined && location.endLine >= line) properties.endLine = String(location.endLine);
    if (location.startColumn !== undefined && location.startColumn >= 1) properties.col = String(location.startColumn);
    if (location.endColumn !== undefined && location.endColumn >= 1) properties.endColumn = String(location.endColumn);
  }
  return [
    {
      level: FINDING_LEVEL[finding.severity],
      properties,
      message: finding.message !== "" ? finding.message : finding.title,
    },
  ];
}

function command(annotation: Annotation): string {
  const properties = Object.entries(annotation.properties)
    .map(([key, value]) => `${key}=${escapeProperty(stripControls(value))}`)
    .join(",");
  const message = escapeData(stripControls(clip(annotation.message, MESSAGE_MAX)));
  return `::${annotation.level}${properties === "" ? "" : ` ${properties}`}::${message}`;
}

/** Control characters other than CR and LF (which are escaped) would garble the log line. */
function stripControls(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/g, " ");
}
