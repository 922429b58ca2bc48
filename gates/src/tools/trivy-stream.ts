import Assembler from "stream-json/assembler.js";
import { jsonParser, type Token } from "stream-json/parser.js";
import { z } from "zod";
import { ReportError } from "../errors.js";
import type { ToolResult } from "../findings/finding.js";
import { parseReportJson, wrongTool, type ReportContext } from "./sarif-report-json.js";
import { parseSarifDocument } from "./sarif.js";
import { checkTrivyHeader, parseTrivyDocument, trivy, trivyContext, trivyResult } from "./trivy.js";
import { TrivyCollector } from "./trivy-map.js";
import { TrivyResult } from "./trivy-schema.js";
import type { ParseOptions } from "./types.js";

/**
 * Parses a trivy report from a stream of text or bytes without ever holding the whole report: the
 * top-level members are assembled as usual, but `Results` is read one entry at a time, each entry
 * turned into findings and dropped. Members of an entry that no finding uses (descriptions, CVSS
 * vectors, layers…) are skipped without being built. Peak memory is one entry plus the findings.
 *
 * The outcome is the one `trivy.parse(raw)` gives for the same bytes: the same ToolResult, or a
 * ReportError with the same code, checked in the same order (JSON syntax, then which tool, then the
 * header, then each entry). Anything that is not trivy JSON is assembled whole and handed to the
 * document parser, so trivy SARIF and wrong-tool reports behave exactly as in `parse`.
 */
export async function parseTrivyStream(
  chunks: AsyncIterable<string | Uint8Array>,
  options: ParseOptions = {},
): Promise<ToolResult> {
  const context = trivyContext(options);
  const reader = new TrivyTokenReader(context, options);
  // Packed tokens only: whole keys, strings and numbers, which is what the assembler reads.
  const tokenize = jsonParser({ streamValues: false });
  // The BOM is kept by the decoder and dropped below, once, as the whole-text parser does.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let atStart = true;
  let sawContent = false;
  /** A syntax error; reported only after the emptiness check, which the whole-text parser does first. */
  let broken: unknown;
  const feed = (piece: string): void => {
    let text = piece;
    if (atStart && text !== "") {
      // Windows tools write a byte-order mark.
      if (text.startsWith("\uFEFF")) text = text.slice(1);
      atStart = false;
    }
    if (!sawContent && /\S/.test(text)) sawContent = true;
    // Whatever size the caller reads in, tokens are made a slice at a time: all the tokens of one
    // call are alive together, and a megabyte's worth outgrows the young generation.
    for (let start = 0; start < text.length && broken === undefined; start += TOKENIZE_SLICE) {
      let tokens;
      try {
        tokens = tokenize(text.slice(start, start + TOKENIZE_SLICE));
      } catch (cause) {
        broken = cause;
        return;
      }
      if (typeof tokens !== "symbol") for (const token of tokens.values) reader.consume(token);
    }
  };
  for await (const chunk of chunks) {
    if (typeof chunk === "string") {
      feed(decoder.decode());
      feed(chunk);
    } else {
      feed(decoder.decode(chunk, { stream: true }));
    }
  }
  // A trailing blank ends a pending top-level number or literal, as flushing the tokenizer would.
  feed(`${decoder.decode()} `);
  // The whole-text parser's own check, so that an empty stream fails with the very same error.
  if (!sawContent) parseReportJson("", context);
  if (broken !== undefined) throw malformed(context, "it is not valid JSON", broken);
  if (!reader.complete) throw malformed(context, "it ends before the JSON document does (truncated?)");
  return reader.finish();
}

// --- internal ---

/** Characters tokenized per call (see feed). */
const TOKENIZE_SLICE = 1 << 16;

/** Which members of an object are read: a key set per nested object; undefined keeps the whole value. */
type KeyTree = ReadonlyMap<string, KeyTree | undefined>;

/** The members the entry schema reads, taken from the schema itself so that the two cannot drift. */
const RESULT_KEYS = keyTree(TrivyResult);

type ReaderState = "start" | "member-key" | "member-value" | "member" | "results" | "result" | "whole" | "done";

/** Routes tokens: header members and non-trivy documents are assembled, Results entries streamed. */
class TrivyTokenReader {
  /** True once a whole top-level JSON value has been read. */
  complete = false;
  private state: ReaderState = "start";
  private key = "";
  private assembler = new PrunedAssembler(undefined);
  /** Set when the top-level value is not an object (boxed: the value itself may be null). */
  private whole: { value: unknown } | undefined;
  private readonly header = new Map<string, unknown>();
  private collector = new TrivyCollector();
  private index = 0;
  /** The first bad entry; thrown only at the end, after the checks that come before it in parse(). */
  private deferred: ReportError | undefined;

  constructor(
    private readonly context: ReportContext,
    private readonly options: ParseOptions,
  ) {}

  consume(token: Token): void {
    switch (this.state) {
      case "start":
        // Not an object: not trivy JSON. Assembled whole so that the error names what it is.
        if (token.name === "startObject") this.state = "member-key";
        else this.startAssembly("whole", token);
        return;
      case "member-key":
        if (token.name === "keyValue") {
          this.key = token.value;
          this.state = "member-value";
        } else if (token.name === "endObject") {
          this.state = "done";
          this.complete = true;
        }
        return;
      case "member-value":
        if (this.key === "Results") this.resetResults();
        if (this.key === "Results" && token.name === "startArray") {
          this.header.set("Results", []);
          this.state = "results";
        } else {
          this.startAssembly("member", token);
        }
        return;
      case "results":
        if (token.name === "endArray") this.state = "member-key";
        else this.startAssembly("result", token);
        return;
      case "whole":
      case "member":
      case "result":
        this.feed(token);
        return;
      case "done":
        return;
    }
  }

  finish(): ToolResult {
    if (this.whole !== undefined) return parseTrivyDocument(this.whole.value, this.options);
    const document = Object.fromEntries(this.header);
    const format = trivy.detect(document);
    if (format === "trivy-sarif") return parseSarifDocument(document, this.options);
    if (format === undefined) throw wrongTool(document, this.context);
    const header = checkTrivyHeader(document, this.context);
    if (this.deferred !== undefined) throw this.deferred;
    return trivyResult(header, this.collector);
  }

  private startAssembly(state: "whole" | "member" | "result", token: Token): void {
    this.state = state;
    this.assembler = new PrunedAssembler(state === "result" ? RESULT_KEYS : undefined);
    this.feed(token);
  }

  private feed(token: Token): void {
    this.assembler.consume(token);
    if (!this.assembler.done) return;
    const value = this.assembler.current;
    if (this.state === "whole") {
      this.whole = { value };
      this.state = "done";
      this.complete = true;
    } else if (this.state === "member") {
      this.header.set(this.key, value);
      this.state = "member-key";
    } else {
      this.addResult(value);
      this.state = "results";
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

  /** JSON.parse keeps the last of duplicate keys, so a second `Results` replaces the first. */
  private resetResults(): void {
    this.collector = new TrivyCollector();
    this.index = 0;
    this.deferred = undefined;
  }
}

/**
 * stream-json's Assembler, minus the members no one reads. Skipping only members the schema does
 * not name changes nothing the schema sees, so validation and findings are those of the full value.
 * Every kept string is copied: the tokenizer hands out slices of its input buffers, and one kept
 * slice would keep its whole buffer (and so, across many findings, most of the report) alive.
 */
class PrunedAssembler {
  private readonly assembler = new Assembler();
  /** Key tree of each open container; an array passes its tree on to its elements. */
  private readonly open: { array: boolean; keys: KeyTree | undefined }[] = [];
  /** Key tree for the value that starts with the next token. */
  private next: KeyTree | undefined;
  /** Container depth inside a skipped value, or -1 when the next value is to be skipped. */
  private skipping = 0;

  constructor(root: KeyTree | undefined) {
    this.next = root;
  }

  get done(): boolean {
    return this.assembler.done;
  }

  get current(): unknown {
    return this.assembler.current;
  }

  consume(token: Token): void {
    if (this.skipping !== 0) {
      this.skip(token);
      return;
    }
    switch (token.name) {
      case "keyValue": {
        const keys = this.open.at(-1)?.keys;
        if (keys !== undefined && !keys.has(token.value)) {
          this.skipping = -1;
          return;
        }
        this.next = keys?.get(token.value);
        this.assembler.keyValue(token.value);
        return;
      }
      case "startObject":
      case "startArray": {
        const parent = this.open.at(-1);
        this.open.push({ array: token.name === "startArray", keys: parent?.array === true ? parent.keys : this.next });
        this.next = undefined;
        this.assembler.consume(token);
        return;
      }
      case "endObject":
      case "endArray":
        this.open.pop();
        this.assembler.consume(token);
        return;
      case "stringValue":
        this.assembler.stringValue(token.value === "" ? "" : ` ${token.value}`.slice(1));
        return;
      default:
        this.assembler.consume(token);
    }
  }

  private skip(token: Token): void {
    const opens = token.name === "startObject" || token.name === "startArray";
    const closes = token.name === "endObject" || token.name === "endArray";
    if (this.skipping === -1) this.skipping = opens ? 1 : 0;
    else if (opens) this.skipping += 1;
    else if (closes) this.skipping -= 1;
  }
}

/** The key tree of a zod schema: objects by their shape, lists and optionals by what they hold. */
function keyTree(schema: z.core.$ZodType): KeyTree | undefined {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return keyTree(schema.unwrap());
  if (schema instanceof z.ZodArray) return keyTree(schema.element);
  if (schema instanceof z.ZodObject) {
    return new Map(Object.entries<z.core.$ZodType>(schema.shape).map(([key, value]) => [key, keyTree(value)]));
  }
  return undefined;
}

function malformed(context: ReportContext, what: string, cause?: unknown): ReportError {
  return new ReportError("REPORT_MALFORMED", `the trivy report is not valid JSON: ${what}`, {
    file: context.file,
    tool: context.tool,
    ...(cause === undefined ? {} : { cause }),
    fix: "the file is truncated or is not a trivy report: re-run trivy with --format json and let it finish writing",
  });
}
