import { describe, expect, it } from "vitest";
import { FindingsDocument } from "../../src/findings/format.js";
import { hasBlockingFindings, summaryLine, toFindingsDocument } from "../../src/validate/findings.js";
import { renderSarif, renderText } from "../../src/validate/render.js";
import { validateTree } from "./tree.js";

const page = (before: string) => `# Page\n\n${before}[a](gone.md) and [b](gone.md) and [c](other.md)\n`;

describe("validate findings", () => {
  it("keeps fingerprints across line moves, and tells repeated findings apart", async () => {
    const first = await validateTree([{ path: "a.md", content: page("") }], { markdownlint: false });
    const moved = await validateTree([{ path: "a.md", content: page("A new paragraph.\n\nAnother one.\n\n") }], {
      markdownlint: false,
    });
    const fingerprints = first.findings.map((finding) => finding.fingerprint);
    expect(new Set(fingerprints).size).toBe(3);
    expect(moved.findings.map((finding) => finding.fingerprint)).toEqual(fingerprints);
    expect(moved.findings.map((finding) => finding.location?.startLine)).toEqual([7, 7, 7]);
  });

  it("builds a findings document its schema accepts", async () => {
    const result = await validateTree([{ path: "a.md", content: page("") }]);
    const document = toFindingsDocument(result);
    expect(FindingsDocument.parse(document)).toEqual(document);
    expect(document).toMatchObject({
      schema: "portcullis.findings/v1",
      tool: "portcullis-validate",
      filesScanned: 1,
      toolErrors: [],
    });
  });

  it("blocks on rules 1–8 only", async () => {
    const advisory = await validateTree([{ path: "a.md", content: "# A\n\n### B\n" }]);
    expect(advisory.findings.map((finding) => finding.severity)).toEqual(["low"]);
    expect(hasBlockingFindings(advisory.findings)).toBe(false);
    expect(hasBlockingFindings((await validateTree([{ path: "a.md", content: page("") }])).findings)).toBe(true);
  });

  it("summarises by severity, worst first", async () => {
    const result = await validateTree([{ path: "a.md", content: `${page("")}\n### Skipped\n` }]);
    expect(summaryLine(result)).toBe("portcullis validate: 1 file checked, 4 findings (3 high, 1 low)");
    expect(summaryLine({ filesScanned: 0, findings: [] })).toBe("portcullis validate: 0 files checked, no findings");
    expect(renderText({ filesScanned: 2, findings: [] })).toBe("portcullis validate: 2 files checked, no findings\n");
  });

  it("prints file names and quoted lines on one line each, with no escape sequence", async () => {
    const result = await validateTree([
      {
        path: "docs/h.md",
        content: "# Heading \u001b]8;;https://evil.example\u001b\\CLICK\u001b]8;;\u001b\\ \u001b[2J\nText\n",
      },
      { path: "docs/nl\n::error file=README.md::forged.md", content: "# T\n\n[l](nowhere.md)\n" },
    ]);
    const text = renderText(result);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(text).not.toMatch(/^::/m);
    expect(text).toContain("docs/nl ::error file=README.md::forged.md:3:5  high  broken-link");
  });

  it("renders SARIF with one rule entry per rule id and a fingerprint per result", async () => {
    const result = await validateTree([{ path: "docs/my file.md", content: `${page("")}\n### Skipped\n` }]);
    const sarif = renderSarif(result);
    const run = sarif.runs[0];
    expect(run?.tool.driver.rules?.map((rule) => rule.id)).toEqual(["broken-link", "markdownlint/MD001"]);
    expect(run?.results?.map((entry) => [entry.ruleIndex, entry.level])).toEqual([
      [0, "error"],
      [0, "error"],
      [0, "error"],
      [1, "warning"],
    ]);
    expect(run?.results?.[0]?.locations?.[0]?.physicalLocation?.artifactLocation?.uri).toBe("docs/my%20file.md");
    expect(run?.results?.[0]?.partialFingerprints?.["portcullis/v1"]).toBe(result.findings[0]?.fingerprint);
  });

  it("renders a path with a lone surrogate (a Windows file name may hold one) as U+FFFD", async () => {
    const result = await validateTree([{ path: "docs/a\ud800.md", content: page("") }], { markdownlint: false });
    const uri = renderSarif(result).runs[0]?.results?.[0]?.locations?.[0]?.physicalLocation?.artifactLocation?.uri;
    expect(uri).toBe("docs/a%EF%BF%BD.md");
  });
});
