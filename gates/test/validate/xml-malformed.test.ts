import { describe, expect, it } from "vitest";
import { brief, fixtureTree, validateTree } from "./tree.js";

describe("xml-malformed", () => {
  it("reports the first problem of each ```xml block at its line and column, and ignores other fences", async () => {
    const { findings } = await validateTree(fixtureTree("xml-malformed"));
    const xml = findings.filter((finding) => finding.ruleId === "xml-malformed");
    expect(brief(xml)).toEqual([
      "xml-malformed blocks.md:5:10",
      "xml-malformed blocks.md:10:17",
      "xml-malformed blocks.md:14:17",
      "xml-malformed blocks.md:18:7",
      "xml-malformed blocks.md:22:13",
      "xml-malformed blocks.md:26:1",
    ]);
    expect(
      xml.map((finding) => finding.message.replace(/^```xml block is not well-formed: /, "").split(". Fix")[0]),
    ).toEqual([
      "`</a>` closes `<a>` while `<b>` is still open",
      "unescaped `<` (write `&lt;`)",
      "unescaped `&` (write `&amp;`)",
      "undefined entity `&nbsp;` (XML defines only &lt; &gt; &amp; &apos; &quot;)",
      "the value of `order` in `<step>` must be quoted",
      "`<open>` is never closed",
    ]);
  });

  it("checks prose tags only with xml.prose, skipping HTML elements and code", async () => {
    const tree = fixtureTree("xml-malformed");
    expect(
      brief((await validateTree(tree)).findings, "xml-malformed").filter((line) => line.includes("prose.md")),
    ).toEqual([]);
    const { findings } = await validateTree(tree, { xml: { prose: true } });
    expect(brief(findings, "xml-malformed").filter((line) => line.includes("prose.md"))).toEqual([
      "xml-malformed prose.md:7:1",
      "xml-malformed prose.md:9:9",
    ]);
  });

  it("maps positions inside fences nested in lists", async () => {
    const { findings } = await validateTree([
      { path: "a.md", content: "# A\n\n- item\n\n  ```xml\n  <a>\n\n    <b>\n  </a>\n  ```\n" },
    ]);
    expect(brief(findings, "xml-malformed")).toEqual(["xml-malformed a.md:9:3"]);
  });
});
