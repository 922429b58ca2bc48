import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { Report } from "../../src/model/report.js";
import { renderHtml } from "../../src/report/html.js";
import { renderJson, renderJsonChunks } from "../../src/report/json.js";
import { GITHUB_LIMITS } from "../../src/report/limits.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { renderSarif, renderSarifChunks } from "../../src/report/sarif.js";
import { cleanRuns, finding, input, ok } from "../evaluate/helpers.js";
import { realisticReport } from "./html-report-fixture.js";

/** A report whose trivy run carries `count` findings, built by the real evaluator. */
function reportWith(count: number, overrides: (index: number) => Parameters<typeof finding>[1] = () => ({})): Report {
  const findings = Array.from({ length: count }, (_, index) =>
    finding("trivy", { fingerprint: `fp-${index}`, ruleId: `CVE-2024-${index % 7}`, ...overrides(index) }),
  );
  return evaluate(input({ runs: cleanRuns().map((run) => (run.run.kind === "trivy" ? ok("trivy", findings) : run)) }))
    .report;
}

describe("report.html caps", () => {
  it("shows at most findingsPerGate rows per gate and says how many more are in report.json", () => {
    const report = reportWith(30);
    const html = renderHtml(report, { limits: { findingsPerGate: 4, bytesPerGate: 1_000_000, countRows: 2 } });
    const start = html.indexOf('<section data-gate="vulnerabilities">');
    const section = html.slice(start, html.indexOf("</section>", start));
    // Finding rows, not the rows of the count tables (whose first cell is a <code>).
    expect(section.match(/<tr(?: data-st=\w+)?><td>(?!<code>)/g)).toHaveLength(4);
    expect(section).toContain("<h3>vulnerabilities · 30</h3>");
    expect(section).toContain("26 more in report.json");
    // Counts cover all 30, the rule table its 2 worst of 7 rules.
    expect(section).toMatch(/By rule \(the 2 worst of 7\)/);
    expect(section.match(/<tr><td><code>CVE-/g)).toHaveLength(2);
  });

  it("stops at the byte budget, whatever the length of titles and paths", () => {
    const long = "x".repeat(20_000);
    const report = reportWith(2_000, (index) => ({
      title: `${long}${index}`,
      location: { path: `${long}/${index}.json` },
    }));
    const html = renderHtml(report, { limits: { findingsPerGate: 10_000, bytesPerGate: 20_000, countRows: 25 } });
    const section = html.slice(html.indexOf('<section data-gate="vulnerabilities">'), html.indexOf("</section>"));
    expect(section.length).toBeLessThan(20_000 + 40_000);
    expect(section).toMatch(/[\d,]+ more in report\.json/);
    // With the defaults, 2,000 findings of 40 KB each still make a page far below 5 MB.
    expect(Buffer.byteLength(renderHtml(report))).toBeLessThan(1_000_000);
  });

  it("lists every finding when they fit", () => {
    const html = renderHtml(reportWith(5));
    expect(html).not.toContain("more in report.json");
  });
});

describe("summary.md within GitHub's step-summary limit", () => {
  it("caps the lists of unusable waivers and notices", () => {
    const report: Report = {
      ...realisticReport(10),
      notices: Array.from({ length: 500 }, (_, index) => `notice ${index}`),
      waiverProblems: Array.from({ length: 500 }, (_, index) => ({
        id: `w${index}`,
        code: "WAIVER_EXPIRED",
        message: "expired",
        matched: 0,
      })),
    };
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("450 more notices are in report.json.");
    expect(markdown).toContain("450 more unusable waivers are in report.json.");
    expect(Buffer.byteLength(markdown)).toBeLessThan(GITHUB_LIMITS.stepSummaryBytes);
  });

  it("cuts at a line boundary when the page would exceed its byte limit, and says so", () => {
    const markdown = renderMarkdown(realisticReport(10), { maxBytes: 2_000 });
    expect(Buffer.byteLength(markdown)).toBeLessThanOrEqual(2_000);
    expect(markdown).toMatch(
      /\n\n\*summary\.md was cut here to stay within GitHub's step-summary limit; report\.json has everything\.\*\n$/,
    );
    expect(markdown).not.toContain("\uFFFD");
  });
});

describe("streamed report.json and report.sarif", () => {
  it("report.json in pieces keeps every finding and reads back as the report", () => {
    const report = reportWith(1_300);
    const chunks = [...renderJsonChunks(report)];
    expect(chunks.length).toBeGreaterThan(3);
    const parsed = Report.parse(JSON.parse(chunks.join("")));
    expect(parsed.findings).toHaveLength(1_300);
    expect(parsed).toEqual(Report.parse(report));
    expect(renderJson(reportWith(0))).toContain('"findings": [],');
  });

  it("report.json has one finding per line, across batches, even when a message looks like a boundary", () => {
    const report = reportWith(4_500, (index) => (index % 1_000 === 7 ? { message: '},{"tool":"x"} \n' } : {}));
    const text = renderJson(report);
    const start = text.indexOf('"findings": [\n    ') + '"findings": [\n    '.length;
    const body = text.slice(start, text.indexOf("\n  ]", start));
    expect(body.split(",\n    ")).toEqual(report.findings.map((item) => JSON.stringify(item)));
  });

  it("report.sarif in pieces is one valid log with every result", () => {
    const report = reportWith(1_300);
    const text = [...renderSarifChunks(report)].join("");
    expect(text).toBe(renderSarif(report));
    const log = JSON.parse(text) as { runs: { tool: { driver: { name: string } }; results: unknown[] }[] };
    expect(log.runs.find((run) => run.tool.driver.name === "trivy")?.results).toHaveLength(1_300);
  });
});
