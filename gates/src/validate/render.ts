import type { Log, ReportingDescriptor, Result } from "sarif";
import { artifactUri } from "../findings/artifact-uri.js";
import { oneLine } from "../findings/one-line.js";
import { SEVERITY_RANK, type Finding } from "../findings/finding.js";
import { PORTCULLIS_VERSION } from "../version.js";
import { summaryLine, type ValidateResult } from "./findings.js";
import { VALIDATE_TOOL } from "./rule-ids.js";

/** How paths and rule ids are decorated in text output (colours on a terminal). */
export interface TextStyle {
  path(text: string): string;
  rule(text: string, finding: Finding): string;
}

const PLAIN: TextStyle = { path: (text) => text, rule: (text) => text };

/** How long a run took, for the closing line of the text output. */
export interface RunTiming {
  wallMs: number;
  /** CPU time of the whole process, every thread included. */
  cpuMs: number;
}

/**
 * Compiler-style text: `path:line:col  severity  rule  message`, findings grouped by file with a
 * blank line between files, then the findings per rule (high first, then by count), then the
 * one-line summary (the only line on a clean tree), with the run's time when given.
 */
export function renderText(result: ValidateResult, style: TextStyle = PLAIN, timing?: RunTiming): string {
  const lines: string[] = [];
  let previous: string | undefined;
  for (const finding of result.findings) {
    const path = finding.location?.path ?? "";
    if (previous !== undefined && path !== previous) lines.push("");
    previous = path;
    // A file name or a quoted line may hold escape sequences or line breaks: shown on one line, inert.
    const where = `${oneLine(path)}:${finding.location?.startLine ?? 1}:${finding.location?.startColumn ?? 1}`;
    const severity = finding.severity.padEnd(SEVERITY_WIDTH);
    lines.push(
      `${style.path(where)}  ${style.rule(severity, finding)}  ${style.rule(finding.ruleId, finding)}  ${oneLine(finding.message)}`,
    );
  }
  if (lines.length > 0) lines.push("", ...ruleSummary(result.findings), "");
  lines.push(timing === undefined ? summaryLine(result) : `${summaryLine(result)} · ${timingText(result, timing)}`);
  return `${lines.join("\n")}\n`;
}

/** SARIF 2.1.0 with one run; rules 1–8 are errors, the advisory rules warnings. */
export function renderSarif(result: ValidateResult): Log {
  const rules: ReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  const results: Result[] = result.findings.map((finding) => {
    let index = ruleIndex.get(finding.ruleId);
    if (index === undefined) {
      index = rules.length;
      ruleIndex.set(finding.ruleId, index);
      rules.push({
        id: finding.ruleId,
        shortDescription: { text: finding.title },
        defaultConfiguration: { level: level(finding) },
        ...(finding.helpUri === undefined ? {} : { helpUri: finding.helpUri }),
      });
    }
    return {
      ruleId: finding.ruleId,
      ruleIndex: index,
      level: level(finding),
      message: { text: finding.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: artifactUri(finding.location?.path ?? "") },
            region: { startLine: finding.location?.startLine ?? 1, startColumn: finding.location?.startColumn ?? 1 },
          },
        },
      ],
      partialFingerprints: { "portcullis/v1": finding.fingerprint },
    };
  });
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: VALIDATE_TOOL, version: PORTCULLIS_VERSION, rules } },
        automationDetails: { id: `${VALIDATE_TOOL}/` },
        results,
      },
    ],
  };
}

// --- internal ---

const SEVERITY_WIDTH = 4;

/** `Findings per rule:` then one line per rule, high severity first, then by count and name. */
function ruleSummary(findings: readonly Finding[]): string[] {
  const rules = new Map<string, { severity: Finding["severity"]; count: number }>();
  for (const finding of findings) {
    const entry = rules.get(finding.ruleId);
    if (entry === undefined) rules.set(finding.ruleId, { severity: finding.severity, count: 1 });
    else entry.count += 1;
  }
  const rows = [...rules].sort(
    ([a, x], [b, y]) =>
      SEVERITY_RANK[x.severity] - SEVERITY_RANK[y.severity] || y.count - x.count || (a < b ? -1 : a > b ? 1 : 0),
  );
  const width = Math.max(...rows.map(([rule]) => rule.length));
  const countWidth = Math.max(...rows.map(([, entry]) => String(entry.count).length));
  return [
    "Findings per rule:",
    ...rows.map(
      ([rule, entry]) =>
        `  ${entry.severity.padEnd(SEVERITY_WIDTH)}  ${rule.padEnd(width)}  ${String(entry.count).padStart(countWidth)}`,
    ),
  ];
}

/** `12.30 s, CPU 2.1 ms per file`: CPU of every thread, so two busy cores count twice. */
function timingText(result: ValidateResult, timing: RunTiming): string {
  const perFile = result.filesScanned === 0 ? 0 : timing.cpuMs / result.filesScanned;
  return `${(timing.wallMs / 1000).toFixed(2)} s, CPU ${perFile.toFixed(1)} ms per file`;
}

function level(finding: Finding): "error" | "warning" {
  return finding.severity === "high" ? "error" : "warning";
}
