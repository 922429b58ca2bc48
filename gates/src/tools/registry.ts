import { InternalError, ReportError } from "../errors.js";
import type { ReportFormat, ToolError, ToolResult } from "../findings/finding.js";
import type { GateName } from "../model/gates.js";
import type { ReportKind } from "../model/report.js";
import { describeDocument, parseReportJson } from "./report-json.js";
import type { ExitMeaning, FindingsExitWording, ParseOptions, ToolAdapter } from "./types.js";

/**
 * The tables every other part reads, derived from what each adapter declares (its formats and their
 * labels, its `--report` kinds, what they feed, its exit-code meaning): adding a tool is writing its
 * adapter and putting it in the registry's list (index.ts). Pure; the declarations are checked once,
 * when the registry is built, so two adapters can never claim the same kind or format.
 */

/** One `--report <kind>` kind, as its adapter declares it, with the adapter and formats filled in. */
export interface ReportKindSpec {
  /** The adapter (its name) that reads reports of this kind and judges the tool's exit code. */
  adapter: string;
  /** What a report of this kind is, for messages. */
  label: string;
  /** The formats a report of this kind may be: its adapter's (detected by content, never by name). */
  formats: readonly ReportFormat[];
  /** The gates a report of this kind may feed. */
  feeds: readonly GateName[];
  /** The gates that cannot be judged without a report of this kind. */
  requiredBy: readonly GateName[];
  /** The gates a report of this kind with one of these labels feeds instead of `feeds`. */
  feedsByLabel: Readonly<Record<string, readonly GateName[]>>;
  /** The tool report.json files a report of this kind under when it could not be read. */
  tool: string;
  /** Its adapter's word: the tool's findings exit code comes only with a report that holds a finding. */
  findingsExitHasFindings: boolean;
  /** How its adapter words a findings exit code beside a report that holds nothing, if its own way. */
  findingsExitWording: FindingsExitWording | undefined;
  /** Its adapter reads the tool's log (`<stem>.log`): whoever runs the tool keeps its stderr there. */
  readsLog: boolean;
}

/** Who owns a format: the adapter that labels it, and the kind a wrong-kind error suggests for it. */
export interface FormatSpec {
  adapter: string;
  kind: ReportKind;
  label: string;
}

/** A report's format and the adapter that reads it. */
export interface DetectedReport {
  tool: string;
  format: ReportFormat;
}

/** What the registry must cover, exactly: the kinds and formats report.json can name. */
export interface RegistryVocabulary {
  kinds: readonly ReportKind[];
  formats: readonly ReportFormat[];
}

export interface ToolRegistry {
  /** The adapters, in the order a document is offered to them. */
  readonly adapters: readonly ToolAdapter[];
  readonly kinds: Readonly<Record<ReportKind, ReportKindSpec>>;
  readonly formats: Readonly<Record<ReportFormat, FormatSpec>>;
  /** What a JSON-parsed document is; undefined when no adapter recognises it. */
  detectDocument(document: unknown): DetectedReport | undefined;
  /** What a report is, by content. Throws REPORT_EMPTY / REPORT_MALFORMED / REPORT_WRONG_TOOL. */
  detectReport(raw: string, options?: ParseOptions): DetectedReport;
  /** Parses a report given as `--report <kind>=<file>`; another kind's report is REPORT_WRONG_TOOL. */
  parseReport(kind: ReportKind, raw: string, options?: ParseOptions): ToolResult;
  /** What an exit code means for the tool behind a report kind, by its adapter. */
  exitMeaning(kind: ReportKind, exitCode: number): ExitMeaning;
  /** The warnings in the log of the tool behind a report kind, by its adapter (none when it reads no log). */
  logProblems(kind: ReportKind, log: string): ToolError[];
}

/** Builds the registry; throws InternalError when the adapters' declarations disagree with each other or the vocabulary. */
export function buildRegistry(adapters: readonly ToolAdapter[], vocabulary: RegistryVocabulary): ToolRegistry {
  const byName = new Map<string, ToolAdapter>();
  for (const adapter of adapters) {
    if (byName.has(adapter.name)) throw declarationError(`two adapters are named "${adapter.name}"`);
    byName.set(adapter.name, adapter);
  }
  const kinds = kindTable(adapters, vocabulary);
  const formats = formatTable(adapters, vocabulary);
  const adapterOf = (name: string): ToolAdapter => byName.get(name) as ToolAdapter;
  const accepted = orList([...new Set(vocabulary.kinds.map((kind) => kinds[kind].label))]);

  const detectDocument = (document: unknown): DetectedReport | undefined => {
    for (const adapter of adapters) {
      const format = adapter.detect(document);
      if (format !== undefined) return { tool: formats[format].adapter, format };
    }
    return undefined;
  };

  /** The report's document, parsed once, and what it is. */
  const detectedDocument = (raw: string, options: ParseOptions): { document: unknown; detected: DetectedReport } => {
    const document = parseAnyReport(adapters, raw, options);
    const detected = detectDocument(document);
    if (detected !== undefined) return { document, detected };
    throw new ReportError(
      "REPORT_WRONG_TOOL",
      `not a report Portcullis can read: ${describeDocument(document).description}`,
      { file: options.file, fix: `pass ${accepted}` },
    );
  };

  const detectReport = (raw: string, options: ParseOptions = {}): DetectedReport =>
    detectedDocument(raw, options).detected;

  const parseReport = (kind: ReportKind, raw: string, options: ParseOptions = {}): ToolResult => {
    const { document, detected } = detectedDocument(raw, options);
    if (!kinds[kind].formats.includes(detected.format)) {
      const owner = formats[detected.format];
      throw new ReportError("REPORT_WRONG_TOOL", `--report ${kind}: this is ${owner.label}, not ${kinds[kind].label}`, {
        file: options.file,
        tool: kind,
        fix: `pass it as --report ${owner.kind}=${options.file ?? "<file>"}`,
      });
    }
    return adapterOf(detected.tool).parseDocument(document, options);
  };

  return {
    adapters,
    kinds,
    formats,
    detectDocument,
    detectReport,
    parseReport,
    exitMeaning: (kind, exitCode) => adapterOf(kinds[kind].adapter).exitMeaning(exitCode),
    logProblems: (kind, log) => adapterOf(kinds[kind].adapter).logProblems?.(log) ?? [],
  };
}

// --- internal ---

function kindTable(
  adapters: readonly ToolAdapter[],
  vocabulary: RegistryVocabulary,
): Record<ReportKind, ReportKindSpec> {
  const table = new Map<string, ReportKindSpec>();
  for (const adapter of adapters) {
    for (const [kind, declared] of Object.entries(adapter.kinds)) {
      if (declared === undefined) continue;
      const other = table.get(kind);
      if (other !== undefined) {
        throw declarationError(`report kind "${kind}" is declared by both ${other.adapter} and ${adapter.name}`);
      }
      table.set(kind, {
        adapter: adapter.name,
        label: declared.label,
        formats: adapter.formats,
        feeds: declared.feeds,
        requiredBy: declared.requiredBy,
        feedsByLabel: declared.feedsByLabel ?? {},
        tool: declared.tool ?? adapter.name,
        findingsExitHasFindings: adapter.findingsExitHasFindings,
        findingsExitWording: adapter.findingsExitWording,
        readsLog: adapter.logProblems !== undefined,
      });
    }
  }
  return exactly("report kind", table, vocabulary.kinds, "declare it in the kinds of the adapter that reads it");
}

function formatTable(
  adapters: readonly ToolAdapter[],
  vocabulary: RegistryVocabulary,
): Record<ReportFormat, FormatSpec> {
  const table = new Map<string, FormatSpec>();
  for (const adapter of adapters) {
    const [kind] = Object.keys(adapter.kinds) as ReportKind[];
    for (const format of adapter.formats) {
      if (!vocabulary.formats.includes(format))
        throw declarationError(`${adapter.name} parses unknown format "${format}"`);
    }
    for (const [format, label] of Object.entries(adapter.formatLabels) as [ReportFormat, string | undefined][]) {
      if (label === undefined) continue;
      const other = table.get(format);
      if (other !== undefined) {
        throw declarationError(`format "${format}" is labelled by both ${other.adapter} and ${adapter.name}`);
      }
      if (!adapter.formats.includes(format)) {
        throw declarationError(`${adapter.name} labels format "${format}", which it does not parse`);
      }
      if (kind === undefined) throw declarationError(`${adapter.name} labels formats but reads no report kind`);
      table.set(format, { adapter: adapter.name, kind, label });
    }
  }
  return exactly(
    "format",
    table,
    vocabulary.formats,
    "label it in the formatLabels of the adapter of the tool that writes it",
  );
}

/** The table as a record over exactly the vocabulary's keys, in the vocabulary's order. */
function exactly<K extends string, V>(
  what: string,
  table: Map<string, V>,
  keys: readonly K[],
  fix: string,
): Record<K, V> {
  const extra = [...table.keys()].find((key) => !keys.includes(key as K));
  if (extra !== undefined) {
    throw declarationError(
      `${what} "${extra}" is not in report.json's vocabulary`,
      "name it in REPORT_KINDS (model/report.ts) or REPORT_FORMATS (findings/finding.ts)",
    );
  }
  const record = {} as Record<K, V>;
  for (const key of keys) {
    const value = table.get(key);
    if (value === undefined) throw declarationError(`${what} "${key}" is declared by no adapter`, fix);
    record[key] = value;
  }
  return record;
}

/** JSON-parses a report once; non-JSON that an adapter recognises as its tool's other output is explained. */
function parseAnyReport(adapters: readonly ToolAdapter[], raw: string, options: ParseOptions): unknown {
  try {
    return parseReportJson(raw, {
      tool: "given",
      expected: "report of a supported tool",
      producer: "the tool",
      file: options.file,
    });
  } catch (error) {
    if (!(error instanceof ReportError) || error.code !== "REPORT_MALFORMED") throw error;
    for (const adapter of adapters) {
      const explained = adapter.explainNotJson?.(raw, options);
      if (explained !== undefined) throw explained;
    }
    throw error;
  }
}

function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

function declarationError(message: string, fix?: string): InternalError {
  return new InternalError(`tool registry: ${message}`, {
    fix: fix ?? "correct the adapters' declarations in gates/src/tools (docs/adapters.md, adding a tool)",
  });
}
