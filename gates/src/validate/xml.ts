/**
 * A small XML scanner for the two places XML lives in a Markdown framework:
 * - `block` mode checks a ```xml fenced block for well-formedness, read as an XML fragment (several
 *   top-level elements and text between them are allowed, as prompt files use them): tags nest and
 *   close, attributes are quoted and unique, `<` and `&` are escaped, comments, CDATA sections and
 *   processing instructions are closed.
 * - `prose` mode finds XML-like tags written in Markdown prose: only syntactically complete tags
 *   count, HTML elements are skipped, and anything else that starts with `<` is plain text.
 * Both modes recover after a problem and keep going, so elements (their direct text and attribute
 * values, with offsets) are collected from the whole input for reference extraction.
 */
import { isXmlChar, nameEnd, skipSpace } from "./xml-chars.js";

export interface XmlAttribute {
  name: string;
  value: string;
  /** Offset of the first character of the value. */
  offset: number;
}

/** A piece of an element's own text. */
export interface XmlText {
  text: string;
  offset: number;
}

/** An element with its attributes and its own text (not its descendants'). */
export interface XmlElement {
  name: string;
  /** Offset of the `<` of the start tag. */
  offset: number;
  attributes: XmlAttribute[];
  /** The element's own text (not its descendants'), in pieces with their offsets. */
  text: XmlText[];
}

/** A well-formedness problem, at an offset of the scanned text. */
export interface XmlProblem {
  offset: number;
  /** Stable short description for fingerprints (no positions). */
  code: string;
  message: string;
}

/** What a scan found. */
export interface XmlScan {
  elements: XmlElement[];
  /** In the order found: the first is usually the cause of the others. */
  problems: XmlProblem[];
}

/** `block`: a ```xml block, checked strictly; `prose`: tags written in Markdown prose. */
export type XmlMode = "block" | "prose";

/** How to scan. */
export interface XmlScanOptions {
  mode: XmlMode;
  /** Prose only: tags with these names are HTML, not XML-like, and are skipped. */
  isHtml?: (name: string) => boolean;
}

/** Scans `source`; never throws. */
export function scanXml(source: string, options: XmlScanOptions): XmlScan {
  return new Scanner(source, options).run();
}

// --- internal ---

const PREDEFINED_ENTITIES = new Set(["lt", "gt", "amp", "apos", "quot"]);
const ENTITY = /&(?:#([0-9]+)|#x([0-9a-fA-F]+)|([A-Za-z_:][\w.:-]*));/y;

interface Open {
  element: XmlElement;
}

class Scanner {
  private readonly elements: XmlElement[] = [];
  private readonly problems: XmlProblem[] = [];
  private readonly stack: Open[] = [];
  private readonly strict: boolean;
  private textStart = 0;

  constructor(
    private readonly source: string,
    private readonly options: XmlScanOptions,
  ) {
    this.strict = options.mode === "block";
  }

  run(): XmlScan {
    const { source } = this;
    let i = 0;
    while (i < source.length) {
      // Prose only cares about `<`: jump to the next one.
      if (!this.strict) {
        i = source.indexOf("<", i);
        if (i < 0) break;
      }
      const code = source.charCodeAt(i);
      if (code === LT) {
        const end = this.markup(i);
        if (end > i) {
          i = end;
          this.textStart = end;
          continue;
        }
      } else if (this.strict && code === AMP) {
        this.checkReference(i, "text");
      } else if (this.strict && code === RSQB && source.startsWith("]]>", i)) {
        this.problem(i, "cdata-end", "`]]>` is not allowed in text (write `]]&gt;`)");
      }
      i += 1;
    }
    this.flushText(source.length);
    for (const open of this.stack.reverse()) {
      this.problem(open.element.offset, `unclosed:${open.element.name}`, `\`<${open.element.name}>\` is never closed`);
    }
    return { elements: this.elements, problems: this.problems };
  }

  /** Handles markup at `<`; returns the offset after it, or `at` when it is plain text. */
  private markup(at: number): number {
    const { source } = this;
    if (source.startsWith("<!--", at)) return this.comment(at);
    if (source.startsWith("<![CDATA[", at)) return this.cdata(at);
    if (source.startsWith("<!", at)) return this.declaration(at);
    if (source.startsWith("<?", at)) return this.instruction(at);
    if (source.startsWith("</", at)) return this.closeTag(at);
    return this.startTag(at);
  }

  private comment(at: number): number {
    const end = this.source.indexOf("-->", at + 4);
    if (end < 0) {
      if (!this.strict) return at;
      this.flushText(at);
      this.problem(at, "comment-unclosed", "comment `<!--` is never closed (end it with `-->`)");
      return this.source.length;
    }
    this.flushText(at);
    const inner = this.source.slice(at + 4, end);
    if (this.strict && (inner.includes("--") || inner.endsWith("-"))) {
      this.problem(at, "comment-dashes", "`--` is not allowed inside an XML comment");
    }
    return end + 3;
  }

  private cdata(at: number): number {
    if (!this.strict) return at;
    const end = this.source.indexOf("]]>", at + 9);
    if (end < 0) {
      this.flushText(at);
      this.problem(at, "cdata-unclosed", "CDATA section is never closed (end it with `]]>`)");
      return this.source.length;
    }
    this.flushText(at);
    this.addText(this.source.slice(at + 9, end), at + 9);
    return end + 3;
  }

  private declaration(at: number): number {
    if (!this.strict) return at;
    this.flushText(at);
    if (!this.source.startsWith("<!DOCTYPE", at)) {
      this.problem(at, "lt", "unescaped `<` (write `&lt;`)");
      return at + 1;
    }
    // The internal subset in [...] may hold `>` characters.
    let depth = 0;
    for (let i = at + 9; i < this.source.length; i += 1) {
      const char = this.source[i];
      if (char === "[") depth += 1;
      else if (char === "]") depth -= 1;
      else if (char === ">" && depth <= 0) return i + 1;
    }
    this.problem(at, "doctype-unclosed", "`<!DOCTYPE` is never closed");
    return this.source.length;
  }

  private instruction(at: number): number {
    if (!this.strict) return at;
    this.flushText(at);
    const end = this.source.indexOf("?>", at + 2);
    if (end < 0) {
      this.problem(at, "pi-unclosed", "processing instruction `<?` is never closed (end it with `?>`)");
      return this.source.length;
    }
    if (nameEnd(this.source, at + 2) === at + 2) {
      this.problem(at, "pi-target", "a processing instruction must start with a name (`<?target …?>`)");
    }
    return end + 2;
  }

  private closeTag(at: number): number {
    const { source } = this;
    const end = nameEnd(source, at + 2);
    let after = skipSpace(source, end);
    if (end === at + 2 || source[after] !== ">") {
      if (!this.strict) return at;
      this.flushText(at);
      this.problem(at, "close-malformed", "malformed closing tag (expected `</name>`)");
      const close = source.indexOf(">", at);
      after = close < 0 ? source.length - 1 : close;
      if (end === at + 2) return after + 1;
    }
    const name = source.slice(at + 2, end);
    this.flushText(at);
    if (!this.strict && this.isHtml(name)) return after + 1;
    this.close(name, at);
    return after + 1;
  }

  private close(name: string, at: number): void {
    const index = this.stack.map((open) => open.element.name).lastIndexOf(name);
    if (index < 0) {
      this.problem(at, `stray:${name}`, `\`</${name}>\` has no matching opening tag`);
      return;
    }
    const unclosed = this.stack.splice(index).slice(1);
    for (const open of unclosed.reverse()) {
      const inner = open.element.name;
      this.problem(
        at,
        `mismatch:${inner}:${name}`,
        `\`</${name}>\` closes \`<${name}>\` while \`<${inner}>\` is still open`,
      );
    }
  }

  private startTag(at: number): number {
    const { source } = this;
    const end = nameEnd(source, at + 1);
    if (end === at + 1) {
      if (this.strict) {
        this.flushText(at);
        this.problem(at, "lt", "unescaped `<` (write `&lt;`)");
        return at + 1;
      }
      return at;
    }
    const name = source.slice(at + 1, end);
    const tag = this.attributes(at, name, end);
    if (tag === undefined) return at;
    this.flushText(at);
    if (!this.strict && this.isHtml(name)) return tag.end;
    const element: XmlElement = { name, offset: at, attributes: tag.attributes, text: [] };
    this.elements.push(element);
    if (!tag.selfClosing) this.stack.push({ element });
    return tag.end;
  }

  /**
   * Reads the attributes of a start tag. Prose: undefined unless the tag is complete and valid.
   * Block: reports the first problem and recovers at the next `>`.
   */
  private attributes(
    at: number,
    name: string,
    from: number,
  ): { attributes: XmlAttribute[]; selfClosing: boolean; end: number } | undefined {
    const { source } = this;
    const attributes: XmlAttribute[] = [];
    let i = from;
    const fail = (offset: number, code: string, message: string) => {
      if (!this.strict) return undefined;
      this.flushText(at);
      this.problem(offset, code, message);
      const close = source.indexOf(">", offset);
      const end = close < 0 ? source.length : close + 1;
      return { attributes, selfClosing: close > 0 && source[close - 1] === "/", end };
    };
    for (;;) {
      const spaced = skipSpace(source, i);
      const hadSpace = spaced > i;
      i = spaced;
      if (i >= source.length)
        return fail(at, `tag-unclosed:${name}`, `start tag \`<${name}\` is never closed with \`>\``);
      if (source[i] === ">") return { attributes, selfClosing: false, end: i + 1 };
      if (source.startsWith("/>", i)) return { attributes, selfClosing: true, end: i + 2 };
      const attributeEnd = nameEnd(source, i);
      if (attributeEnd === i) {
        return fail(i, `tag-char:${name}`, `unexpected \`${source[i] ?? ""}\` in tag \`<${name}>\``);
      }
      if (!hadSpace)
        return fail(i, `attr-space:${name}`, `attributes of \`<${name}>\` must be separated by whitespace`);
      const attribute = source.slice(i, attributeEnd);
      i = skipSpace(source, attributeEnd);
      if (source[i] !== "=") {
        return fail(
          i,
          `attr-value:${name}@${attribute}`,
          `attribute \`${attribute}\` of \`<${name}>\` has no value (write ${attribute}="…")`,
        );
      }
      i = skipSpace(source, i + 1);
      const quote = source[i];
      if (quote !== '"' && quote !== "'") {
        return fail(
          i,
          `attr-quote:${name}@${attribute}`,
          `the value of \`${attribute}\` in \`<${name}>\` must be quoted`,
        );
      }
      const close = source.indexOf(quote, i + 1);
      if (close < 0)
        return fail(
          i,
          `attr-unclosed:${name}@${attribute}`,
          `the value of \`${attribute}\` in \`<${name}>\` is never closed`,
        );
      const value = source.slice(i + 1, close);
      if (!this.strict && value.includes("<")) return undefined;
      if (attributes.some((existing) => existing.name === attribute)) {
        return fail(
          i,
          `attr-duplicate:${name}@${attribute}`,
          `attribute \`${attribute}\` appears twice in \`<${name}>\``,
        );
      }
      if (this.strict) {
        const lt = value.indexOf("<");
        if (lt >= 0)
          return fail(i + 1 + lt, `attr-lt:${name}@${attribute}`, "unescaped `<` in an attribute value (write `&lt;`)");
        for (let amp = value.indexOf("&"); amp >= 0; amp = value.indexOf("&", amp + 1)) {
          this.checkReference(i + 1 + amp, "attribute");
        }
      }
      attributes.push({ name: attribute, value, offset: i + 1 });
      i = close + 1;
    }
  }

  private checkReference(at: number, where: "text" | "attribute"): void {
    ENTITY.lastIndex = at;
    const match = ENTITY.exec(this.source);
    if (match === null) {
      this.problem(at, `amp:${where}`, "unescaped `&` (write `&amp;`)");
      return;
    }
    const [, decimal, hex, name] = match;
    if (name !== undefined) {
      if (!PREDEFINED_ENTITIES.has(name)) {
        this.problem(
          at,
          `entity:${name}`,
          `undefined entity \`&${name};\` (XML defines only &lt; &gt; &amp; &apos; &quot;)`,
        );
      }
      return;
    }
    const codePoint = decimal === undefined ? Number.parseInt(hex ?? "", 16) : Number.parseInt(decimal, 10);
    if (!isXmlChar(codePoint)) this.problem(at, "char-ref", `\`${match[0]}\` is not a valid XML character`);
  }

  private flushText(end: number): void {
    if (end > this.textStart) this.addText(this.source.slice(this.textStart, end), this.textStart);
    this.textStart = end;
  }

  private addText(text: string, offset: number): void {
    const open = this.stack[this.stack.length - 1];
    if (open !== undefined && text.trim() !== "") open.element.text.push({ text, offset });
  }

  private problem(offset: number, code: string, message: string): void {
    this.problems.push({ offset, code, message });
  }

  private isHtml(name: string): boolean {
    return this.options.isHtml?.(name) ?? false;
  }
}

const LT = 0x3c;
const AMP = 0x26;
const RSQB = 0x5d;
