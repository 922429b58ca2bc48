import { describe, expect, it } from "vitest";
import { brief, fixtureTree, validateTree } from "./tree.js";

describe("broken-link", () => {
  it("reports missing files, images, definitions and anchors, and nothing else", async () => {
    const { findings } = await validateTree(fixtureTree("broken-link"));
    expect(brief(findings, "broken-link")).toEqual([
      "broken-link README.md:13:18",
      "broken-link README.md:14:20",
      "broken-link README.md:26:13",
      "broken-link README.md:28:11",
      "broken-link README.md:41:14",
    ]);
    const messages = findings.filter((finding) => finding.ruleId === "broken-link").map((finding) => finding.message);
    expect(messages[0]).toContain("link target `docs/nope.md` does not exist");
    expect(messages[1]).toContain("anchor `#no-such-heading` matches no heading in `docs/guide.md`");
    expect(messages[2]).toContain("looked for `docs/guide_missing.md`");
    expect(messages[3]).toContain("`img/logo.png`");
    expect(messages[4]).toContain("`docs/missing-ref.md`");
  });

  it("is high severity, of kind validation, from portcullis-validate, with a fix", async () => {
    const { findings } = await validateTree(fixtureTree("broken-link"));
    const finding = findings.find((candidate) => candidate.ruleId === "broken-link");
    expect(finding).toMatchObject({
      severity: "high",
      kind: "validation",
      tool: "portcullis-validate",
      title: "Broken link",
    });
    expect(finding?.message).toMatch(/Fix: /);
  });

  it("checks anchors into files with the GitHub slug of headings, duplicates numbered", async () => {
    const { findings } = await validateTree([
      { path: "a.md", content: "# A\n\n## Step\n\n## Step\n\n[one](b.md#step-2) [two](b.md#step-1)\n" },
      { path: "b.md", content: "# B\n\n## Step\n\n## Step\n" },
    ]);
    expect(brief(findings, "broken-link")).toEqual(["broken-link a.md:7:7"]);
  });

  it("takes HTML anchors from the page GitHub renders: not from comments, nor from another attribute's value", async () => {
    const target = [
      "# B",
      "",
      '<div>\n<!-- <a name="ghost"></a> -->\n<a name="real"></a>\n</div>',
      "",
      '<img alt="see id=fake" src="x.png" id="pic">',
      "",
      "<p data-x=\"1\" ID='upper'>text</p>",
      "",
    ].join("\n");
    const { findings } = await validateTree([
      { path: "a.md", content: "# A\n\n[1](b.md#ghost) [2](b.md#fake) [3](b.md#real) [4](b.md#pic) [5](b.md#upper)\n" },
      { path: "b.md", content: target },
    ]);
    expect(brief(findings, "broken-link")).toEqual(["broken-link a.md:3:5", "broken-link a.md:3:21"]);
  });

  it("does not judge targets under folders that were not listed", async () => {
    const { validateFiles } = await import("../../src/validate/validate.js");
    const { defaultValidateConfig } = await import("../../src/validate/config.js");
    const result = await validateFiles(
      {
        files: [{ path: "README.md", content: "# R\n\n[dep](node_modules/x/README.md) [gone](lib/x.md)\n" }],
        unlisted: ["node_modules"],
      },
      defaultValidateConfig(),
      { workers: 0 },
    );
    expect(brief(result.findings, "broken-link")).toEqual(["broken-link README.md:3:40"]);
  });
});
