import type { ReportFormat, ToolResult } from "../findings/finding.js";

/** How a tool's exit code is read. `findings`: it ran and found something (not an error). */
export type ExitMeaning = "clean" | "findings" | "error";

/** A pinned container image, the single source of truth for Dagger and documentation. */
export interface PinnedImage {
  /** `registry/repo:tag` (plus `@sha256:…` only when verified from a published source). */
  ref: string;
  /** The tool version the tag carries. */
  version: string;
}

/**
 * One adapter per tool (`gitleaks.ts`, `trivy.ts`…). The Dagger module and the host runner both
 * take the image, the argv and the exit-code meaning from here; the evaluator takes the parser.
 */
export interface ToolAdapter {
  readonly name: string;
  readonly image: PinnedImage;
  /** Formats this adapter parses. */
  readonly formats: readonly ReportFormat[];
  /** The format of an already JSON-parsed document, or undefined when it is not this tool's. */
  detect(document: unknown): ReportFormat | undefined;
  /**
   * Parses a report. Throws a ReportError (REPORT_EMPTY / REPORT_MALFORMED / REPORT_WRONG_TOOL /
   * REPORT_INVALID) on bad input; never returns a result for garbage.
   */
  parse(raw: string, options?: ParseOptions): ToolResult;
  /** What the tool's exit code means for the argv this adapter builds. */
  exitMeaning(exitCode: number): ExitMeaning;
}

export interface ParseOptions {
  /** The file name, for error messages only (formats are detected by content). */
  file?: string;
}

/** What a runnable tool's adapter carries beyond ToolAdapter: its argv builders and exit codes. */
export interface RunnableAdapter {
  argv: Record<string, (options: never) => string[]>;
  exitCodes: Readonly<Record<string, number>>;
  /**
   * The command that prints the tool's version (after the executable). Its raw stdout is what every
   * runner records as `versions/<tool>.txt` next to the reports.
   */
  versionArgv: readonly string[];
}
