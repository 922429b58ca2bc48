import type { Log, ReportingDescriptor, Result } from "sarif";
import type { Finding } from "../findings/finding.js";
import { PORTCULLIS_VERSION } from "../version.js";
import { summaryLine, type ValidateResult } from "./findings.js";
import { VALIDATE_TOOL } from "./rule-ids.js";

/** How paths and rule ids are decorated in text output (colours on a terminal). */
export interface TextStyle {
  path(text: string): string;
  rule(text: string, finding: Finding): string;
}

const PLAIN: TextStyle = { path: (text) => text, rule: (text) => text };

/**
 * Compiler-style text: `path:line:col  rule  message`, findings grouped by file with a blank line
 * between files, then the one-line summary (the only line on a clean tree).
 */
export function renderText(result: ValidateResult, style: TextStyle = PLAIN): string {
  const lines: string[] = [];
  let previous: string | undefined;
  for (const finding of result.findings) {
    const path = finding.location?.path ?? "";
    if (previous !== undefined && path !== previous) lines.push("");
    previous = path;
    const where = `${path}:${finding.location?.startLine ?? 1}:${finding.location?.startColumn ?? 1}`;
    lines.push(`${style.path(where)}  ${style.rule(finding.ruleId, finding)}  ${finding.message}`);
  }
  if (lines.length > 0) lines.push("");
  lines.push(summaryLine(result));
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
            artifactLocation: { uri: encodeURI(finding.location?.path ?? "") },
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

function level(finding: Finding): "error" | "warning" {
  return finding.severity === "high" ? "error" : "warning";
}
