import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { OUTPUT_FILES, publishToGithub, reportOutputs, writeOutputs } from "../../src/cli/write-outputs.js";
import type { Report } from "../../src/model/report.js";
import { renderHtml } from "../../src/report/html.js";
import { renderJson } from "../../src/report/json.js";
import { renderJunit } from "../../src/report/junit.js";
import type * as MarkdownModule from "../../src/report/markdown.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { renderSarif } from "../../src/report/sarif.js";
import { realisticReport } from "../report/html-report-fixture.js";

// Counted, to show that summary.md is rendered once for all the places that show it.
vi.mock("../../src/report/markdown.js", async (importOriginal) => {
  const original = await importOriginal<typeof MarkdownModule>();
  return { ...original, renderMarkdown: vi.fn(original.renderMarkdown) };
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("writeOutputs", () => {
  it("writes each file as its renderer renders it whole, over many writes and with multi-byte text", () => {
    const base = realisticReport(8_000);
    // Characters of two, three and four UTF-8 bytes: a write that counted characters as bytes
    // would cut or pad the file.
    const report: Report = {
      ...base,
      findings: base.findings.map((finding, index) => ({ ...finding, title: `${finding.title} é€🐛 ${index}` })),
    };
    const dir = mkdtempSync(path.join(tmpdir(), "portcullis-outputs-"));
    dirs.push(dir);

    const written = writeOutputs(dir, reportOutputs(report));

    expect(written.map((file) => path.basename(file))).toEqual([...OUTPUT_FILES]);
    const json = readFileSync(path.join(dir, "report.json"), "utf8");
    // Several megabytes: written in many pieces of a megabyte.
    expect(Buffer.byteLength(json)).toBeGreaterThan(3 << 20);
    expect(json).toBe(renderJson(report));
    expect(readFileSync(path.join(dir, "report.sarif"), "utf8")).toBe(renderSarif(report));
    expect(readFileSync(path.join(dir, "summary.md"), "utf8")).toBe(renderMarkdown(report));
    expect(readFileSync(path.join(dir, "junit.xml"), "utf8")).toBe(renderJunit(report));
    expect(readFileSync(path.join(dir, "report.html"), "utf8")).toBe(renderHtml(report));
  });

  it("renders summary.md once for --out and the step summary, which get the same text", () => {
    const report = realisticReport(50);
    const dir = mkdtempSync(path.join(tmpdir(), "portcullis-outputs-"));
    dirs.push(dir);
    const stepSummary = path.join(dir, "step-summary.md");
    const io = { stdout: () => undefined, stderr: () => undefined, cwd: dir, isTty: false };
    vi.mocked(renderMarkdown).mockClear();

    const outputs = reportOutputs(report);
    writeOutputs(path.join(dir, "out"), outputs);
    publishToGithub({ ...io, env: { GITHUB_STEP_SUMMARY: stepSummary } }, outputs);

    expect(renderMarkdown).toHaveBeenCalledTimes(1);
    expect(readFileSync(stepSummary, "utf8")).toBe(readFileSync(path.join(dir, "out", "summary.md"), "utf8"));
  });

  it("names the file and the fix when the disk refuses a write", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "portcullis-outputs-"));
    dirs.push(dir);
    // A folder where report.json should go: the open fails with EISDIR.
    mkdirSync(path.join(dir, "report.json"));
    expect(() => writeOutputs(dir, reportOutputs(realisticReport(5)))).toThrow(
      expect.objectContaining({
        code: "IO",
        file: path.join(dir, "report.json"),
        message: expect.stringMatching(/^cannot write: EISDIR/) as unknown,
      }),
    );
  });

  it("lets a renderer's own error through as itself, not as a folder that cannot be written", () => {
    // A report that does not match its schema is a bug report.json refuses to write.
    const report = { ...realisticReport(5), policyHash: 42 } as unknown as Report;
    const dir = mkdtempSync(path.join(tmpdir(), "portcullis-outputs-"));
    dirs.push(dir);
    expect(() => writeOutputs(dir, reportOutputs(report))).toThrow(
      expect.objectContaining({
        code: "INTERNAL",
        message: expect.stringMatching(/^report\.json does not match/) as unknown,
      }),
    );
  });
});
