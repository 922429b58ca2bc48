import type { Configuration, LintError, MicromarkToken, Rule } from "markdownlint";
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
  /** markdownlint's own findings (empty when markdownlint is turned off). */
  lintErrors: LintError[];
}

/** markdownlint's defaults minus line length, which prompt files and tables routinely exceed. */
export const DEFAULT_MARKDOWNLINT: Readonly<Configuration> = { default: true, MD013: false };

/** Parses one file (and runs markdownlint on it). */
export type MarkdownParser = (file: SourceFile) => ParsedMarkdown;

/**
 * A parser running markdownlint's rules (`markdownlint: false` runs none) whose micromark parse a
 * custom rule hands over, so each file is parsed once for every check. One file at a time: a
 * file's tokens are garbage as soon as its checks are done, which keeps the heap small.
 */
export function createMarkdownParser(markdownlint: Record<string, unknown> | false): MarkdownParser {
  const config: Configuration =
    markdownlint === false
      ? { default: false, [CAPTURE_RULE]: true }
      : { ...DEFAULT_MARKDOWNLINT, ...markdownlint, [CAPTURE_RULE]: true };
  return (file) => {
    const content = stripBom(file.content);
    const captured = new Map<string, Captured>();
    const results = lint({ strings: { [file.path]: content }, config, customRules: [captureRule(captured)] });
    // An inline `markdownlint-configure-file` comment can switch the capture rule off: parse again
    // without inline configuration.
    const capture = captured.get(file.path) ?? recapture(file.path, content);
    return {
      path: file.path,
      content,
      lines: content.split(NEW_LINE),
      lineOffset: capture.frontMatterLines.length,
      frontMatter: yamlFrontMatter(capture.frontMatterLines),
      tokens: capture.tokens,
      lintErrors: markdownlint === false ? [] : (results[file.path] ?? []),
    };
  };
}

// --- internal ---

const CAPTURE_RULE = "portcullis-parse";
const NEW_LINE = /\r\n|\r|\n/;
const FENCE_LINE = /^---\s*$/;

interface Captured {
  tokens: readonly MicromarkToken[];
  frontMatterLines: readonly string[];
}

function captureRule(into: Map<string, Captured>): Rule {
  return {
    names: [CAPTURE_RULE],
    description: "Hands the micromark parse to portcullis validate",
    tags: ["portcullis"],
    parser: "micromark",
    function: (params) => {
      into.set(params.name, { tokens: params.parsers.micromark.tokens, frontMatterLines: params.frontMatterLines });
    },
  };
}

function recapture(path: string, content: string): Captured {
  const captured = new Map<string, Captured>();
  lint({
    strings: { [path]: content },
    config: { default: false, [CAPTURE_RULE]: true },
    customRules: [captureRule(captured)],
    noInlineConfig: true,
  });
  const capture = captured.get(path);
  if (capture === undefined) {
    throw new InternalError(`markdownlint did not run the parse rule on ${path}`, { file: path });
  }
  return capture;
}

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
