import { ReportError } from "../errors.js";
import type { ToolResult } from "../findings/finding.js";
import { parseReportJson, wrongTool, type ReportContext } from "./report-json.js";
import { parseSarifDocument } from "./sarif.js";
import { checkTrivyHeader, parseTrivyDocument, trivy, trivyContext, trivyResult } from "./trivy.js";
import {
  CLOSE_NOT_FOUND,
  EntryAlignedDecoder,
  indentedCloser,
  indentedLineStart,
  indentedObjectEnd,
  NOT_INDENTED,
  valueEnd,
  type Capture,
} from "./trivy-cut.js";
import { TrivyCollector } from "./trivy-map.js";
import type { ParseOptions } from "./types.js";

/**
 * Parses a trivy report from a stream of text or bytes without ever holding the whole report. A
 * scanner that only tracks brackets and strings cuts the top-level object into its members and
 * `Results` into its entries; each piece goes through the engine's own JSON.parse (which checks
 * it), is turned into findings and dropped. Peak memory is one entry (as bytes held until it ends,
 * up to 64 MB, then as text) plus the findings; time is close to one JSON.parse of the file, which
 * a token-by-token parser in JavaScript is not.
 *
 * The outcome is the one `trivy.parse(raw)` gives for the same bytes: the same ToolResult, or a
 * ReportError with the same code, checked in the same order (JSON syntax, then which tool, then the
 * header, then each entry). Anything that is not a JSON object is read whole and handed to the
 * document parser, so wrong-tool reports behave exactly as in `parse`; trivy SARIF is an object
 * whose members are read whole.
 */
export async function parseTrivyStream(
  chunks: AsyncIterable<string | Uint8Array>,
  options: ParseOptions = {},
): Promise<ToolResult> {
  const context = trivyContext(options);
  const reader = new TrivyReader(context, options);
  const aligner = new EntryAlignedDecoder();
  let atStart = true;
  let sawContent = false;
  const feed = (piece: string): void => {
    let text = piece;
    if (atStart && text !== "") {
      // Windows tools write a byte-order mark (the decoder keeps it).
      if (text.startsWith("\uFEFF")) text = text.slice(1);
      atStart = false;
    }
    if (!sawContent && /\S/.test(text)) sawContent = true;
    if (text !== "") reader.feed(text);
  };
  for await (const chunk of chunks) {
    if (typeof chunk === "string") {
      feed(aligner.flush());
      feed(chunk);
    } else {
      feed(aligner.push(chunk, reader.entryCloser));
    }
  }
  feed(aligner.flush());
  // The whole-text parser's own check, so that an empty stream fails with the very same error.
  if (!sawContent) parseReportJson("", context);
  return reader.finish();
}

// --- internal ---

/** Where the scanner is in the top-level object. */
type State =
  "start" | "first-key" | "key" | "colon" | "value" | "after-member" | "first-entry" | "entry" | "after-entry" | "done";

class TrivyReader {
  private state: State = "start";
  private key = "";
  /** Non-object documents are read whole: kept here until the end. */
  private whole: string[] | undefined;
  private capture: Capture | undefined;
  private readonly header = new Map<string, unknown>();
  private collector = new TrivyCollector();
  private index = 0;
  /** The first syntax problem; everything after it is ignored. */
  private broken: string | undefined;
  /** The first bad entry; thrown only at the end, after the checks that come before it in parse(). */
  private deferred: ReportError | undefined;
  /** Entries are cut out by their layout (see indentedObjectEnd) until one is not laid out that way. */
  private indentedCut = true;
  private cutPaused = false;
  /** An entry whose closing line is in the next piece: carried over from its line's start, cut then. */
  private carried: string | undefined;
  private carriedOnce = false;
  /** The line that would close an entry (`\n`, its indentation, `}`), from the first entry's layout. */
  entryCloser: Buffer | undefined;

  constructor(
    private readonly context: ReportContext,
    private readonly options: ParseOptions,
  ) {}

  feed(piece: string): void {
    if (this.broken !== undefined) return;
    this.cutPaused = false;
    let text = piece;
    if (this.carried !== undefined) {
      text = this.carried + piece;
      this.carried = undefined;
      this.carriedOnce = true;
    }
    if (this.whole !== undefined) {
      this.whole.push(text);
      return;
    }
    let at = 0;
    while (at < text.length && this.broken === undefined && this.whole === undefined) {
      if (this.capture !== undefined) {
        at = this.scan(text, at);
        continue;
      }
      const code = text.charCodeAt(at);
      if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) {
        at += 1;
        continue;
      }
      at = this.structural(text, at, code);
    }
  }

  finish(): ToolResult {
    // A carried entry with no piece after it: scanned, which finds it truncated.
    if (this.carried !== undefined) this.feed("");
    if (this.broken !== undefined) throw malformed(this.context, this.broken);
    if (this.whole !== undefined) {
      let document: unknown;
      try {
        document = JSON.parse(this.whole.join(""));
      } catch (cause) {
        throw malformed(this.context, "it is not valid JSON", cause);
      }
      return parseTrivyDocument(document, this.options);
    }
    if (this.state !== "done") throw malformed(this.context, "it ends before the JSON document does (truncated?)");
    const document = Object.fromEntries(this.header);
    const format = trivy.detect(document);
    if (format === "trivy-sarif") return parseSarifDocument(document, this.options);
    if (format === undefined) throw wrongTool(document, this.context);
    const header = checkTrivyHeader(document, this.context);
    if (this.deferred !== undefined) throw this.deferred;
    return trivyResult(header, this.collector);
  }

  /** One structural character outside any captured value; returns where to go on. */
  private structural(text: string, at: number, code: number): number {
    const fail = (what: string): number => {
      this.broken = `it is not valid JSON (${what} at ${JSON.stringify(text.slice(at, at + 20))})`;
      return text.length;
    };
    switch (this.state) {
      case "start":
        if (code !== 0x7b) {
          // Not an object: not trivy JSON. Read whole so that the error names what it is.
          this.whole = [text.slice(at)];
          return text.length;
        }
        this.state = "first-key";
        return at + 1;
      case "first-key":
      case "key":
        if (code === 0x7d && this.state === "first-key") {
          this.state = "done";
          return at + 1;
        }
        if (code !== 0x22) return fail("expected a member name");
        this.state = "colon";
        this.begin();
        return at;
      case "colon":
        if (code !== 0x3a) return fail("expected ':'");
        this.state = "value";
        return at + 1;
      case "value":
        // JSON.parse keeps the last of duplicate keys, so a second `Results` replaces the first.
        if (this.key === "Results") this.resetResults();
        if (this.key === "Results" && code === 0x5b) {
          this.header.set("Results", []);
          this.state = "first-entry";
          return at + 1;
        }
        this.state = "after-member";
        this.begin();
        return at;
      case "after-member":
        if (code === 0x2c) this.state = "key";
        else if (code === 0x7d) this.state = "done";
        else return fail("expected ',' or '}'");
        return at + 1;
      case "first-entry":
        if (code === 0x5d) {
          this.state = "after-member";
          return at + 1;
        }
        return this.entry(text, at, code);
      case "entry":
        return this.entry(text, at, code);
      case "after-entry":
        if (code === 0x2c) this.state = "entry";
        else if (code === 0x5d) this.state = "after-member";
        else return fail("expected ',' or ']'");
        return at + 1;
      case "done":
        return fail("unexpected content after the report");
    }
  }

  /** A `Results` entry starts at `at`: cut out whole when it is laid out as trivy writes it, else scanned. */
  private entry(text: string, at: number, code: number): number {
    const before = this.state;
    this.state = "after-entry";
    if (this.entryCloser === undefined && this.indentedCut && code === 0x7b) {
      const closer = indentedCloser(text, at);
      if (closer !== undefined) this.entryCloser = Buffer.from(closer);
    }
    const end = code === 0x7b && this.indentedCut && !this.cutPaused ? indentedObjectEnd(text, at) : NOT_INDENTED;
    if (end === CLOSE_NOT_FOUND && !this.carriedOnce) {
      // The entry goes on in the next piece (about once per piece): cut it out there.
      this.state = before;
      this.carried = text.slice(indentedLineStart(text, at));
      return text.length;
    }
    this.carriedOnce = false;
    // Still no closing line one piece later, or none at all: scan, and do not look again before
    // the next piece, so that no text is searched to its end more than twice.
    if (end === CLOSE_NOT_FOUND) this.cutPaused = true;
    if (end > 0) {
      let value: unknown;
      try {
        value = JSON.parse(text.slice(at, end));
      } catch {
        value = NOT_CUT;
      }
      if (value !== NOT_CUT) {
        this.addResult(value);
        return end;
      }
      // Not laid out as expected after all (valid JSON can be): scan every entry from here on,
      // and let the decoder stop holding bytes for a closing line that means nothing now.
      this.indentedCut = false;
      this.entryCloser = undefined;
    }
    this.begin();
    return at;
  }

  private begin(): void {
    this.capture = { parts: [], depth: 0, kind: undefined, inString: false, escaped: false };
  }

  /** Scans the captured value from `start`; hands it on when it ends. Returns where to go on. */
  private scan(text: string, start: number): number {
    const capture = this.capture;
    if (capture === undefined) return start;
    const end = capture.kind === undefined ? this.startValue(text, start, capture) : valueEnd(text, start, capture);
    if (end < 0) {
      capture.parts.push(start === 0 ? text : text.slice(start));
      return text.length;
    }
    capture.parts.push(text.slice(start, end));
    this.capture = undefined;
    this.complete(capture.parts.length === 1 ? (capture.parts[0] ?? "") : capture.parts.join(""));
    return end;
  }

  private startValue(text: string, at: number, capture: Capture): number {
    const code = text.charCodeAt(at);
    if (code === 0x7b || code === 0x5b) {
      capture.kind = "container";
      capture.depth = 1;
      return valueEnd(text, at + 1, capture);
    }
    if (code === 0x22) {
      capture.kind = "string";
      capture.inString = true;
      return valueEnd(text, at + 1, capture);
    }
    capture.kind = "scalar";
    return valueEnd(text, at, capture);
  }

  private complete(raw: string): void {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      this.broken = `it is not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`;
      return;
    }
    if (this.state === "colon") {
      if (typeof value !== "string") this.broken = "it is not valid JSON (a member name is not a string)";
      else this.key = value;
    } else if (this.state === "after-member") {
      this.header.set(this.key, value);
    } else {
      this.addResult(value);
    }
  }

  private addResult(entry: unknown): void {
    const index = this.index;
    this.index += 1;
    if (this.deferred !== undefined) return;
    try {
      this.collector.add(entry, index, this.context);
    } catch (error) {
      if (!(error instanceof ReportError)) throw error;
      this.deferred = error;
    }
  }

  private resetResults(): void {
    this.collector = new TrivyCollector();
    this.index = 0;
    this.deferred = undefined;
  }
}

/** Stands for "the cut-out text did not parse" (JSON.parse never returns a symbol). */
const NOT_CUT = Symbol("not cut");

function malformed(context: ReportContext, what: string, cause?: unknown): ReportError {
  return new ReportError("REPORT_MALFORMED", `the trivy report is not valid JSON: ${what}`, {
    file: context.file,
    tool: context.tool,
    ...(cause === undefined ? {} : { cause }),
    fix: "the file is truncated or is not a trivy report: re-run trivy with --format json and let it finish writing",
  });
}
