import type { ValidateConfig } from "./config.js";
import { extractMarkdown, type Fence, type MarkdownFacts } from "./extract.js";
import { globMatcher } from "./globs.js";
import { isHtmlElement } from "./html-elements.js";
import { createMarkdownLinter, type MarkdownLinter, type ParsedMarkdown, type SourceFile } from "./parse.js";
import { LineMap, type Position } from "./positions.js";
import { dependencyMatcher, elementReferences, hasExtension, type DependencyMatcher } from "./references.js";
import type { RawFinding } from "./rule-ids.js";
import { readFrontMatter } from "./rules/frontmatter-invalid.js";
import { missingFrontMatterKeys } from "./rules/frontmatter-missing-key.js";
import { markdownlintFindings } from "./rules/markdownlint.js";
import { overTokenBudget } from "./rules/token-budget.js";
import { unclosedFences } from "./rules/unclosed-fence.js";
import { malformedXmlBlock, unbalancedProseTags } from "./rules/xml-malformed.js";
import { Slugger } from "./slug.js";
import { createTokenCounter, type TokenCounter } from "./tokens.js";
import { scanXml } from "./xml.js";

/** Something one file points at, where it says so. */
export interface Located {
  target: string;
  line: number;
  column: number;
}

/** A path carried by XML. */
export interface LocatedReference extends Located {
  /** It came from a dependency tag: an edge of the module graph. */
  dependency: boolean;
}

/**
 * What one file contributes: its anchors and outgoing pointers for the cross-file rules, and the
 * findings that need no other file. Plain data, so worker threads can send it back.
 */
export interface FileFacts {
  path: string;
  /** Heading anchors (GitHub slugs, duplicates numbered) and HTML `id`/`name` values. */
  anchors: string[];
  links: Located[];
  includes: Located[];
  references: LocatedReference[];
  findings: RawFinding[];
}

/** Runs the per-file part of validation; one per thread, reusing its token encoder. */
export interface FileAnalyzer {
  analyze(files: readonly SourceFile[]): Promise<FileFacts[]>;
  dispose(): void;
}

/** An analyzer for one thread, with the config's globs compiled once. */
export function createFileAnalyzer(config: ValidateConfig): FileAnalyzer {
  const settings: Settings = {
    config,
    dependencies: dependencyMatcher(config.references.dependency_tags),
    frontmatter: config.frontmatter.map((rule) => ({ ...rule, matches: globMatcher([rule.glob]) })),
    budgets: config.token_budgets.map((budget) => ({ ...budget, matches: globMatcher([budget.glob]) })),
    counter: createTokenCounter(config.token_counter),
    lint: createMarkdownLinter(config.markdownlint),
  };
  return {
    async analyze(files) {
      const facts: FileFacts[] = [];
      for (const { analysis, lintErrors } of settings.lint(files, (parsed) => analyzeParsed(parsed, settings))) {
        const { content, ...file } = analysis;
        const budget = settings.budgets.find((candidate) => candidate.matches(file.path));
        // A new array, not push(...): a long file can have more lint errors than a call has arguments.
        file.findings = [
          ...file.findings,
          ...(budget === undefined ? [] : await overTokenBudget(file.path, content, budget, settings.counter)),
          ...markdownlintFindings(file.path, lintErrors),
        ];
        facts.push(file);
      }
      return facts;
    },
    dispose: () => settings.counter.dispose(),
  };
}

// --- internal ---

interface Settings {
  config: ValidateConfig;
  dependencies: DependencyMatcher;
  frontmatter: { glob: string; required: string[]; matches: (path: string) => boolean }[];
  budgets: { glob: string; max: number; matches: (path: string) => boolean }[];
  counter: TokenCounter;
  lint: MarkdownLinter;
}

/** Extensions an `@include` without a folder must have to be told from a handle or decorator. */
const DOCUMENT_EXTENSIONS = [".md", ".mdx", ".markdown", ".txt", ".json", ".yaml", ".yml", ".xml", ".toml"];
const INCLUDE = /(?<=^|[\s([{"'>*_])@([\w.~/+-]+)/gm;
const INCLUDE_TRAILING = /[.:;!?_-]+$/;
const ANY_EXTENSION = /[\w-]\.[A-Za-z0-9]{1,10}$/;

/**
 * The checks that read the parse, run inside markdownlint's pass over the file; the token budget
 * (asynchronous: the encoder loads on first use) and markdownlint's findings are added after, in
 * that order. The text is kept for the budget.
 */
function analyzeParsed(parsed: ParsedMarkdown, settings: Settings): FileFacts & { content: string } {
  const { path } = parsed;
  const markdown = extractMarkdown(parsed);
  const prose = new LineMap(markdown.prose);
  const position = (offset: number) => prose.position(offset);
  const xml = xmlFacts(path, markdown, position, settings);
  const findings: RawFinding[] = [
    ...unclosedFences(path, markdown.fences),
    ...xml.findings,
    ...frontMatterFindings(parsed, settings),
  ];
  const slugger = new Slugger();
  return {
    path,
    content: parsed.content,
    anchors: [...markdown.headings.map((heading) => slugger.slug(heading)), ...markdown.htmlAnchors],
    links: markdown.destinations.map((destination) => ({
      target: destination.raw,
      line: destination.line,
      column: destination.column,
    })),
    includes: includes(markdown.prose, [...settings.config.references.extensions, ...DOCUMENT_EXTENSIONS], position),
    references: xml.references,
    findings,
  };
}

/** Rules 3 and 5 on one file: ```xml blocks (strict) and XML-like tags in prose. */
function xmlFacts(
  path: string,
  markdown: MarkdownFacts,
  position: (offset: number) => Position,
  settings: Settings,
): { findings: RawFinding[]; references: LocatedReference[] } {
  const { extensions } = settings.config.references;
  const dependencies = settings.dependencies;
  const findings: RawFinding[] = [];
  const references: LocatedReference[] = [];
  for (const fence of markdown.fences) {
    if (fence.language !== "xml") continue;
    const block = fenceText(fence);
    const scan = scanXml(block.text, { mode: "block" });
    findings.push(...malformedXmlBlock(path, scan.problems, block.position));
    for (const found of elementReferences(scan.elements, { extensions, dependencies, skipIncludes: false })) {
      references.push({ target: found.target, dependency: found.dependency, ...block.position(found.offset) });
    }
  }
  const proseXml = scanXml(markdown.prose, { mode: "prose", isHtml: isHtmlElement });
  if (settings.config.xml.prose) findings.push(...unbalancedProseTags(path, proseXml.problems, position));
  // Prose `@paths` are imports (rule 2), not references.
  for (const found of elementReferences(proseXml.elements, { extensions, dependencies, skipIncludes: true })) {
    references.push({ target: found.target, dependency: found.dependency, ...position(found.offset) });
  }
  return { findings, references };
}

/** Rule 6: the front matter parses, and has the keys every matching entry requires. */
function frontMatterFindings(parsed: ParsedMarkdown, settings: Settings): RawFinding[] {
  const frontMatter = readFrontMatter(parsed.path, parsed.frontMatter);
  if (frontMatter.findings.length > 0) return frontMatter.findings;
  const rules = settings.frontmatter.filter((rule) => rule.matches(parsed.path));
  const unclosed = parsed.frontMatter === undefined && /^---\s*$/.test(parsed.lines[0] ?? "");
  return missingFrontMatterKeys(parsed.path, frontMatter.data, rules, unclosed);
}

/**
 * `@path` imports in prose. To tell them from handles and decorators (`@octocat`, `@app.route`,
 * `@types/node`), the file name needs an extension, and without a folder a document-type one.
 */
function includes(prose: string, extensions: readonly string[], position: (offset: number) => Position): Located[] {
  const found: Located[] = [];
  for (const match of prose.matchAll(INCLUDE)) {
    const target = (match[1] ?? "").replace(INCLUDE_TRAILING, "");
    const accepted = target.includes("/") ? ANY_EXTENSION.test(target) : hasExtension(target, extensions);
    if (accepted) found.push({ target, ...position(match.index ?? 0) });
  }
  return found;
}

/** A fenced block's body as one text (blank lines restored), with offsets mapped to the file. */
function fenceText(fence: Fence): { text: string; position: (offset: number) => Position } {
  const lines: string[] = [];
  const columns: number[] = [];
  for (const line of fence.body) {
    while (fence.line + 1 + lines.length < line.line) {
      lines.push("");
      columns.push(1);
    }
    lines.push(line.text);
    columns.push(line.column);
  }
  const text = lines.join("\n");
  const map = new LineMap(text, fence.line + 1);
  return {
    text,
    position(offset) {
      const at = map.position(offset);
      return { line: at.line, column: at.column + (columns[at.line - fence.line - 1] ?? 1) - 1 };
    },
  };
}
