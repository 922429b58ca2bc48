import { describe, expect, it } from "vitest";
import { brief, fixtureTree, validateTree } from "./tree.js";

describe("markdownlint", () => {
  it("reports markdownlint's rules without line length, as advisory findings with a help link", async () => {
    const { findings } = await validateTree(fixtureTree("markdownlint"));
    expect(brief(findings)).toEqual(["markdownlint/MD001 lint.md:3:1"]);
    expect(findings[0]).toMatchObject({
      severity: "low",
      kind: "validation",
      title: "MD001/heading-increment: Heading levels should only increment by one level at a time",
    });
    expect(findings[0]?.helpUri).toContain("md001.md");
  });

  it("merges the configured rules over the defaults, or runs none with false", async () => {
    const tree = fixtureTree("markdownlint");
    expect(brief((await validateTree(tree, { markdownlint: { MD013: true } })).findings)).toEqual([
      "markdownlint/MD001 lint.md:3:1",
      "markdownlint/MD013 lint.md:5:81",
    ]);
    expect(brief((await validateTree(tree, { markdownlint: false })).findings)).toEqual([]);
  });

  it("keeps validating a file whose inline configuration switches every rule off", async () => {
    const content =
      '<!-- markdownlint-configure-file { "default": false, "portcullis-parse": false } -->\n# A\n\n[x](missing.md)\n';
    const { findings } = await validateTree([{ path: "a.md", content }]);
    expect(brief(findings)).toEqual(["broken-link a.md:4:5"]);
  });

  it("keeps each file's findings apart when one markdownlint run lints several files", async () => {
    const off = '<!-- markdownlint-configure-file { "default": false, "portcullis-parse": false } -->\n';
    const { findings } = await validateTree([
      { path: "a.md", content: "# A\n\n### Skipped level\n\n[x](gone-a.md)\n" },
      { path: "b.md", content: `${off}# B\n\n### Skipped level\n\n[x](gone-b.md)\n` },
      { path: "c.md", content: "---\nname: c\n---\n# C\n\n[x](gone-c.md)\n\n```xml\n<a>\n```\n" },
    ]);
    expect(brief(findings)).toEqual([
      "markdownlint/MD001 a.md:3:1",
      "broken-link a.md:5:5",
      "broken-link b.md:6:5",
      "broken-link c.md:6:5",
      "xml-malformed c.md:9:1",
    ]);
  });
});
