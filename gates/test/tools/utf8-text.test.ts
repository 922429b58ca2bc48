import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8Text } from "../../src/tools/utf8-text.js";
import { anyUtf8Bytes } from "./utf8-bytes.js";

describe("utf8Text", () => {
  it("is the text Buffer#toString gives, for any bytes", () => {
    fc.assert(
      fc.property(anyUtf8Bytes, (bytes) => {
        expect(utf8Text(bytes)).toBe(bytes.toString("utf8"));
      }),
      { numRuns: 2_000 },
    );
  });

  it("reads ASCII and multi-byte text alike", () => {
    for (const text of ["", '{"Results": []}\n', "ünïcødé 🐛", "\u0000\u007f"])
      expect(utf8Text(Buffer.from(text))).toBe(text);
  });
});
