import { describe, expect, it } from "vitest";
import { checkOperand, fill, type ArgvToken } from "../src/argv.js";

const template: readonly ArgvToken[] = [
  "tool",
  "scan",
  { each: "rules", argv: ["--config", "{{item}}"] },
  { when: "fast", argv: ["--fast"] },
  { when: "mirror", argv: ["--mirror", "{{mirror}}"] },
  { when: "range", argv: ["--log-opts", "{{base}}..{{head}}"] },
  "--out",
  "/out/report.json",
];

describe("fill", () => {
  it.each([
    [{ rules: ["a.yml"] }, ["tool", "scan", "--config", "a.yml", "--out", "/out/report.json"]],
    [
      { rules: ["a.yml", "p/default"], fast: true },
      ["tool", "scan", "--config", "a.yml", "--config", "p/default", "--fast", "--out", "/out/report.json"],
    ],
    [
      { rules: [], fast: false, mirror: "ghcr.io/m/db:2" },
      ["tool", "scan", "--mirror", "ghcr.io/m/db:2", "--out", "/out/report.json"],
    ],
    [
      { rules: [], base: "abc123", head: "def456" },
      ["tool", "scan", "--log-opts", "abc123..def456", "--out", "/out/report.json"],
    ],
    // A valued group needs every one of its values: half a range is no range.
    [{ rules: [], base: "abc123" }, ["tool", "scan", "--out", "/out/report.json"]],
  ])("%j", (values, expected) => {
    expect(fill(template, values)).toEqual(expected);
  });

  it("refuses a list group without a list", () => {
    expect(() => fill(template, {})).toThrowErrorMatchingInlineSnapshot(
      `[Error: argv template: "rules" needs a list of values]`,
    );
  });

  it("refuses a placeholder outside a group without its value", () => {
    expect(() => fill(["tool", "{{target}}"], {})).toThrowErrorMatchingInlineSnapshot(
      `[Error: argv template: no value for {{target}}]`,
    );
  });

  it.each(["", "-rf", "--config=auto", "a b", "a\tb", "line\nbreak", "bell\u0007"])(
    "refuses the operand %j",
    (value) => {
      expect(() => fill(template, { rules: [value] })).toThrow(/cannot be passed to a tool/);
      expect(() => fill(template, { rules: [], mirror: value })).toThrow(/cannot be passed to a tool/);
    },
  );
});

describe("checkOperand", () => {
  it("returns plain operands unchanged", () => {
    expect(checkOperand("config", "./-odd-name.yml")).toBe("./-odd-name.yml");
    expect(checkOperand("base", "origin/main~2")).toBe("origin/main~2");
  });

  it("explains what is wrong and the fix", () => {
    expect(() => checkOperand("env", "--help")).toThrowErrorMatchingInlineSnapshot(
      `[Error: env "--help" cannot be passed to a tool: it is empty, starts with "-" or holds whitespace. Give a plain path, reference or name (prefix a path starting with a dash with ./)]`,
    );
  });
});
