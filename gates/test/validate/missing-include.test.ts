import { describe, expect, it } from "vitest";
import { brief, fixtureTree, validateTree } from "./tree.js";

describe("missing-include", () => {
  it("reports @imports in prose that resolve to no file, not handles, decorators, e-mail or code", async () => {
    const { findings } = await validateTree(fixtureTree("missing-include"));
    expect(brief(findings, "missing-include")).toEqual([
      "missing-include CLAUDE.md:3:35",
      "missing-include CLAUDE.md:3:55",
    ]);
    expect(findings.find((finding) => finding.ruleId === "missing-include")?.message).toContain(
      "include `@docs/absent.md` does not exist",
    );
  });

  it("resolves from the importing file's folder", async () => {
    const { findings } = await validateTree([
      { path: "docs/CLAUDE.md", content: "# Docs\n\nSee @guide.md and @../README.md and @README.md.\n" },
      { path: "docs/guide.md", content: "# Guide\n" },
      { path: "README.md", content: "# Readme\n" },
    ]);
    expect(brief(findings, "missing-include")).toEqual(["missing-include docs/CLAUDE.md:3:37"]);
  });

  it("reports an import of a folder", async () => {
    const { findings } = await validateTree([
      { path: "CLAUDE.md", content: "# Memory\n\n@docs/v1.2\n" },
      { path: "docs/v1.2/a.md", content: "# A\n" },
    ]);
    expect(findings.find((finding) => finding.ruleId === "missing-include")?.message).toContain(
      "is a folder, not a file",
    );
  });
});
