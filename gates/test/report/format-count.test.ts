import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatCount } from "../../src/report/format-count.js";

describe("formatCount", () => {
  it("writes a count as en-US does, digits grouped by three", () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(9_999), fc.nat(), fc.maxSafeNat()), (value) => {
        expect(formatCount(value)).toBe(value.toLocaleString("en-US"));
      }),
      { numRuns: 2_000 },
    );
  });

  it("groups at every third digit", () => {
    expect([0, 999, 1_000, 12_345, 999_999, 1_000_000].map(formatCount)).toEqual([
      "0",
      "999",
      "1,000",
      "12,345",
      "999,999",
      "1,000,000",
    ]);
  });
});
