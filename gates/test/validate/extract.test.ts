import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extractMarkdown } from "../../src/validate/extract.js";
import { createMarkdownLinter } from "../../src/validate/parse.js";

const lint = createMarkdownLinter(false);
const extract = (content: string) => {
  const [file] = lint([{ path: "a.md", content }], extractMarkdown);
  if (file === undefined) throw new Error("no result for a.md");
  return file.analysis;
};

/** CommonMark fences at the top level, modelled independently: opening and closing runs of ` or ~. */
function modelFences(lines: readonly string[]): { opened: number; unclosed: boolean } {
  let open: { char: string; length: number } | undefined;
  let opened = 0;
  for (const line of lines) {
    const match = /^(`{3,}|~{3,})(.*)$/.exec(line);
    if (match === null) continue;
    const run = match[1] ?? "";
    const info = match[2] ?? "";
    if (open === undefined) {
      if (run.startsWith("`") && info.includes("`")) continue;
      open = { char: run.charAt(0), length: run.length };
      opened += 1;
    } else if (run.charAt(0) === open.char && run.length >= open.length && info.trim() === "") {
      open = undefined;
    }
  }
  return { opened, unclosed: open !== undefined };
}

describe("Markdown extraction", () => {
  it("finds every fence and whether it closes, as an independent model of CommonMark does", () => {
    const line = fc.constantFrom(
      "```",
      "````",
      "~~~",
      "```xml",
      "~~~ js",
      "``` a`b",
      "text",
      "",
      "# Heading",
      "- item",
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), (lines) => {
        const facts = extract(`${lines.join("\n")}\n`);
        const model = modelFences(lines);
        expect(facts.fences).toHaveLength(model.opened);
        expect(facts.fences.some((fence) => !fence.closed)).toBe(model.unclosed);
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it("never throws on arbitrary text, and keeps the prose mask the size of the file", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (content) => {
        const facts = extract(content);
        expect(facts.prose.split("\n").length).toBe(content.split(/\r\n|\r|\n/).length);
      }),
      { seed: 5, numRuns: 300 },
    );
  });

  it("blanks code and comments out of the prose, keeping columns", () => {
    const facts = extract("# T\n\nA `@x.md` B <!-- <c> --> D\n\n```\ncode\n```\n\n    indented\n");
    const masked = `A ${" ".repeat("`@x.md`".length)} B ${" ".repeat("<!-- <c> -->".length)} D`;
    expect(facts.prose.split("\n")).toEqual(["# T", "", masked, "", "", "", "", "", "", ""]);
  });

  it("reads heading text as GitHub renders it", () => {
    const facts = extract("# A *b* `c` [d](e.md) ![f](g.png) &amp; \\# <span>h</span>\n\nSetext\n===\n");
    expect(facts.headings).toEqual(["A b c d  & # h", "Setext"]);
  });
});
