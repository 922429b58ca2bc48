import { describe, expect, it } from "vitest";
import { brief, fixtureTree, validateTree } from "./tree.js";

describe("unclosed-fence", () => {
  it("reports fences that never close, at the opening fence, including in list items", async () => {
    const { findings } = await validateTree(fixtureTree("unclosed-fence"));
    expect(brief(findings, "unclosed-fence")).toEqual(["unclosed-fence list.md:4:4", "unclosed-fence unclosed.md:5:1"]);
    expect(findings.find((finding) => finding.ruleId === "unclosed-fence")).toMatchObject({ severity: "high" });
  });

  it("hides what an unclosed fence swallows from the other checks", async () => {
    const { findings } = await validateTree([
      { path: "a.md", content: "# A\n\n```\n[gone](missing.md)\n@missing.md\n" },
    ]);
    expect(brief(findings).filter((line) => !line.startsWith("markdownlint"))).toEqual(["unclosed-fence a.md:3:1"]);
  });
});
