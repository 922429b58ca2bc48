import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { IoError, messageOf } from "../errors.js";
import { renderAnnotations } from "../report/annotations.js";
import { renderJson } from "../report/json.js";
import { renderHtml } from "../report/html.js";
import { renderJunit } from "../report/junit.js";
import { renderMarkdown } from "../report/markdown.js";
import type { Report } from "../model/report.js";
import { renderSarif } from "../report/sarif.js";
import type { CliIo } from "./io.js";

/** The files `--out <dir>` receives. */
export const OUTPUT_FILES = ["report.json", "report.sarif", "summary.md", "junit.xml", "report.html"] as const;

/**
 * Writes the report files to `dir` (created when absent). Every renderer gets the scrub list, so a
 * secret the parsers saw is checked for once more in every byte written.
 */
export function writeOutputs(dir: string, report: Report, secrets: readonly string[]): string[] {
  const rendered: Readonly<Record<(typeof OUTPUT_FILES)[number], string>> = {
    "report.json": renderJson(report, { secrets }),
    "report.sarif": renderSarif(report, { secrets }),
    "summary.md": renderMarkdown(report, { secrets }),
    "junit.xml": renderJunit(report, { secrets }),
    // The report is already scrubbed by evaluate(); the page renders nothing else.
    "report.html": renderHtml(report),
  };
  guarded(dir, () => mkdirSync(dir, { recursive: true }));
  return OUTPUT_FILES.map((name) => {
    const file = path.join(dir, name);
    guarded(file, () => writeFileSync(file, rendered[name]));
    return file;
  });
}

/**
 * GitHub Actions: `::error`/`::warning` annotations on stdout when GITHUB_ACTIONS=true, and
 * summary.md appended to $GITHUB_STEP_SUMMARY when that is set.
 */
export function publishToGithub(io: CliIo, report: Report, secrets: readonly string[]): void {
  if (io.env["GITHUB_ACTIONS"] === "true") io.stdout(renderAnnotations(report, { secrets }));
  const summary = io.env["GITHUB_STEP_SUMMARY"];
  if (summary !== undefined && summary !== "") {
    guarded(summary, () => appendFileSync(summary, renderMarkdown(report, { secrets })));
  }
}

// --- internal ---

function guarded(file: string, write: () => void): void {
  try {
    write();
  } catch (error) {
    throw new IoError(`cannot write: ${messageOf(error)}`, {
      file,
      fix: "check that the folder is writable and the disk is not full",
      cause: error,
    });
  }
}
