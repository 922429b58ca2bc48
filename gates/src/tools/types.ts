import type { ReportError } from "../errors.js";
import type { ReportFormat, ToolError, ToolResult } from "../findings/finding.js";
import type { GateName } from "../model/gates.js";
import type { ReportKind } from "../model/report.js";

/** How a tool's exit code is read. `findings`: it ran and found something (not an error). */
export type ExitMeaning = "clean" | "findings" | "error";

/** The words of a findings exit code beside a report that holds nothing (see findingsExitHasFindings). */
export interface FindingsExitWording {
  /** When the tool exits so: `it found something`. */
  means: string;
  /** What the report shows instead: `the report holds no finding`. */
  butReport: string;
  /** What that makes the report: `it is not the report of that run`. */
  so: string;
  fix: string;
}

/** A pinned container image, the single source of truth for Dagger and documentation. */
export interface PinnedImage {
  /** `registry/repo:tag` (plus `@sha256:…` only when verified from a published source). */
  ref: string;
  /** The tool version the tag carries. */
  version: string;
}

/** One `--report <kind>` kind, as the adapter that reads it declares it. */
export interface ReportKindDeclaration {
  /** What a report of this kind is, for messages (`a gitleaks report (JSON or SARIF)`). */
  readonly label: string;
  /**
   * The gates a report of this kind may feed. A report that cannot be used makes each of them
   * `error`; its findings also reach the gate their kind names.
   */
  readonly feeds: readonly GateName[];
  /** The gates that cannot be judged without a report of this kind (no report is never "no findings"). */
  readonly requiredBy: readonly GateName[];
  /**
   * Reports given with one of these labels (`--report trivy.vuln=<file>`) come from a narrower run
   * of the tool and feed only the gates listed here, instead of `feeds`.
   */
  readonly feedsByLabel?: Readonly<Record<string, readonly GateName[]>>;
  /**
   * The tool report.json files a report of this kind under when it could not be read; the
   * adapter's name when absent.
   */
  readonly tool?: string;
}

/**
 * One adapter per tool (`gitleaks.ts`, `trivy.ts`…). The Dagger module and the host runner both
 * take the image, the argv and the exit-code meaning from here; the evaluator takes the parser.
 * The registry (`registry.ts`) derives every table keyed by kind or format from these declarations.
 */
export interface ToolAdapter {
  readonly name: string;
  readonly image: PinnedImage;
  /** Formats this adapter parses: its own, and for the generic SARIF adapter every tool's SARIF too. */
  readonly formats: readonly ReportFormat[];
  /**
   * The formats this tool writes, each with what messages call it (`a gitleaks JSON report`). Every
   * format is labelled by exactly one adapter, which owns it: detection files it under that adapter.
   */
  readonly formatLabels: Readonly<Partial<Record<ReportFormat, string>>>;
  /**
   * The `--report` kinds this adapter reads (each kind is read by exactly one adapter). The first
   * is the kind a wrong-kind error suggests for the formats this adapter owns.
   */
  readonly kinds: Readonly<Partial<Record<ReportKind, ReportKindDeclaration>>>;
  /** The format of an already JSON-parsed document, or undefined when it is not this tool's. */
  detect(document: unknown): ReportFormat | undefined;
  /**
   * Parses a report. Throws a ReportError (REPORT_EMPTY / REPORT_MALFORMED / REPORT_WRONG_TOOL /
   * REPORT_INVALID) on bad input; never returns a result for garbage.
   */
  parse(raw: string, options?: ParseOptions): ToolResult;
  /**
   * `parse` of a report already JSON-parsed: the registry parses a file once, to detect its format
   * and to read it (a second JSON.parse of a 150 MB report cost 0.6 s and held two copies).
   */
  parseDocument(document: unknown, options?: ParseOptions): ToolResult;
  /** What the tool's exit code means for the argv this adapter builds. */
  exitMeaning(exitCode: number): ExitMeaning;
  /**
   * True when the tool exits with its `findings` code only if its report holds a finding (for k6, a
   * failed threshold): a report with none beside that code is not the report of that run (stale,
   * overwritten, cut short). False where producers differ (SARIF) or the code says nothing of the
   * report (trivy's findings code counts what `--exit-code` was asked for).
   */
  readonly findingsExitHasFindings: boolean;
  /**
   * How the adapter words that contradiction, where its tool's findings code means more than "found
   * something" (k6: a threshold failed, also one that aborted the run); the default wording otherwise.
   */
  readonly findingsExitWording?: FindingsExitWording;
  /**
   * Text that is not JSON but is recognisably another output of this tool (k6's `--out json`
   * sample stream): the error that says so and names the right file. Undefined otherwise.
   */
  explainNotJson?(raw: string, options: ParseOptions): ReportError | undefined;
  /**
   * What the tool's own log (its stderr, kept beside the report as `<stem>.log`) says it could not
   * do, as the report's warnings: trivy exits 0 after skipping a lockfile or an IaC file it could not
   * parse, and says so only in its log. Absent: the tool's log adds nothing its report lacks.
   */
  logProblems?(log: string): ToolError[];
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
  /**
   * Whether the tool may see one of the caller's environment variables. Absent: all of them. A tool
   * that reads settings from its environment withholds those that would change what it reports.
   */
  inheritsEnvironment?: (name: string) => boolean;
}
