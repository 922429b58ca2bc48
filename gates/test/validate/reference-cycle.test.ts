import { describe, expect, it } from "vitest";
import { brief, fixtureTree, validateTree } from "./tree.js";

describe("reference-cycle", () => {
  it("reports each strongly connected component once, with one concrete cycle", async () => {
    const { findings } = await validateTree(fixtureTree("reference-cycle"));
    const cycles = findings.filter((finding) => finding.ruleId === "reference-cycle");
    expect(brief(cycles)).toEqual([
      "reference-cycle .claude/modules/a.md:5:15",
      "reference-cycle .claude/modules/d.md:4:22",
      "reference-cycle .claude/modules/f.md:4:13",
    ]);
    expect(cycles.map((finding) => finding.message.split(". Fix")[0])).toEqual([
      "dependency cycle: .claude/modules/a.md → .claude/modules/b.md → .claude/modules/c.md → .claude/modules/a.md",
      "dependency cycle: .claude/modules/d.md → .claude/modules/e.md → .claude/modules/d.md",
      "dependency cycle: .claude/modules/f.md → .claude/modules/f.md",
    ]);
  });

  it("follows only the configured dependency tags", async () => {
    const { findings } = await validateTree(fixtureTree("reference-cycle"), {
      references: { dependency_tags: ["depends_on"] },
    });
    expect(brief(findings, "reference-cycle")).toEqual(["reference-cycle .claude/modules/f.md:4:13"]);
  });

  it("names the size of a component larger than the cycle shown", async () => {
    const module = (name: string, targets: string[]) => ({
      path: `${name}.md`,
      content: `# ${name}\n\n\`\`\`xml\n${targets.map((target) => `<depends_on>${target}.md</depends_on>`).join("\n")}\n\`\`\`\n`,
    });
    const { findings } = await validateTree([module("a", ["b"]), module("b", ["a", "c"]), module("c", ["a"])]);
    expect(
      findings
        .filter((finding) => finding.ruleId === "reference-cycle")
        .map((finding) => finding.message.split(". Fix")[0]),
    ).toEqual(["dependency cycle: a.md → b.md → a.md (3 files depend on each other in all)"]);
  });
});
