import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { SEVERITIES, type Finding } from "../../src/findings/finding.js";
import { Report, type ReportKind } from "../../src/model/report.js";
import { renderAnnotations } from "../../src/report/annotations.js";
import { renderHtml } from "../../src/report/html.js";
import { renderJson } from "../../src/report/json.js";
import { renderJunit } from "../../src/report/junit.js";
import { MARKDOWN_LIMITS, renderMarkdown } from "../../src/report/markdown.js";
import { renderSarif } from "../../src/report/sarif.js";
import { renderText } from "../../src/report/text.js";
import { sarif } from "../../src/tools/index.js";
import { cleanRuns, finding, input, ok } from "../evaluate/helpers.js";

/**
 * Whatever text the tools put in their findings, every output stays what its reader expects:
 * report.json matches its schema and keeps every finding, the SARIF adapter reads report.sarif
 * back, junit.xml is XML to a real parser (Python's expat), each annotation is one line, and the
 * terminal and summary.md carry no control characters of the tools'.
 */

const NASTY = [
  "\u001b[31mred\u001b[0m",
  "\u001b]8;;https://example.com\u0007link",
  "line\r\nbreak",
  "::error::injected",
  "%0A%25",
  "]]><![CDATA[",
  "<b>&amp;</b>",
  '"quoted\' & <tag attr="x">',
  "</script><script>alert(1)</script>",
  "\ud800lone",
  "lone\udfff",
  "\u2028\u2029",
  "\u0000\u0008\u000b\u000c\u007f\u0085",
  "\ufffe\uffff",
  "𝄞 emoji 🐛",
  "| table | cell |",
  "`code` *em* [link](x)",
  "javascript:alert(1)",
  "https://example.com/a?b=1&c=<2>",
  // What GitHub's renderer links with no Markdown link syntax at all (after a space, as it wants).
  " www.evil.example/login",
  " WWW.Evil.example",
  " user@evil.example",
  "<https://evil.example>",
  "![i](https://evil.example/x.png)",
];

const text = fc
  .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: "binary", maxLength: 12 })), { maxLength: 4 })
  .map((parts) => parts.join(""));
const nonEmpty = text.map((value) => (value === "" ? "x" : value));

const KINDS = ["validate", "gitleaks", "trivy", "semgrep"] as const satisfies readonly ReportKind[];

const arbFinding = fc
  .record({
    kind: fc.constantFrom(...KINDS),
    severity: fc.constantFrom(...SEVERITIES),
    ruleId: nonEmpty,
    title: text,
    message: text,
    path: nonEmpty,
    line: fc.option(fc.nat({ max: 100_000 }), { nil: undefined }),
    snippet: fc.option(text, { nil: undefined }),
    reference: fc.option(text, { nil: undefined }),
    packageName: fc.option(text, { nil: undefined }),
    helpUri: fc.option(text, { nil: undefined }),
  })
  .map((drawn): [ReportKind, Finding] => [
    drawn.kind,
    finding(drawn.kind, {
      severity: drawn.severity,
      ruleId: drawn.ruleId,
      title: drawn.title,
      message: drawn.message,
      location: { path: drawn.path, ...(drawn.line === undefined ? {} : { startLine: drawn.line }) },
      ...(drawn.snippet === undefined ? {} : { snippet: drawn.snippet }),
      references: drawn.reference === undefined ? [] : [drawn.reference],
      ...(drawn.helpUri === undefined ? {} : { helpUri: drawn.helpUri }),
      ...(drawn.packageName === undefined
        ? {}
        : { package: { name: drawn.packageName, installed: "1.0.0", fixed: ["1.0.1"] } }),
    }),
  ]);

/** junit.xml outputs to hand to the XML parser at the end, in one process. */
const junits: string[] = [];
/** summary.md outputs to hand to GitHub's Markdown renderer at the end, in one process. */
const summaries: string[] = [];
const scratch = mkdtempSync(path.join(tmpdir(), "portcullis-renderers-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("every output of any judged report", () => {
  it("stays whole, whatever text the findings and tool warnings hold", () => {
    fc.assert(
      fc.property(fc.array(arbFinding, { maxLength: 12 }), fc.array(text, { maxLength: 2 }), (drawn, warnings) => {
        const runs = cleanRuns().map((run) => {
          const kind = run.run.kind;
          const findings = drawn.filter(([owner]) => owner === kind).map(([, each]) => each);
          const toolErrors =
            kind === "semgrep" ? warnings.map((message) => ({ level: "warning" as const, message })) : [];
          return ok(kind, findings, { toolErrors });
        });
        const { report } = evaluate(input({ runs }));

        const json: unknown = JSON.parse(renderJson(report));
        expect(Report.safeParse(json).success).toBe(true);
        expect((json as Report).findings).toEqual(report.findings);

        expect(sarif.parse(renderSarif(report)).findings).toHaveLength(report.findings.length);

        const annotations = renderAnnotations(report);
        expect(annotations).not.toMatch(/\r/);
        for (const line of annotations.split("\n").slice(0, -1)) expectAnnotation(line);

        // Tab and line feed are the renderers' own; no other control character of a tool's may pass.
        // eslint-disable-next-line no-control-regex -- matching control characters is the point
        const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;
        expect(renderText(report, { color: false })).not.toMatch(controls);
        const summary = renderMarkdown(report);
        expect(summary).not.toMatch(controls);
        expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(MARKDOWN_LIMITS.bytes);
        expectTables(summary);
        summaries.push(summary);

        const html = renderHtml(report);
        expect(html).not.toContain("<script>alert(1)");
        expect(html).not.toMatch(/href="(?!https?:\/\/)/);
        junits.push(renderJunit(report));
      }),
      { numRuns: 150 },
    );
    const files = junits.map((xml, index) => {
      const file = path.join(scratch, `junit-${index}.xml`);
      writeFileSync(file, xml);
      return file;
    });
    const parsed = spawnSync("python3", ["-c", READ_XML, ...files], { encoding: "utf8" });
    expect(parsed.error, "python3 reads junit.xml here (semgrep needs it too): install it").toBeUndefined();
    expect(parsed.stdout + parsed.stderr).toBe("");
    expect(parsed.status).toBe(0);

    // summary.md as GitHub renders it (cmark-gfm with GitHub's extensions): no link or image of a tool's.
    const markdownFiles = summaries.map((markdown, index) => {
      const file = path.join(scratch, `summary-${index}.md`);
      writeFileSync(file, markdown);
      return file;
    });
    expect(existsSync(GITHUB_MARKDOWN), "run .ci/run: it installs GitHub's renderer (cmarkgfm) into .ci/.venv").toBe(
      true,
    );
    const rendered = spawnSync(GITHUB_MARKDOWN, ["-c", RENDER_GFM, ...markdownFiles], { encoding: "utf8" });
    expect(rendered.stderr).toBe("");
    expect(rendered.stdout).toBe("");
    expect(rendered.status).toBe(0);
  });
});

/** The Python that has GitHub's Markdown renderer, cmark-gfm (`cmarkgfm` on PyPI), installed by .ci/run. */
const GITHUB_MARKDOWN = fileURLToPath(new URL("../../../.ci/.venv/bin/python", import.meta.url));

/** Renders each file as GitHub does; names the first whose HTML holds a link or an image. */
const RENDER_GFM = String.raw`
import sys, re, cmarkgfm
from cmarkgfm.cmark import Options
for name in sys.argv[1:]:
    html = cmarkgfm.github_flavored_markdown_to_html(open(name, encoding="utf-8").read(), options=Options.CMARK_OPT_UNSAFE)
    found = re.search(r"<(a|img)\b[^>]*>", html)
    if found:
        print(name, found.group(0))
        sys.exit(1)
`;

/** Reads each file with Python's XML parser; names the first it refuses, and the line it stopped at. */
const READ_XML = String.raw`
import sys, xml.dom.minidom as dom
for name in sys.argv[1:]:
    try:
        dom.parse(name)
    except Exception as error:
        lines = open(name, encoding="utf-8").read().split("\n")
        print(name, error, repr(lines[error.lineno - 1]) if hasattr(error, "lineno") else "")
        sys.exit(1)
`;

/**
 * An annotation as the Actions runner reads it: `::level key=value,…::message`, each property one
 * of the runner's keys, with `:` and `,` escaped in its value (the runner splits lines at LF only).
 */
function expectAnnotation(line: string): void {
  const parts = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/s.exec(line);
  expect(parts, line).not.toBeNull();
  for (const property of (parts?.[2] ?? "").split(",").filter((each) => each !== ""))
    expect(property, line).toMatch(/^(file|line|endLine|col|endColumn|title)=[^,:]*$/);
}

/** Every row of a Markdown table has as many cell separators (unescaped `|`) as its header. */
function expectTables(markdown: string): void {
  let header: number | undefined;
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("|")) {
      header = undefined;
      continue;
    }
    const separators = line.match(/(?<!\\)\|/g)?.length ?? 0;
    header ??= separators;
    expect(separators, line).toBe(header);
  }
}
