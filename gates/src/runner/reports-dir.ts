import { REPORT_KINDS, type ReportKind } from "../model/report.js";
import { REPORT_KIND_SPECS } from "../tools/index.js";

/**
 * The reports-directory contract shared by the Dagger module, the host runner and
 * `portcullis evaluate --reports <dir>`:
 *
 * - `<kind>[.<label>].json` or `<kind>[.<label>].sarif`: one raw tool report (`trivy.image.json`,
 *   `semgrep.sarif`, `gitleaks.json`). The format inside is detected by content; the extension only
 *   tells people what to expect.
 * - `<kind>[.<label>].exitcode`: the tool's exit code as decimal text, written by whoever ran it, so a
 *   crash becomes a gate `error` even when the tool left a plausible-looking report behind.
 * - `<kind>[.<label>].log`: what the tool logged (its stderr), for the kinds whose adapter reads it
 *   (trivy: a file it skipped is said only there), which turns it into the report's warnings. Any
 *   other `.log`, and one beside no report, is listed and left alone.
 *
 * A stem (`<kind>[.<label>]`) names one report. When both `.json` and `.sarif` exist for a stem (semgrep
 * writes both), the `.json` one is read and the `.sarif` one is listed as a duplicate, so findings are
 * never counted twice. Any other file is ignored and listed.
 */

/** Extensions a report file may carry, in order of preference for the same stem. */
export const REPORT_EXTENSIONS = ["json", "sarif"] as const;
export type ReportExtension = (typeof REPORT_EXTENSIONS)[number];

/** Labels are lower-case words so that the file name splits back unambiguously. */
export const LABEL_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

/** The identity of one report in a reports directory. */
export interface ReportStem {
  kind: ReportKind;
  label?: string | undefined;
}

/** One report found in a directory: its file (if any) and its exit-code file (if any). */
export interface ReportDirEntry extends ReportStem {
  /** File name of the report, relative to the directory; undefined when only an exit code was left. */
  report?: string | undefined;
  /** File name of the `.exitcode` file, when present. */
  exitCodeFile?: string | undefined;
  /** File name of the `.log` file, when present. */
  logFile?: string | undefined;
}

/** What a directory listing turns into. */
export interface ReportDirPlan {
  entries: ReportDirEntry[];
  /** Files that are not part of the contract, with the reason they are skipped. */
  ignored: { file: string; reason: string }[];
}

/** `trivy`, `trivy.image`: the stem of a report's files. */
export function stemOf(stem: ReportStem): string {
  return stem.label === undefined ? stem.kind : `${stem.kind}.${stem.label}`;
}

/** `trivy.image.json`. */
export function reportFileName(stem: ReportStem, extension: ReportExtension = "json"): string {
  return `${stemOf(stem)}.${extension}`;
}

/** `trivy.image.exitcode`. */
export function exitCodeFileName(stem: ReportStem): string {
  return `${stemOf(stem)}.exitcode`;
}

/** `trivy.image.log`. */
export function logFileName(stem: ReportStem): string {
  return `${stemOf(stem)}.log`;
}

/** Splits a file name by the contract; undefined when the name is not part of it. */
export function parseReportFileName(
  name: string,
):
  | (ReportStem & { role: "report"; extension: ReportExtension })
  | (ReportStem & { role: "exitcode" | "log" })
  | undefined {
  const parts = name.split(".");
  if (parts.length < 2 || parts.length > 3) return undefined;
  const kind = REPORT_KINDS.find((candidate) => candidate === parts[0]);
  const suffix = parts[parts.length - 1];
  if (kind === undefined || suffix === undefined) return undefined;
  const label = parts.length === 3 ? parts[1] : undefined;
  if (label !== undefined && !LABEL_PATTERN.test(label)) return undefined;
  if (suffix === "exitcode") return { kind, label, role: suffix };
  // Only a tool whose adapter reads its log has one in the contract: any other `.log` is the user's.
  if (suffix === "log") return REPORT_KIND_SPECS[kind].readsLog ? { kind, label, role: suffix } : undefined;
  const extension = REPORT_EXTENSIONS.find((candidate) => candidate === suffix);
  return extension === undefined ? undefined : { kind, label, role: "report", extension };
}

/** Groups a directory's file names into reports (sorted by stem) and ignored files. */
export function planReportDir(fileNames: readonly string[]): ReportDirPlan {
  const byStem = new Map<string, ReportDirEntry & { extension?: ReportExtension }>();
  const ignored: ReportDirPlan["ignored"] = [];
  for (const name of [...fileNames].sort()) {
    const parsed = parseReportFileName(name);
    if (parsed === undefined) {
      ignored.push({ file: name, reason: "not named <kind>[.<label>].json|.sarif|.exitcode|.log" });
      continue;
    }
    const key = stemOf(parsed);
    const entry = byStem.get(key) ?? { kind: parsed.kind, label: parsed.label };
    byStem.set(key, entry);
    if (parsed.role !== "report") {
      if (parsed.role === "exitcode") entry.exitCodeFile = name;
      else entry.logFile = name;
      continue;
    }
    if (entry.report === undefined || entry.extension === undefined) {
      entry.report = name;
      entry.extension = parsed.extension;
      continue;
    }
    const keepNew = REPORT_EXTENSIONS.indexOf(parsed.extension) < REPORT_EXTENSIONS.indexOf(entry.extension);
    const [kept, dropped] = keepNew ? [name, entry.report] : [entry.report, name];
    ignored.push({ file: dropped, reason: `duplicate of ${kept} (one report per <kind>[.<label>])` });
    entry.report = kept;
    if (keepNew) entry.extension = parsed.extension;
  }
  for (const [key, entry] of byStem) {
    // A log alone names no run: it is listed, never taken for a missing report.
    if (entry.report === undefined && entry.exitCodeFile === undefined && entry.logFile !== undefined) {
      ignored.push({ file: entry.logFile, reason: "a tool's log with no report or exit code beside it" });
      byStem.delete(key);
    }
  }
  const entries = [...byStem.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { kind, label, report, exitCodeFile, logFile }]) => ({ kind, label, report, exitCodeFile, logFile }));
  return { entries, ignored };
}

/** Reads the text of an `.exitcode` file; undefined when it is not a plain integer. */
export function parseExitCode(text: string): number | undefined {
  const trimmed = text.trim();
  return /^-?\d{1,5}$/.test(trimmed) ? Number(trimmed) : undefined;
}
