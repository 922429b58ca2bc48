import { describe, expect, it } from "vitest";
import { createTokenCounter, normalisedByteLength } from "../../src/validate/tokens.js";
import { brief, validateTree } from "./tree.js";

const words = (count: number) =>
  `# Notes\n\n${Array.from({ length: count }, (_, index) => `word${index}`).join(" ")}\n`;

describe("token-budget", () => {
  it("reports files over the first matching budget, counted with the Claude tokenizer", async () => {
    const { findings } = await validateTree(
      [
        { path: "big/CLAUDE.md", content: words(400) },
        { path: "small/CLAUDE.md", content: words(10) },
        { path: "other.md", content: words(400) },
      ],
      {
        token_budgets: [
          { glob: "big/**", max: 200 },
          { glob: "**/CLAUDE.md", max: 5000 },
        ],
      },
    );
    expect(brief(findings, "token-budget")).toEqual(["token-budget big/CLAUDE.md:1:1"]);
    expect(findings.find((finding) => finding.ruleId === "token-budget")?.message).toMatch(
      /^\d+ tokens \(Claude tokenizer, approximate\) exceed the budget of 200 for `big\/\*\*` by \d+\./,
    );
  });

  it("counts characters / 4 when configured", async () => {
    const content = "x".repeat(4_001);
    const { findings } = await validateTree([{ path: "CLAUDE.md", content }], {
      token_counter: "chars_div_4",
      token_budgets: [{ glob: "*.md", max: 1_000 }],
      markdownlint: false,
    });
    expect(findings.map((finding) => finding.message.split(" exceed")[0])).toEqual(["1001 tokens (characters / 4)"]);
  });

  it("does not tokenise a file whose normalised UTF-8 length is within the budget", async () => {
    const counter = createTokenCounter("anthropic");
    try {
      expect(counter.mayExceed("a".repeat(100), 100)).toBe(false);
      expect(counter.mayExceed("a".repeat(101), 100)).toBe(true);
      // Compatibility characters grow under NFKC: U+FDFA is 3 bytes but normalises to 33 characters.
      expect(normalisedByteLength("\ufdfa")).toBeGreaterThan(3);
      expect(normalisedByteLength("é🚀")).toBe(6);
      expect(await counter.count("hello world")).toBe(2);
    } finally {
      counter.dispose();
    }
  });

  it("never counts more tokens than normalised bytes, so the shortcut is safe", async () => {
    const counter = createTokenCounter("anthropic");
    try {
      for (const text of [
        "plain ascii text",
        "ﬁﬂ ligatures",
        "日本語のテキスト",
        "emoji 🚀🎯🏃‍♂️",
        "\ufdfa",
        "<|endoftext|> special",
      ]) {
        expect(await counter.count(text)).toBeLessThanOrEqual(normalisedByteLength(text));
      }
    } finally {
      counter.dispose();
    }
  });
});
