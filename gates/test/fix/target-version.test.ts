import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { npmVersions } from "../../src/fix/npm.js";
import { chooseTarget, fixes } from "../../src/fix/target-version.js";

describe("chooseTarget (npm versions)", () => {
  it.each([
    { installed: "6.0.0", fixed: [["7.0.5", "6.0.6"]], want: { kind: "upgrade", version: "6.0.6", sameLine: true } },
    { installed: "7.0.3", fixed: [["7.0.5", "6.0.6"]], want: { kind: "upgrade", version: "7.0.5", sameLine: true } },
    { installed: "5.1.0", fixed: [["7.0.5", "6.0.6"]], want: { kind: "upgrade", version: "6.0.6", sameLine: false } },
    {
      installed: "14.1.0",
      fixed: [["13.5.9", "14.2.25", "15.2.3", "12.3.5"]],
      want: { kind: "upgrade", version: "14.2.25", sameLine: true },
    },
    // Two advisories on one package: the lowest version that fixes both.
    { installed: "1.0.0", fixed: [["1.0.1"], ["1.2.0"]], want: { kind: "upgrade", version: "1.2.0", sameLine: true } },
    // Below 1.0.0 a new minor is a new line, as a caret range reads it.
    { installed: "0.3.0", fixed: [["0.4.1"]], want: { kind: "upgrade", version: "0.4.1", sameLine: false } },
    { installed: "0.3.0", fixed: [["0.3.5"]], want: { kind: "upgrade", version: "0.3.5", sameLine: true } },
    { installed: "1.0.0", fixed: [[]], want: { kind: "no-fix" } },
    { installed: "2.0.0", fixed: [["1.0.1"]], want: { kind: "no-common-fix", fixed: ["1.0.1"] } },
  ])("$installed fixed in $fixed -> $want.kind $want.version", ({ installed, fixed, want }) => {
    expect(chooseTarget(installed, fixed, npmVersions)).toEqual(want);
  });

  it("the chosen version fixes every advisory, is above the installed one, and no lower listed version would do", () => {
    const version = fc.tuple(fc.nat(4), fc.nat(4), fc.nat(9)).map(([a, b, c]) => `${a}.${b}.${c}`);
    fc.assert(
      fc.property(
        version,
        fc.array(fc.array(version, { maxLength: 3 }), { minLength: 1, maxLength: 3 }),
        (installed, fixed) => {
          const choice = chooseTarget(installed, fixed, npmVersions);
          if (choice.kind !== "upgrade") return;
          expect(npmVersions.compare(choice.version, installed)).toBeGreaterThan(0);
          expect(fixed.every((advisory) => fixes(choice.version, advisory, npmVersions))).toBe(true);
          const lower = fixed
            .flat()
            .filter((v) => npmVersions.compare(v, installed) > 0 && npmVersions.compare(v, choice.version) < 0);
          expect(lower.some((v) => fixed.every((advisory) => fixes(v, advisory, npmVersions)))).toBe(false);
        },
      ),
      { seed: 17, numRuns: 300 },
    );
  });
});
