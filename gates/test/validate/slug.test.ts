import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Slugger, githubSlug } from "../../src/validate/slug.js";

describe("GitHub heading slugs", () => {
  it.each([
    ["Install & Run", "install--run"],
    ["Hello World!", "hello-world"],
    ["Über uns", "über-uns"],
    ["snake_case and kebab-case", "snake_case-and-kebab-case"],
    ["C++ (and C#)", "c-and-c"],
    ["🎯 Foundation Level (0-1 hours)", "-foundation-level-0-1-hours"],
    ["What's new in v2.0?", "whats-new-in-v20"],
    ["日本語 見出し", "日本語-見出し"],
    ["  spaced  ", "--spaced--"],
    ["a\u00a0b", "ab"],
  ])("%j becomes %j", (text, slug) => {
    expect(githubSlug(text)).toBe(slug);
  });

  it("numbers duplicates -1, -2… without colliding with existing headings", () => {
    const slugger = new Slugger();
    expect(["Step", "Step", "Step-1", "Step", "step"].map((text) => slugger.slug(text))).toEqual([
      "step",
      "step-1",
      "step-1-1",
      "step-2",
      "step-3",
    ]);
  });

  it("never throws, and gives unique anchors for any headings", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme-composite" }), { maxLength: 30 }), (headings) => {
        const slugger = new Slugger();
        const slugs = headings.map((heading) => slugger.slug(heading));
        expect(new Set(slugs).size).toBe(slugs.length);
        for (const slug of slugs) expect(slug).not.toMatch(/[A-Z\s]/);
      }),
      { seed: 20250719, numRuns: 300 },
    );
  });
});
