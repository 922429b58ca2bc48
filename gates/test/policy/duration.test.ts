import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { parseDuration } from "../../src/policy/duration.js";
import { Duration } from "../../src/policy/schema.js";

describe("parseDuration", () => {
  it.each([
    ["200ms", 200],
    ["0ms", 0],
    ["1.5s", 1500],
    ["1.1s", 1100],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["0.25ms", 0.25],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "200", "ms", "2 s", "-1s", "1d", "1.s", ".5s", "1m30s", "200MS", `${"9".repeat(400)}ms`])(
    "rejects %j as the schema does",
    (text) => {
      expect(() => parseDuration(text)).toThrow(ConfigError);
      expect(Duration.safeParse(text).success).toBe(false);
    },
  );

  it("agrees with the schema and scales by unit", () => {
    const unit = fc.constantFrom(["ms", 1], ["s", 1000], ["m", 60_000], ["h", 3_600_000]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), unit, (value, [suffix, factor]) => {
        const text = `${value}${suffix}`;
        expect(Duration.safeParse(text).success).toBe(true);
        expect(parseDuration(text)).toBe(value * Number(factor));
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
