import { isAscii } from "node:buffer";
import { StringDecoder } from "node:string_decoder";

/**
 * Finding where a JSON value ends in text read piece by piece, for the streaming trivy parser
 * (trivy-stream.ts): by trivy's indentation when it can, else by tracking brackets and strings.
 */

/** A value being cut out of the text: its pieces so far and where the scan stands in it. */
export interface Capture {
  parts: string[];
  /** 0 before the first character; brackets open in a container. */
  depth: number;
  kind: "container" | "string" | "scalar" | undefined;
  inString: boolean;
  /** The previous character was a backslash inside a string. */
  escaped: boolean;
}

/**
 * Where the value being captured ends in `text` (the index after its last character), or -1 when
 * it goes on past the end of `text`; the capture's state carries over to the next text. Strings
 * are skipped with indexOf, so the loop only visits characters between strings.
 */
export function valueEnd(text: string, from: number, capture: Capture): number {
  const length = text.length;
  if (capture.kind === "scalar") {
    for (let at = from; at < length; at += 1) if (SCALAR_END.has(text.charCodeAt(at))) return at;
    return -1;
  }
  let at = from;
  let backslash = -2;
  while (at < length) {
    if (capture.inString) {
      if (capture.escaped) {
        capture.escaped = false;
        at += 1;
        continue;
      }
      const quote = text.indexOf('"', at);
      if (backslash !== -1 && backslash < at) backslash = text.indexOf("\\", at);
      if (backslash !== -1 && (quote === -1 || backslash < quote)) {
        capture.escaped = true;
        at = backslash + 1;
        continue;
      }
      if (quote === -1) return -1;
      capture.inString = false;
      at = quote + 1;
      if (capture.kind === "string") return at;
      continue;
    }
    const code = text.charCodeAt(at);
    at += 1;
    if (code === 0x22) capture.inString = true;
    else if (code === 0x7b || code === 0x5b) capture.depth += 1;
    else if ((code === 0x7d || code === 0x5d) && --capture.depth === 0) return at;
  }
  return -1;
}

/** What indentedObjectEnd answers when it cannot tell. */
export const NOT_INDENTED = -1;
export const CLOSE_NOT_FOUND = -2;

/**
 * Where the object opening at `at` ends, judged by its layout alone: trivy indents its JSON, so an
 * object whose `{` starts a line indented by N spaces closes at the next line holding N spaces and
 * `}`. Found with indexOf, that is far cheaper than scanning every character. The caller must
 * JSON.parse the cut: JSON text cannot hold a raw line break inside a string, and an object cut at
 * any other `}` does not parse (too few closing brackets, or content after the last), so a cut
 * that parses is exactly the object. NOT_INDENTED or CLOSE_NOT_FOUND otherwise.
 */
export function indentedObjectEnd(text: string, at: number): number {
  const closer = indentedCloser(text, at);
  if (closer === undefined) return NOT_INDENTED;
  const close = text.indexOf(closer, at);
  return close < 0 ? CLOSE_NOT_FOUND : close + closer.length;
}

/** The line that closes the object opening at `at` (`\n`, its indentation, `}`), when `{` starts an indented line. */
export function indentedCloser(text: string, at: number): string | undefined {
  const start = indentedLineStart(text, at) + 1;
  if (start === 0 || text.charCodeAt(start - 1) !== 0x0a) return undefined;
  return `\n${" ".repeat(at - start)}}`;
}

/** Where the line break before the spaces in front of `at` is (-1 when the spaces start the text). */
export function indentedLineStart(text: string, at: number): number {
  let start = at;
  while (start > 0 && text.charCodeAt(start - 1) === 0x20) start -= 1;
  return start - 1;
}

/** What ends a number or literal: JSON whitespace, `,`, `}` and `]`. */
const SCALAR_END: ReadonlySet<number> = new Set([0x20, 0x0a, 0x0d, 0x09, 0x2c, 0x7d, 0x5d]);

/**
 * Decodes bytes into text pieces that end where a `Results` entry ends (the bytes after the last
 * closing line are held for the next piece), so that the reader rarely has an entry cut in two.
 * Any cut reads the same; this only saves work. Decoded as Buffer#toString decodes a whole file.
 */
export class EntryAlignedDecoder {
  private readonly decoder = new StringDecoder("utf8");
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** The decoder may hold the first bytes of a character cut at the end of what it last read. */
  private decoderPending = false;

  /** `holdLimit`: most bytes held waiting for an entry's end (HOLD_LIMIT; smaller in tests). */
  constructor(private readonly holdLimit = HOLD_LIMIT) {}

  /** The text of the bytes so far, up to the last `closer` in `chunk` when one is given and found. */
  push(chunk: Uint8Array, closer: Buffer | undefined): string {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (closer === undefined) return this.release(bytes);
    // Only the new bytes are searched: a closer cut between two chunks is missed, which costs
    // nothing but the alignment of this one piece.
    const at = bytes.lastIndexOf(closer);
    if (at < 0) {
      if (this.heldBytes + bytes.length > this.holdLimit) return this.release(bytes);
      this.hold(bytes);
      return "";
    }
    const cut = at + closer.length;
    const text = this.release(bytes.subarray(0, cut));
    if (cut < bytes.length) this.hold(bytes.subarray(cut));
    return text;
  }

  /** The text of every byte left. */
  flush(): string {
    return this.release(Buffer.alloc(0)) + this.decoder.end();
  }

  /** Copied: the source may reuse the memory of a chunk it has handed over. */
  private hold(bytes: Buffer): void {
    this.held.push(Buffer.from(bytes));
    this.heldBytes += bytes.length;
  }

  /** The text of the bytes held and then `last`, copied together once. */
  private release(last: Buffer): string {
    const bytes = this.held.length === 0 ? last : Buffer.concat([...this.held, last]);
    this.held = [];
    this.heldBytes = 0;
    return this.decode(bytes);
  }

  /**
   * ASCII is copied as Latin-1 (the same text, at about half the cost: utf8-text.ts) unless the
   * decoder holds part of a character, which only bytes of 0x80 and above can leave it holding.
   */
  private decode(bytes: Buffer): string {
    // An empty piece says nothing of what the decoder holds: it must not clear decoderPending.
    if (bytes.length === 0) return "";
    if (!this.decoderPending && isAscii(bytes)) return heapLatin1(bytes);
    this.decoderPending = (bytes[bytes.length - 1] ?? 0) >= 0x80;
    return this.decoder.write(bytes);
  }
}

/**
 * Latin-1 bytes as text in V8's heap. From 1,031,913 bytes (EXTERN_APEX in node's
 * src/string_bytes.cc) node makes an external string, whose memory lives outside the heap until a
 * collection frees it: 20–30 MB more at the peak of the 100 MB benchmark shapes. A longer piece is
 * read in parts below that size, which V8 joins (one more copy) when the reader first searches it.
 */
function heapLatin1(bytes: Buffer): string {
  if (bytes.length <= LATIN1_PART_BYTES) return bytes.toString("latin1");
  let text = "";
  for (let at = 0; at < bytes.length; at += LATIN1_PART_BYTES) {
    text += bytes.toString("latin1", at, at + LATIN1_PART_BYTES);
  }
  return text;
}

/** The most bytes node gives as one string in V8's heap, rounded down. */
const LATIN1_PART_BYTES = 960 << 10;

/**
 * How many bytes a trivy report is read at a time: no more than one heap part, so that most pieces
 * (a read, plus what was held of the entry before it) decode in one or two parts. Reads of 1 MiB
 * and more were no faster.
 */
export const TRIVY_READ_BYTES = LATIN1_PART_BYTES;

/**
 * Most bytes held waiting for an entry's end: an entry bigger than this (one image target with
 * tens of thousands of vulnerabilities) is read in pieces, and the reader carries it over.
 */
const HOLD_LIMIT = 64 << 20;
