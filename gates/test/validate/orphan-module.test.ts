import { describe, expect, it } from "vitest";
import { brief, fixtureTree, validateTree } from "./tree.js";

describe("orphan-module", () => {
  it("reports modules no other file links, includes or references (advisory)", async () => {
    const { findings } = await validateTree(fixtureTree("orphan-module"));
    expect(brief(findings, "orphan-module")).toEqual(["orphan-module .claude/modules/orphan.md:1:1"]);
    expect(findings.find((finding) => finding.ruleId === "orphan-module")).toMatchObject({ severity: "low" });
  });

  it("takes the configured module globs, `!` excluding", async () => {
    const { findings } = await validateTree(fixtureTree("orphan-module"), {
      modules: [".claude/modules/**", "!**/orphan.md"],
    });
    expect(brief(findings, "orphan-module")).toEqual(["orphan-module .claude/modules/README.md:1:1"]);
  });
});
