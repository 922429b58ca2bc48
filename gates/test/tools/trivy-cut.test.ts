import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EntryAlignedDecoder, indentedCloser, indentedObjectEnd, TRIVY_READ_BYTES } from "../../src/tools/trivy-cut.js";
import { anyUtf8Bytes } from "./utf8-bytes.js";

const CLOSER = Buffer.from("\n    }");

/**
 * Every piece the decoder gives for `bytes` cut into chunks of `size`, the last from flush(); with
 * `empties`, an empty chunk after each one (a byte source may hand over empty chunks).
 */
function decodeInChunks(
  bytes: Uint8Array,
  size: number,
  closer: Buffer | undefined,
  holdLimit?: number,
  empties = false,
): string[] {
  const decoder = new EntryAlignedDecoder(holdLimit);
  const pieces: string[] = [];
  for (let start = 0; start < bytes.length; start += size) {
    pieces.push(decoder.push(bytes.subarray(start, start + size), closer));
    if (empties) pieces.push(decoder.push(new Uint8Array(0), closer));
  }
  pieces.push(decoder.flush());
  return pieces;
}

const report = (entries: number): string =>
  JSON.stringify(
    {
      SchemaVersion: 2,
      Results: Array.from({ length: entries }, (_, index) => ({ Target: `app${index}/go.mod`, Note: "ünïcødé 🐛" })),
    },
    null,
    2,
  );

describe("EntryAlignedDecoder", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("gives back exactly the decoded text, however the bytes are cut, held or released", () => {
    const text = fc.string({ unit: fc.constantFrom("a", " ", "\n", "}", "é", "🐛", "\u{10FFFF}"), maxLength: 200 });
    fc.assert(
      fc.property(
        text,
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(undefined, CLOSER, Buffer.from("\n}")),
        fc.integer({ min: 0, max: 64 }),
        (value, size, closer, holdLimit) => {
          const bytes = Buffer.from(value);
          expect(decodeInChunks(bytes, size, closer, holdLimit).join("")).toBe(bytes.toString("utf8"));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("gives back exactly the decoded text of any bytes, a character cut between chunks included, empty chunks too", () => {
    // ASCII chunks skip the UTF-8 decoder, unless it holds the start of a character cut before them.
    fc.assert(
      fc.property(
        anyUtf8Bytes,
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(undefined, Buffer.from("\n}"), Buffer.from("}")),
        fc.integer({ min: 0, max: 16 }),
        fc.boolean(),
        (bytes, size, closer, holdLimit, empties) => {
          expect(decodeInChunks(bytes, size, closer, holdLimit, empties).join("")).toBe(bytes.toString("utf8"));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("keeps what it holds when the source reuses its buffer for the next chunk", () => {
    const text = report(12);
    const bytes = Buffer.from(text);
    const decoder = new EntryAlignedDecoder();
    const reused = Buffer.alloc(32);
    const pieces: string[] = [];
    for (let start = 0; start < bytes.length; start += reused.length) {
      const length = bytes.copy(reused, 0, start, start + reused.length);
      pieces.push(decoder.push(reused.subarray(0, length), CLOSER));
      reused.fill(0x78);
    }
    pieces.push(decoder.flush());
    expect(pieces.join("")).toBe(text);
  });

  it("decodes invalid bytes as Buffer#toString does for the whole file", () => {
    const bytes = Buffer.from([0x7b, 0xff, 0x0a, 0x20, 0xe2, 0x82, 0x0a, 0x7d, 0xc3]);
    for (const size of [1, 2, 3, 9]) {
      expect(decodeInChunks(bytes, size, Buffer.from("\n}")).join("")).toBe(bytes.toString("utf8"));
    }
  });

  it("ends every piece after the last entry that closed in its chunk, so no entry is cut in two", () => {
    const text = report(40);
    const pieces = decodeInChunks(Buffer.from(text), 97, CLOSER).filter((piece) => piece !== "");
    expect(pieces.join("")).toBe(text);
    for (const piece of pieces.slice(0, -1)) expect(piece.endsWith("\n    }")).toBe(true);
  });

  it("holds an entry longer than a chunk until it closes", () => {
    const text = report(12);
    // Entries of about 80 bytes in chunks of 16: each spans several chunks.
    const pieces = decodeInChunks(Buffer.from(text), 16, CLOSER).filter((piece) => piece !== "");
    expect(pieces.join("")).toBe(text);
    expect(pieces.length).toBeGreaterThan(3);
    for (const piece of pieces.slice(0, -1)) {
      expect(piece.match(/\n {4}\{/g)?.length ?? 0).toBe(piece.match(/\n {4}\}/g)?.length ?? 0);
    }
  });

  it("makes no Latin-1 string long enough for node to make it external, whatever the size of the piece", () => {
    // From EXTERN_APEX bytes (src/string_bytes.cc) node gives Latin-1 text as an external string,
    // whose memory lives outside V8's heap until a collection: 20-30 MB more at the peak of the
    // benchmark shapes.
    const EXTERN_APEX = 0xfbee9;
    const toString = vi.spyOn(Buffer.prototype, "toString");
    for (const size of [TRIVY_READ_BYTES, EXTERN_APEX, 3 * TRIVY_READ_BYTES + 17]) {
      // Letters that change at every byte: parts joined out of order would not read the same.
      const bytes = Buffer.alloc(size);
      for (let at = 0; at < size; at += 1) bytes[at] = 0x61 + (at % 23);
      bytes.write("\n    }", size - 6);
      toString.mockClear();
      expect(new EntryAlignedDecoder().push(bytes, CLOSER)).toBe(bytes.toString("utf8"));
      const latin1 = toString.mock.calls.filter(([encoding]) => encoding === "latin1");
      expect(latin1.length).toBeGreaterThan(0);
      for (const call of latin1) {
        const [, start = 0, end = size] = call as [string, number?, number?];
        expect(Math.min(end, size) - start).toBeLessThan(EXTERN_APEX);
      }
    }
  });

  it("holds no more than its limit: past it, what it holds is decoded as it comes", () => {
    const text = report(1);
    const pieces = decodeInChunks(Buffer.from(text), 8, CLOSER, 16);
    expect(pieces.join("")).toBe(text);
    expect(pieces.filter((piece) => piece !== "").length).toBeGreaterThan(text.length / 24);
  });
});

describe("indentedCloser", () => {
  it("is the closing line of an object whose `{` starts an indented line, and none otherwise", () => {
    const text = '[\n    {\n      "a": {}\n    }\n]';
    const at = text.indexOf("{");
    expect(indentedCloser(text, at)).toBe("\n    }");
    expect(indentedObjectEnd(text, at)).toBe(text.lastIndexOf("}") + 1);
    expect(indentedCloser('[{"a": 1}]', 1)).toBeUndefined();
    expect(indentedCloser("  {", 2)).toBeUndefined();
  });
});
