import { InternalError } from "../errors.js";
import { describeIssues, schemaIssues } from "../zod-issues.js";
import { Report } from "../model/report.js";
import { aroundTopLevelKey } from "./pretty-json.js";
import { FINDINGS_LAYOUT } from "../model/report-layout.js";
import type { Finding } from "../findings/finding.js";

/**
 * report.json (`portcullis.report/v2`) as one string. Large reports: see renderJsonChunks, which
 * writes the same bytes without ever holding them whole.
 */
export function renderJson(report: Report): string {
  return [...renderJsonChunks(report)].join("");
}

/**
 * report.json in pieces, for streaming to disk. Everything but the findings is checked against the
 * report schema first: a report that does not match is a bug, and writing it would hand consumers
 * something they cannot read. The findings are not checked again here: each was checked where it
 * entered (its tool's parser) and built by typed code since; re-validating 100,000 of them costs
 * more than parsing the report did. They are written one per line, each a compact JSON object.
 */
export function* renderJsonChunks(report: Report): Generator<string> {
  const checked = Report.safeParse({ ...report, findings: [] });
  if (!checked.success) {
    throw new InternalError(`report.json does not match its schema: ${describeIssues(schemaIssues(checked.error))}`, {
      fix: "this is a bug in Portcullis: please report it with the command that produced it",
    });
  }
  const { before, after } = aroundTopLevelKey("findings", (slot) =>
    JSON.stringify({ ...checked.data, findings: slot }, null, 2),
  );
  // The envelope's own indentation precedes the key: this ends FINDINGS_LAYOUT.open.
  yield `${before}[`;
  const findings = report.findings;
  for (let start = 0; start < findings.length; start += BATCH) {
    yield `${start === 0 ? "" : ","}\n${findingLines(findings.slice(start, start + BATCH))}`;
  }
  yield findings.length === 0 ? "]" : `\n${FINDINGS_LAYOUT.close}`;
  yield `${after}\n`;
}

/**
 * Findings as report.json's lines, joined by `,\n`: one stringify for all of them, which is several
 * times faster than one per finding, then each finding on its own line. `},{"tool":` only occurs
 * between two findings, since inside a JSON string every `"` is escaped and no array within a
 * finding holds objects (see the Finding schema).
 */
export function findingLines(findings: readonly Finding[]): string {
  return `${FINDINGS_LAYOUT.indent}${JSON.stringify(findings).slice(1, -1).replaceAll(FINDING_BOUNDARY, LINE_BOUNDARY)}`;
}

// --- internal ---

/** Findings per yielded piece: big enough to keep calls few, small enough to keep pieces small. */
const BATCH = 2048;

/** Where one finding ends and the next begins in a stringified batch; every finding's first key is `tool`. */
const FINDING_BOUNDARY = '},{"tool":';
const LINE_BOUNDARY = `},\n${FINDINGS_LAYOUT.indent}{"tool":`;
