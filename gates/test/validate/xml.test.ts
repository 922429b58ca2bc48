import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isHtmlElement } from "../../src/validate/html-elements.js";
import { scanXml } from "../../src/validate/xml.js";

const block = (source: string) => scanXml(source, { mode: "block" });
const prose = (source: string) => scanXml(source, { mode: "prose", isHtml: isHtmlElement });

describe("XML scanner, block mode", () => {
  it.each([
    ["<a/>"],
    ["<a x=\"1\" y='2'>t</a>"],
    ["<a>1 &lt; 2 &amp; &#60; &#x3C; &quot;&apos;&gt;</a>"],
    ["<?xml version='1.0'?><!-- c --><a><![CDATA[<b> & ]]></a>"],
    ["<!DOCTYPE a [<!ENTITY x 'y'>]><a/>"],
    ["<a/><b/>text at the top level"],
    ["<ns:a xmlns:ns='u'><ns:b/></ns:a>"],
    ["<a attr = 'spaced'>></a>"],
  ])("accepts %j", (source) => {
    expect(block(source).problems).toEqual([]);
  });

  it.each([
    ["<a><b></a></b>", "mismatch:b:a", 6],
    ["</a>", "stray:a", 0],
    ["<a>", "unclosed:a", 0],
    ["a < b", "lt", 2],
    ["<a>x & y</a>", "amp:text", 5],
    ["<a>&nbsp;</a>", "entity:nbsp", 3],
    ["<a>&#0;</a>", "char-ref", 3],
    ["<a x=1/>", "attr-quote:a@x", 5],
    ['<a x="1" x="2"/>', "attr-duplicate:a@x", 11],
    ['<a x="1"y="2"/>', "attr-space:a", 8],
    ['<a x="<"/>', "attr-lt:a@x", 6],
    ["<a x/>", "attr-value:a@x", 4],
    ["<a", "tag-unclosed:a", 0],
    ['<a">', "tag-char:a", 2],
    ["<!-- a -- b -->", "comment-dashes", 0],
    ["<!-- a", "comment-unclosed", 0],
    ["<![CDATA[ x", "cdata-unclosed", 0],
    ["<? x ?>", "pi-target", 0],
    ["a ]]> b", "cdata-end", 2],
    ["</ a>", "close-malformed", 0],
  ])("reports %j as %s at offset %i", (source, code, offset) => {
    expect(block(source).problems[0]).toMatchObject({ code, offset });
  });

  it("collects each element's own text and attribute values with offsets, after problems too", () => {
    const scan = block('<a x="p.md">one <b>two</b> three &oops; <c y="q.md"/></a>');
    expect(scan.elements.map((element) => element.name)).toEqual(["a", "b", "c"]);
    expect(scan.elements[0]?.text.map((piece) => piece.text)).toEqual(["one ", " three &oops; "]);
    expect(scan.elements[0]?.attributes).toEqual([{ name: "x", value: "p.md", offset: 6 }]);
    expect(scan.elements[2]?.attributes[0]).toMatchObject({ value: "q.md", offset: 46 });
  });
});

describe("XML scanner, prose mode", () => {
  it("takes only complete XML-like tags, skipping HTML and stray angle brackets", () => {
    const scan = prose(
      'Use <br> and <img src="x"> and <DIV>. 1 < 2, <https://x.y>, a <b>bold</b> <module name="m">text</module>',
    );
    expect(scan.elements.map((element) => element.name)).toEqual(["module"]);
    expect(scan.problems).toEqual([]);
  });

  it("reports unbalanced XML-like tags", () => {
    expect(prose("<step>x</y> <c> <b>bold is HTML</b>").problems.map((problem) => problem.code)).toEqual([
      "stray:y",
      "unclosed:c",
      "unclosed:step",
    ]);
  });
});

describe("XML scanner properties", () => {
  const xmlish = fc.stringMatching(/^[<>&;/="'!?[\]a-z \n-]{0,80}$/);
  it("never throws, and every problem lies inside the input", () => {
    fc.assert(
      fc.property(fc.oneof(xmlish, fc.string()), (source) => {
        for (const scan of [block(source), prose(source)]) {
          for (const problem of scan.problems) {
            expect(problem.offset).toBeGreaterThanOrEqual(0);
            expect(problem.offset).toBeLessThanOrEqual(source.length);
          }
        }
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it("accepts any tree of elements it can serialise", () => {
    type Tree = { name: string; value: string; text: string; children: Tree[] };
    const name = fc.stringMatching(/^[a-z_][a-z0-9_.-]{0,8}$/);
    const text = fc
      .string()
      .map((value) => value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/]]>/g, "]]&gt;"));
    const treeOf = (depth: number): fc.Arbitrary<Tree> =>
      fc.record({
        name,
        value: text.map((value) => value.replace(/"/g, "&quot;")),
        text,
        children: depth === 0 ? fc.constant([]) : fc.array(treeOf(depth - 1), { maxLength: 3 }),
      });
    const tree = treeOf(3);
    const serialise = (node: Tree): string =>
      `<${node.name} v="${node.value}">${node.text}${node.children.map(serialise).join("")}</${node.name}>`;
    fc.assert(
      fc.property(tree, (root) => {
        expect(block(serialise(root)).problems).toEqual([]);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
