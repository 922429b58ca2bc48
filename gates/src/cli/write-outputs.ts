import { appendFileSync } from "node:fs";
import path from "node:path";
import { IoError, isFsError, messageOf } from "../errors.js";
import { renderAnnotations } from "../report/annotations.js";
import { renderJsonChunks } from "../report/json.js";
import { renderHtml } from "../report/html.js";
import { renderJunit } from "../report/junit.js";
import { renderMarkdown } from "../report/markdown.js";
import type { Report } from "../model/report.js";
import { renderSarifChunks } from "../report/sarif.js";
import type { CliIo } from "./io.js";
import { makeDirectory } from "./out-path.js";
import { writePieces } from "./write-pieces.js";

/** The files `--out <dir>` receives. */
export const OUTPUT_FILES = ["report.json", "report.sarif", "summary.md", "junit.xml", "report.html"] as const;

/** A judged report, with summary.md rendered once for every place that shows it. */
export interface ReportOutputs {
  report: Report;
  /** summary.md: written by --out and appended to $GITHUB_STEP_SUMMARY. */
  summary: () => string;
}

export function reportOutputs(report: Report): ReportOutputs {
  let summary: string | undefined;
  return { report, summary: () => (summary ??= renderMarkdown(report)) };
}

/**
 * Writes the report files to `dir` (created when absent), each streamed to disk piece by piece: a
 * report of 100,000 findings is never one string. The report is already scrubbed by evaluate(),
 * and every renderer renders nothing else.
 */
export function writeOutputs(dir: string, { report, summary }: ReportOutputs): string[] {
  const rendered: Readonly<Record<(typeof OUTPUT_FILES)[number], () => Iterable<string>>> = {
    "report.json": () => renderJsonChunks(report),
    "report.sarif": () => renderSarifChunks(report),
    "summary.md": () => [summary()],
    "junit.xml": () => [renderJunit(report)],
    "report.html": () => [renderHtml(report)],
  };
  makeDirectory(dir, "--out");
  return OUTPUT_FILES.map((name) => {
    const file = path.join(dir, name);
    guarded(file, () => writePieces(file, rendered[name]()));
    return file;
  });
}

/**
 * GitHub Actions: `::error`/`::warning` annotations when GITHUB_ACTIONS=true (on stderr when stdout
 * carries JSON, which they would break; the runner reads both), and summary.md appended to
 * $GITHUB_STEP_SUMMARY when that is set.
 */
export function publishToGithub(
  io: CliIo,
  { report, summary }: ReportOutputs,
  stream: "stdout" | "stderr" = "stdout",
): void {
  if (io.env["GITHUB_ACTIONS"] === "true") {
    const annotations = renderAnnotations(report);
    if (io.workflowCommands !== undefined) io.workflowCommands(annotations, stream);
    else if (stream === "stdout") io.stdout(annotations);
    else io.stderr(annotations);
  }
  const file = io.env["GITHUB_STEP_SUMMARY"];
  if (file !== undefined && file !== "") guarded(file, () => appendFileSync(file, summary()));
}

// --- internal ---

function guarded(file: string, write: () => void): void {
  try {
    write();
  } catch (error) {
    // Only the file system's errors are the disk's fault; a renderer's error is a bug, reported as one.
    if (!isFsError(error)) throw error;
    throw new IoError(`cannot write: ${messageOf(error)}`, {
      file,
      fix: "check that the folder is writable and the disk is not full",
      cause: error,
    });
  }
}
