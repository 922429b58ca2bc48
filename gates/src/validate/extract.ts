import type { MicromarkToken } from "markdownlint";

/** One line of a fenced block's body, where it sits in the file. */
export interface FenceLine {
  line: number;
  column: number;
  text: string;
}

/** A fenced code block, where it opens and whether it closes. */
export interface Fence {
  /** Position of the opening fence. */
  line: number;
  column: number;
  /** The fence characters (```` ``` ```` or `~~~`…). */
  marker: string;
  /** The first word of the info string, lower-cased (`xml`, `bash`…); empty when none. */
  language: string;
  closed: boolean;
  body: FenceLine[];
}

/** A link, image or reference-definition destination as written. */
export interface Destination {
  raw: string;
  line: number;
  column: number;
}

/** What the checks need from one Markdown file, read from its micromark tokens in one walk. */
export interface MarkdownFacts {
  /** Heading texts as GitHub renders them (markup removed), in document order. */
  headings: string[];
  /** `id`/`name` attribute values of HTML tags, which are link targets too. */
  htmlAnchors: string[];
  destinations: Destination[];
  fences: Fence[];
  /**
   * The file's text with everything that is not prose blanked (front matter, fenced and indented
   * code, code spans, math, HTML comments): same lines, same columns, so offsets map back.
   */
  prose: string;
}

/** A parsed file as the extraction needs it. */
export interface MarkdownSource {
  lines: readonly string[];
  /** Lines of front matter removed before parsing: token line + lineOffset = file line. */
  lineOffset: number;
  tokens: readonly MicromarkToken[];
}

/** Walks the tokens once and collects headings, destinations, fences and the prose mask. */
export function extractMarkdown(source: MarkdownSource): MarkdownFacts {
  const walker = new Walker(source);
  walker.visit(source.tokens);
  return walker.facts();
}

/** The text of a heading token as GitHub's anchor generator sees it (rendered text content). */
export function headingText(token: MicromarkToken): string {
  const type: string = token.type;
  if (HEADING_SKIP.has(type)) return "";
  switch (type) {
    case "lineEnding":
      return " ";
    case "characterReference":
      return decodeCharacterReference(token.text);
    case "codeText":
      return token.children.map(codeTextContent).join("");
    default:
      return token.children.length === 0 ? token.text : token.children.map(headingText).join("");
  }
}

/** Decodes `&amp;`, `&#35;`, `&#x23;` and a few common names; other names decode to nothing. */
export function decodeCharacterReference(reference: string): string {
  const numeric = /^&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));$/.exec(reference);
  if (numeric !== null) {
    const codePoint = numeric[1] === undefined ? Number(numeric[2]) : Number.parseInt(numeric[1], 16);
    return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : "\ufffd";
  }
  return NAMED_REFERENCES.get(reference.slice(1, -1)) ?? "";
}

// --- internal ---

/** Markup that renders to no text, and subtrees (link destinations, images, raw HTML) that add none. */
const HEADING_SKIP = new Set([
  "atxHeadingSequence",
  "setextHeadingLine",
  "setextHeadingLineSequence",
  "emphasisSequence",
  "strongSequence",
  "labelMarker",
  "labelImageMarker",
  "escapeMarker",
  "autolinkMarker",
  "hardBreakEscape",
  "resource",
  "reference",
  "image",
  "htmlText",
]);

const NAMED_REFERENCES = new Map([
  ["amp", "&"],
  ["lt", "<"],
  ["gt", ">"],
  ["quot", '"'],
  ["apos", "'"],
  ["nbsp", "\u00a0"],
]);

const MASKED = new Set(["codeIndented", "codeText", "mathFlow", "mathText"]);
const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
const HTML_TAG = /<[A-Za-z][^\s/>]*([^<>]*)>/g;
/** One attribute of a tag, its value consumed with it: `id=` inside another attribute's value is no anchor. */
const HTML_ATTRIBUTE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

function codeTextContent(token: MicromarkToken): string {
  const type: string = token.type;
  if (type === "codeTextData") return token.text;
  if (type === "lineEnding") return " ";
  return "";
}

class Walker {
  private readonly masked: string[];
  private readonly headings: string[] = [];
  private readonly htmlAnchors: string[] = [];
  private readonly destinations: Destination[] = [];
  private readonly fences: Fence[] = [];

  constructor(private readonly source: MarkdownSource) {
    this.masked = [...source.lines];
    for (let i = 0; i < source.lineOffset && i < this.masked.length; i += 1) this.masked[i] = "";
  }

  facts(): MarkdownFacts {
    return {
      headings: this.headings,
      htmlAnchors: this.htmlAnchors,
      destinations: this.destinations,
      fences: this.fences,
      prose: this.masked.join("\n"),
    };
  }

  visit(tokens: readonly MicromarkToken[]): void {
    for (const token of tokens) {
      const type: string = token.type;
      if (type === "codeFenced") {
        this.fence(token);
        this.mask(token);
      } else if (MASKED.has(type)) {
        this.mask(token);
      } else if (type === "htmlFlow" || type === "htmlText") {
        // Markdown inside an HTML block is not rendered, so its children are not visited.
        if (token.text.startsWith("<!--")) this.mask(token);
        else this.anchors(token.text);
      } else {
        if (type === "atxHeading" || type === "setextHeading") this.heading(token);
        if (type === "resourceDestinationString" || type === "definitionDestinationString") {
          this.destinations.push({ raw: token.text, line: this.line(token.startLine), column: token.startColumn });
        }
        this.visit(token.children);
      }
    }
  }

  private heading(token: MicromarkToken): void {
    const text = token.children.find((child) => {
      const type: string = child.type;
      return type === "atxHeadingText" || type === "setextHeadingText";
    });
    this.headings.push(text === undefined ? "" : headingText(text));
  }

  private fence(token: MicromarkToken): void {
    const fences = token.children.filter((child) => {
      const type: string = child.type;
      return type === "codeFencedFence";
    });
    const opening = fences[0];
    const marker = opening?.children.find((child) => {
      const type: string = child.type;
      return type === "codeFencedFenceSequence";
    });
    const info = opening?.children.find((child) => {
      const type: string = child.type;
      return type === "codeFencedFenceInfo";
    });
    const body: FenceLine[] = [];
    for (const child of token.children) {
      const type: string = child.type;
      if (type === "codeFlowValue")
        body.push({ line: this.line(child.startLine), column: child.startColumn, text: child.text });
    }
    this.fences.push({
      line: this.line(token.startLine),
      column: token.startColumn,
      marker: marker?.text ?? "```",
      language: (info?.text.trim().split(/\s+/)[0] ?? "").toLowerCase(),
      closed: fences.length >= 2,
      body,
    });
  }

  private anchors(html: string): void {
    // An anchor inside a comment is not on the page GitHub renders.
    for (const tag of html.replace(HTML_COMMENT, "").matchAll(HTML_TAG)) {
      for (const attribute of (tag[1] ?? "").matchAll(HTML_ATTRIBUTE)) {
        const name = attribute[1]?.toLowerCase();
        const value = attribute[2] ?? attribute[3] ?? attribute[4];
        if ((name === "id" || name === "name") && value !== undefined && value !== "") this.htmlAnchors.push(value);
      }
    }
  }

  /** Blanks a token's range in the prose text, keeping line breaks and the columns around it. */
  private mask(token: MicromarkToken): void {
    const first = this.line(token.startLine) - 1;
    const last = this.line(token.endLine) - 1;
    for (let index = first; index <= last; index += 1) {
      const text = this.masked[index];
      if (text === undefined) continue;
      const start = index === first ? token.startColumn - 1 : 0;
      const end = index === last ? Math.min(token.endColumn - 1, text.length) : text.length;
      if (start <= 0 && end >= text.length) this.masked[index] = "";
      else if (end > start) this.masked[index] = text.slice(0, start) + " ".repeat(end - start) + text.slice(end);
    }
  }

  private line(tokenLine: number): number {
    return tokenLine + this.source.lineOffset;
  }
}
