import type { Configuration, LintError, LintResults, MicromarkToken, Options, Rule } from "markdownlint";
import { lint } from "markdownlint/sync";
import { InternalError } from "../errors.js";

/** A file handed to the validator: repository-relative path (forward slashes) and its text. */
export interface SourceFile {
  path: string;
  content: string;
}

/** One Markdown file parsed once; every check reads from this. */
export interface ParsedMarkdown {
  path: string;
  /** The text without a byte-order mark. */
  content: string;
  lines: string[];
  /** Front matter lines markdownlint removed before parsing (token line + lineOffset = file line). */
  lineOffset: number;
  /** The YAML between the `---` lines, when the file starts with YAML front matter. */
  frontMatter: string | undefined;
  tokens: readonly MicromarkToken[];
}

/** What the checks made of one file's parse, and markdownlint's own findings on it. */
export interface Linted<T> {
  analysis: T;
  /** Empty when markdownlint is turned off. */
  lintErrors: LintError[];
}

/** markdownlint's defaults minus line length, which prompt files and tables routinely exceed. */
export const DEFAULT_MARKDOWNLINT: Readonly<Configuration> = { default: true, MD013: false };

/**
 * Lints a batch of files in one markdownlint call and hands each file's parse to `analyze` while
 * markdownlint holds it; results are in input order.
 */
export type MarkdownLinter = <T>(files: readonly SourceFile[], analyze: (parsed: ParsedMarkdown) => T) => Linted<T>[];

/**
 * A linter running markdownlint's rules (`markdownlint: false` runs none) plus a custom rule that
 * runs the caller's checks on markdownlint's micromark parse, so each file is parsed once for every
 * check. The checks run inside the rule, so a file's tokens are garbage as soon as markdownlint
 * moves to the next file, which keeps the heap small however large the batch; one call per batch
 * pays markdownlint's set-up (rule list, configuration) once, not once per file.
 */
export function createMarkdownLinter(markdownlint: Record<string, unknown> | false): MarkdownLinter {
  const config: Configuration =
    markdownlint === false
      ? { default: false, [ANALYSIS_RULE]: true }
      : { ...DEFAULT_MARKDOWNLINT, ...markdownlint, [ANALYSIS_RULE]: true };
  return <T>(files: readonly SourceFile[], analyze: (parsed: ParsedMarkdown) => T): Linted<T>[] => {
    const contents = new Map(files.map((file) => [file.path, stripBom(file.content)]));
    const analysed = new Map<string, { value: T }>();
    const rule = analysisRule((name, capture) => {
      analysed.set(name, { value: analyze(parsedMarkdown(name, contents.get(name) ?? "", capture)) });
    });
    const results = lintUnfrozen({ strings: Object.fromEntries(contents), config, customRules: [rule] });
    return files.map((file) => {
      // An inline `markdownlint-configure-file` comment can switch the analysis rule off: parse
      // that file again without inline configuration.
      const found = analysed.get(file.path);
      const analysis = found === undefined ? reanalyse(file.path, contents.get(file.path) ?? "", analyze) : found.value;
      return { analysis, lintErrors: markdownlint === false ? [] : (results[file.path] ?? []) };
    });
  };
}

// --- internal ---

const ANALYSIS_RULE = "portcullis-parse";
const NEW_LINE = /\r\n|\r|\n/;
const FENCE_LINE = /^---\s*$/;

interface Captured {
  tokens: readonly MicromarkToken[];
  frontMatterLines: readonly string[];
}

function analysisRule(onParsed: (name: string, capture: Captured) => void): Rule {
  return {
    names: [ANALYSIS_RULE],
    description: "Runs portcullis validate's checks on markdownlint's micromark parse",
    tags: ["portcullis"],
    parser: "micromark",
    function: (params) => {
      onParsed(params.name, { tokens: params.parsers.micromark.tokens, frontMatterLines: params.frontMatterLines });
    },
  };
}

function parsedMarkdown(path: string, content: string, capture: Captured): ParsedMarkdown {
  return {
    path,
    content,
    lines: content.split(NEW_LINE),
    lineOffset: capture.frontMatterLines.length,
    frontMatter: yamlFrontMatter(capture.frontMatterLines),
    tokens: capture.tokens,
  };
}

function reanalyse<T>(path: string, content: string, analyze: (parsed: ParsedMarkdown) => T): T {
  const analysed: { value: T }[] = [];
  lintUnfrozen({
    strings: { [path]: content },
    config: { default: false, [ANALYSIS_RULE]: true },
    customRules: [
      analysisRule((name, capture) => analysed.push({ value: analyze(parsedMarkdown(name, content, capture)) })),
    ],
    noInlineConfig: true,
  });
  const [first] = analysed;
  if (first === undefined)
    throw new InternalError(`markdownlint did not run the parse rule on ${path}`, { file: path });
  return first.value;
}

/**
 * markdownlint's lint with Object.freeze a pass-through. With any custom rule present, markdownlint
 * freezes every micromark token of every file (markdownlint-cli2, with none, never does), so that a
 * custom rule cannot change what the built-in rules read. Ours only reads them, and the freezing
 * cost 7 % of a large run's CPU time (docs/validate.md, Performance). markdownlint/sync runs to its
 * end without yielding: only markdownlint and our checks inside its custom rule run meanwhile, and
 * neither relies on freezing. Restored however the lint ends.
 */
function lintUnfrozen(options: Options): LintResults {
  // Node's --frozen-intrinsics (or a lockdown) makes it read-only: then markdownlint freezes.
  if (Object.getOwnPropertyDescriptor(Object, "freeze")?.writable !== true) return lint(options);
  const freeze = Object.freeze;
  Object.freeze = noFreeze;
  try {
    return lint(options);
  } finally {
    Object.freeze = freeze;
  }
}

const noFreeze = (<T>(value: T): T => value) as typeof Object.freeze;

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The YAML between the opening `---` and the first closing `---` line. markdownlint also recognises
 * TOML (`+++`) and JSON front matter, which are not checked, and counts blank lines after the
 * closing `---` as front matter lines.
 */
function yamlFrontMatter(lines: readonly string[]): string | undefined {
  if (!FENCE_LINE.test(lines[0] ?? "")) return undefined;
  const close = lines.findIndex((line, index) => index > 0 && FENCE_LINE.test(line));
  return close < 0 ? undefined : lines.slice(1, close).join("\n");
}
