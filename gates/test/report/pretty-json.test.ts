import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { prettyJsonPieces } from "../../src/report/pretty-json.js";

/** Keys and strings that look like the text the pieces are cut at, beside anything else. */
const tricky = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.constantFrom('"findings": "', "\n  ]\n}", '{\n  "findings": [\n', "\u0000portcullis:items\u0000", "—", "😀"),
);
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    tricky,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(tricky, tie("value"), { maxKeys: 4 }),
  ),
})).value;

describe("prettyJsonPieces", () => {
  it("writes, in pieces, exactly what JSON.stringify(document, null, 2) writes", () => {
    fc.assert(
      fc.property(
        fc.dictionary(tricky, json, { maxKeys: 5 }),
        tricky,
        fc.array(json, { maxLength: 12 }),
        fc.integer({ min: 1, max: 5 }),
        (rest, key, items, batch) => {
          // The array's key anywhere among the others, as an object literal would place it.
          const document = { ...rest, [key]: items };
          const pieces = [...prettyJsonPieces(document, key, batch)];
          expect(pieces.join("")).toBe(JSON.stringify(document, null, 2));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("refuses what it cannot write as one stringify would: no array under the key, or no whole batch", () => {
    for (const [document, batch] of [
      [{ a: 1 }, 2],
      [{ findings: "text" }, 2],
      [{ findings: [1] }, 0],
      [{ findings: [1] }, Number.NaN],
    ] as const) {
      expect(() => [...prettyJsonPieces(document, "findings", batch)]).toThrow(/prettyJsonPieces needs/);
    }
  });

  it("holds no more than a batch of items in one piece", () => {
    const findings = Array.from({ length: 10 }, (_, index) => ({ index, title: "—".repeat(index) }));
    const pieces = [...prettyJsonPieces({ schema: "x", findings, toolErrors: [] }, "findings", 3)];
    // The envelope's head, four batches (3 + 3 + 3 + 1), then the close and the envelope's tail.
    expect(pieces).toHaveLength(6);
    expect(pieces.slice(1, 5).map((piece) => piece.match(/"index"/g)?.length)).toEqual([3, 3, 3, 1]);
  });
});
