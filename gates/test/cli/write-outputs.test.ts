import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OUTPUT_FILES, reportOutputs, writeOutputs } from "../../src/cli/write-outputs.js";
import type { Report } from "../../src/model/report.js";
import { renderHtml } from "../../src/report/html.js";
import { renderJson } from "../../src/report/json.js";
import { renderJunit } from "../../src/report/junit.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { renderSarif } from "../../src/report/sarif.js";
import { realisticReport } from "../report/html-report-fixture.js";

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
    const secrets = ["not-in-any-finding-0123456789"];
    const dir = mkdtempSync(path.join(tmpdir(), "portcullis-outputs-"));
    dirs.push(dir);

    const written = writeOutputs(dir, reportOutputs(report, secrets));

    expect(written.map((file) => path.basename(file))).toEqual([...OUTPUT_FILES]);
    const json = readFileSync(path.join(dir, "report.json"), "utf8");
    // Several megabytes: written in many pieces of a megabyte.
    expect(Buffer.byteLength(json)).toBeGreaterThan(3 << 20);
    expect(json).toBe(renderJson(report, { secrets }));
    expect(readFileSync(path.join(dir, "report.sarif"), "utf8")).toBe(renderSarif(report, { secrets }));
    expect(readFileSync(path.join(dir, "summary.md"), "utf8")).toBe(renderMarkdown(report, { secrets }));
    expect(readFileSync(path.join(dir, "junit.xml"), "utf8")).toBe(renderJunit(report, { secrets }));
    expect(readFileSync(path.join(dir, "report.html"), "utf8")).toBe(renderHtml(report));
  });
});
