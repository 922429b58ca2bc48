import { describe, expect, it } from "vitest";
import { brief, fixtureTree, validateTree } from "./tree.js";

describe("frontmatter-invalid and frontmatter-missing-key", () => {
  it("reports YAML that does not parse or is not a mapping, at its line", async () => {
    const { findings } = await validateTree(fixtureTree("frontmatter"));
    expect(brief(findings, "frontmatter-invalid")).toEqual([
      "frontmatter-invalid .claude/agents/broken.md:4:1",
      "frontmatter-invalid docs/duplicate.md:3:1",
      "frontmatter-invalid docs/scalar.md:2:1",
    ]);
    expect(
      findings.find(
        (finding) => finding.location?.path === "docs/duplicate.md" && finding.ruleId === "frontmatter-invalid",
      )?.message,
    ).toContain("duplicated mapping key");
  });

  it("reports keys required for matching files, by default name and description of agents", async () => {
    const { findings } = await validateTree(fixtureTree("frontmatter"));
    const missing = findings.filter((finding) => finding.ruleId === "frontmatter-missing-key");
    expect(missing.map((finding) => `${finding.location?.path ?? ""} ${finding.message.split(" ")[3] ?? ""}`)).toEqual([
      ".claude/agents/no-description.md `description`",
      ".claude/agents/no-front-matter.md `description`",
      ".claude/agents/no-front-matter.md `name`",
    ]);
  });

  it("takes a required key with no value for a missing one", async () => {
    const agent = (description: string) => `---\nname: b\ndescription:${description}\n---\n\n# B\n`;
    const files = [
      { path: ".claude/agents/null.md", content: agent("") },
      { path: ".claude/agents/blank.md", content: agent(' "  "') },
      { path: ".claude/agents/list.md", content: agent(" []") },
      { path: ".claude/agents/fine.md", content: agent(" Reviews pull requests") },
    ];
    const { findings } = await validateTree(files);
    const missing = findings.filter((finding) => finding.ruleId === "frontmatter-missing-key");
    expect(missing.map((finding) => finding.location?.path).sort()).toEqual([
      ".claude/agents/blank.md",
      ".claude/agents/list.md",
      ".claude/agents/null.md",
    ]);
    for (const finding of missing) expect(finding.message).toContain("`description` is required for files matching");
    expect(missing[0]?.message).toContain("and it is empty");
  });

  it("says when front matter opened by `---` never closes, and only that a file without one has none", async () => {
    const files = [
      { path: ".claude/agents/unclosed.md", content: "---\nname: b\ndescription: Reviews pull requests\n\n# B\n" },
      { path: ".claude/agents/none.md", content: "# B\n\nNo front matter at all.\n" },
    ];
    const { findings } = await validateTree(files);
    const message = (file: string) =>
      findings.find((finding) => finding.ruleId === "frontmatter-missing-key" && finding.location?.path === file)
        ?.message;
    expect(message(".claude/agents/unclosed.md")).toContain(
      "and the front matter opened by `---` on line 1 is never closed by another `---` line.",
    );
    expect(message(".claude/agents/none.md")).toContain("and the file has no front matter.");
  });

  it("applies every matching entry of the configured list", async () => {
    const files = [{ path: "docs/a.md", content: "---\ntitle: A\n---\n\n# A\n" }];
    const { findings } = await validateTree(files, {
      frontmatter: [
        { glob: "docs/**", required: ["title", "owner"] },
        { glob: "**/*.md", required: ["owner", "status"] },
      ],
    });
    expect(
      findings.filter((finding) => finding.ruleId === "frontmatter-missing-key").map((finding) => finding.fingerprint),
    ).toHaveLength(2);
    expect(
      findings.map((finding) => finding.message).filter((message) => message.startsWith("front matter key")),
    ).toEqual([
      expect.stringContaining("`owner` is required for files matching `docs/**`"),
      expect.stringContaining("`status` is required for files matching `**/*.md`"),
    ]);
  });
});
