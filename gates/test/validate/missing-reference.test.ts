import { describe, expect, it } from "vitest";
import { brief, fixtureTree, validateTree } from "./tree.js";

describe("missing-reference", () => {
  it("reports XML text and attribute paths that resolve under no root; skips placeholders, URLs, globs and code", async () => {
    const { findings } = await validateTree(fixtureTree("missing-reference"));
    expect(brief(findings, "missing-reference")).toEqual([
      "missing-reference .claude/commands/task.md:8:5",
      "missing-reference .claude/commands/task.md:11:23",
      "missing-reference .claude/commands/task.md:27:23",
    ]);
    const first = findings.find((finding) => finding.ruleId === "missing-reference");
    expect(first?.message).toContain(
      "reference `patterns/missing.md` resolves to no file (looked for `.claude/commands/patterns/missing.md`, `patterns/missing.md`, `.claude/patterns/missing.md` and 2 more)",
    );
  });

  it("follows references.roots in order, `/x/*` expanding to the subfolders of x", async () => {
    const files = [
      { path: "docs/a.md", content: "# A\n\n```xml\n<depends_on>rules.md</depends_on>\n```\n" },
      { path: "kb/rules.md", content: "# Rules\n" },
    ];
    expect(brief((await validateTree(files)).findings, "missing-reference")).toEqual([
      "missing-reference docs/a.md:4:13",
    ]);
    expect(
      brief((await validateTree(files, { references: { roots: [".", "/kb"] } })).findings, "missing-reference"),
    ).toEqual([]);
    expect(
      brief(
        (await validateTree([...files, { path: "x/kb/y.md", content: "# Y\n" }], { references: { roots: ["/*"] } }))
          .findings,
        "missing-reference",
      ),
    ).toEqual([]);
  });

  it("takes the configured extensions", async () => {
    const files = [{ path: "a.md", content: "# A\n\n```xml\n<config>settings.json</config>\n```\n" }];
    expect(brief((await validateTree(files)).findings, "missing-reference")).toEqual([]);
    expect(
      brief(
        (await validateTree(files, { references: { extensions: [".md", ".json"] } })).findings,
        "missing-reference",
      ),
    ).toEqual(["missing-reference a.md:4:9"]);
  });
});
