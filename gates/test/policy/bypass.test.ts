import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PortcullisError, UsageError } from "../../src/errors.js";
import { parseBypassFlags, resolveBypasses, type BypassRequest } from "../../src/policy/bypass.js";
import { parsePolicy } from "../../src/policy/parse-policy.js";
import { GATE_NAMES } from "../../src/policy/schema.js";

const NOW = new Date("2026-03-10T12:00:00Z");
const strict = parsePolicy("name: staging\ngates:\n  documentation: {mode: advisory}\n", "staging.yml");
const lenient = parsePolicy("name: development\nbypass: {allow_mandatory: true}\n", "development.yml");

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError && error.code === "BYPASS_REFUSED") return error.describe();
    throw error;
  }
  throw new Error("expected BYPASS_REFUSED");
}

describe("parseBypassFlags", () => {
  it.each([
    [{}, []],
    [{ bypass: ["sast"], reason: "r", approver: "a" }, [{ gate: "sast", reason: "r", approver: "a" }]],
    [
      { bypass: ["sast", "documentation"], reason: "r", approver: "a" },
      [
        { gate: "sast", reason: "r", approver: "a" },
        { gate: "documentation", reason: "r", approver: "a" },
      ],
    ],
    [
      { bypass: ["sast, performance"], reason: "r", approver: "a" },
      [
        { gate: "sast", reason: "r", approver: "a" },
        { gate: "performance", reason: "r", approver: "a" },
      ],
    ],
    [{ bypass: ["sast"] }, [{ gate: "sast", reason: undefined, approver: undefined }]],
  ])("%j", (flags, expected) => {
    expect(parseBypassFlags(flags)).toEqual(expected);
  });

  it.each([
    [
      { reason: "r" },
      `"[BYPASS_REFUSED] --reason given without --bypass — fix: name the gate to override with --bypass <gate>, or drop the flag"`,
    ],
    [
      { approver: "a" },
      `"[BYPASS_REFUSED] --approver given without --bypass — fix: name the gate to override with --bypass <gate>, or drop the flag"`,
    ],
    [
      { bypass: ["sast,"] },
      `"[BYPASS_REFUSED] --bypass needs a gate name — fix: use one of: framework_integrity, documentation, secrets, vulnerabilities, sast, performance, compliance"`,
    ],
  ])("refuses %j", (flags, expected) => {
    expect(JSON.stringify(refusal(() => parseBypassFlags(flags)))).toBe(expected);
  });
});

describe("resolveBypasses", () => {
  it("records an advisory gate's bypass with its reason, approver and time", () => {
    expect(
      resolveBypasses([{ gate: "documentation", reason: " typo sweep next sprint ", approver: "ann" }], strict, NOW),
    ).toEqual([
      { gate: "documentation", reason: "typo sweep next sprint", approver: "ann", at: "2026-03-10T12:00:00.000Z" },
    ]);
  });

  it("allows a mandatory gate only where the environment allows it", () => {
    const request = [{ gate: "secrets", reason: "rotated already", approver: "ann" }];
    expect(resolveBypasses(request, lenient, NOW)).toHaveLength(1);
    expect(refusal(() => resolveBypasses(request, strict, NOW))).toMatchInlineSnapshot(
      `"[BYPASS_REFUSED] bypass.allow_mandatory: secrets is mandatory in staging, and staging does not allow bypassing mandatory gates — fix: fix the findings, or waive accepted ones in .portcullis/waivers.yml (reason, approver, expiry)"`,
    );
  });

  it.each([
    [
      { gate: "secret", reason: "r", approver: "a" },
      `[BYPASS_REFUSED] --bypass "secret": unknown gate — did you mean "secrets"? — fix: use one of: framework_integrity, documentation, secrets, vulnerabilities, sast, performance, compliance`,
    ],
    [
      { gate: "lint", reason: "r", approver: "a" },
      `[BYPASS_REFUSED] --bypass "lint": unknown gate — fix: use one of: framework_integrity, documentation, secrets, vulnerabilities, sast, performance, compliance`,
    ],
    [
      { gate: "documentation", approver: "a" },
      `[BYPASS_REFUSED] --bypass documentation needs a reason — fix: add --reason "<why this gate is overridden>"; it is recorded in the report`,
    ],
    [
      { gate: "documentation", reason: "  ", approver: "a" },
      `[BYPASS_REFUSED] --bypass documentation needs a reason — fix: add --reason "<why this gate is overridden>"; it is recorded in the report`,
    ],
    [
      { gate: "documentation", reason: "r" },
      `[BYPASS_REFUSED] --bypass documentation needs an approver — fix: add --approver "<who approved the override>"; it is recorded in the report`,
    ],
  ])("refuses %j", (request, expected) => {
    expect(refusal(() => resolveBypasses([request], lenient, NOW))).toBe(expected);
  });

  it("refuses a gate named twice", () => {
    const twice = [
      { gate: "sast", reason: "r", approver: "a" },
      { gate: "sast", reason: "r2", approver: "b" },
    ];
    expect(refusal(() => resolveBypasses(twice, lenient, NOW))).toBe(
      "[BYPASS_REFUSED] --bypass sast given twice — fix: name each gate once",
    );
  });

  it("never returns a bypass without reason and approver, nor one of a mandatory gate the environment protects", () => {
    const request = fc.record({
      gate: fc.oneof(fc.constantFrom(...GATE_NAMES), fc.string()),
      reason: fc.option(fc.string(), { nil: undefined }),
      approver: fc.option(fc.string(), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(request, { maxLength: 4 }), fc.boolean(), (requests: BypassRequest[], allow) => {
        const policy = allow ? lenient : strict;
        try {
          for (const bypass of resolveBypasses(requests, policy, NOW)) {
            expect(bypass.reason.trim()).not.toBe("");
            expect(bypass.approver.trim()).not.toBe("");
            if (!allow) expect(policy.gates[bypass.gate].mode).toBe("advisory");
          }
        } catch (error) {
          expect(error instanceof PortcullisError && error.code === "BYPASS_REFUSED").toBe(true);
        }
      }),
      { seed: 17, numRuns: 300 },
    );
  });
});
