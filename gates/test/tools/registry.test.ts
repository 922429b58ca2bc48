import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { isPortcullisError } from "../../src/errors.js";
import { Finding, REPORT_FORMATS, type ReportFormat } from "../../src/findings/finding.js";
import { REPORT_KINDS } from "../../src/model/report.js";
import {
  detectDocument,
  detectReport,
  KIND_FORMATS,
  parseReport,
  parseTrivyStream,
  reportExitMeaning,
  reportParsers,
  TOOLS,
} from "../../src/tools/index.js";
import type { ToolAdapter } from "../../src/tools/types.js";
import { failure } from "./failure.js";
import { KIND_OF_FORMAT } from "./kind-of-format.js";

const fixture = (path: string): string => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), "utf8");

const sarifFrom = (driver: string): string =>
  JSON.stringify({ version: "2.1.0", runs: [{ tool: { driver: { name: driver } }, results: [] }] });

/** One small report of every format Portcullis recognises. */
const SAMPLES: Readonly<Record<ReportFormat, string>> = {
  "gitleaks-json": "[]\n",
  "gitleaks-sarif": sarifFrom("gitleaks"),
  "trivy-json": fixture("trivy/clean.fs.json"),
  "trivy-sarif": fixture("trivy/image.sarif"),
  "semgrep-json": JSON.stringify({ results: [], errors: [], paths: { scanned: [] }, version: "1.163.0" }),
  "semgrep-sarif": sarifFrom("Semgrep OSS"),
  "k6-summary-export": fixture("k6/summary-export.json"),
  "k6-handle-summary": fixture("k6/handle-summary.json"),
  sarif: sarifFrom("CodeQL"),
  "portcullis-findings": fixture("findings/validate.json"),
};

describe("tool registry", () => {
  it("lists one adapter per tool, named as the tool", () => {
    expect(Object.keys(TOOLS)).toEqual(["gitleaks", "trivy", "semgrep", "k6", "sarif", "findings"]);
    for (const [name, adapter] of Object.entries(TOOLS)) expect(adapter.name).toBe(name);
  });

  it("covers every report format and every report kind", () => {
    expect(new Set(Object.values(TOOLS).flatMap((adapter) => [...adapter.formats]))).toEqual(new Set(REPORT_FORMATS));
    expect(Object.keys(KIND_FORMATS).sort()).toEqual([...REPORT_KINDS].sort());
    for (const kind of REPORT_KINDS) expect(KIND_FORMATS[kind].length).toBeGreaterThan(0);
  });

  it.each(REPORT_FORMATS.map((format) => [format]))("detects %s by content, whatever the file is called", (format) => {
    expect(detectReport(SAMPLES[format], { file: "report.txt" }).format).toBe(format);
    expect(detectDocument(JSON.parse(SAMPLES[format]))?.format).toBe(format);
  });

  it("routes SARIF by its driver name: a tool's SARIF belongs to that tool", () => {
    expect(detectReport(sarifFrom("Trivy"))).toEqual({ tool: "trivy", format: "trivy-sarif" });
    expect(detectReport(sarifFrom("gitleaks"))).toEqual({ tool: "gitleaks", format: "gitleaks-sarif" });
    expect(detectReport(sarifFrom("Semgrep OSS"))).toEqual({ tool: "semgrep", format: "semgrep-sarif" });
    expect(detectReport(sarifFrom("CodeQL"))).toEqual({ tool: "sarif", format: "sarif" });
  });

  const matrix = REPORT_KINDS.flatMap((kind) => REPORT_FORMATS.map((format) => [kind, format] as const));
  it.each(matrix)("--report %s=<%s>", (kind, format) => {
    const accepted = KIND_FORMATS[kind].includes(format);
    if (accepted) {
      const result = parseReport(kind, SAMPLES[format], { file: "in.json" });
      expect(result.format).toBe(format);
      return;
    }
    expect(failure(() => parseReport(kind, SAMPLES[format], { file: "in.json" }))).toMatch(
      new RegExp(
        `^\\[REPORT_WRONG_TOOL\\] in\\.json: --report ${kind}: .* — fix: pass it as --report ${KIND_OF_FORMAT[format]}=in\\.json$`,
      ),
    );
  });

  it("accepts exactly the formats the issue lists for each kind", () => {
    expect(KIND_FORMATS).toEqual({
      gitleaks: ["gitleaks-json", "gitleaks-sarif"],
      trivy: ["trivy-json", "trivy-sarif"],
      semgrep: ["semgrep-json", "semgrep-sarif"],
      k6: ["k6-summary-export", "k6-handle-summary"],
      sarif: ["sarif", "gitleaks-sarif", "trivy-sarif", "semgrep-sarif"],
      validate: ["portcullis-findings"],
      findings: ["portcullis-findings"],
    });
  });

  it("pins what a mismatch, an unknown document and a k6 sample stream say", () => {
    expect(
      failure(() => parseReport("trivy", SAMPLES["gitleaks-json"], { file: "reports/trivy.json" })),
    ).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] reports/trivy.json: --report trivy: this is a gitleaks JSON report, not a trivy report (JSON or SARIF) — fix: pass it as --report gitleaks=reports/trivy.json"`,
    );
    expect(failure(() => parseReport("k6", SAMPLES["trivy-sarif"], { file: "k6.json" }))).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] k6.json: --report k6: this is a trivy SARIF report, not a k6 summary (--summary-export or handleSummary) — fix: pass it as --report trivy=k6.json"`,
    );
    expect(failure(() => detectReport('{"hello": "world"}', { file: "x.json" }))).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] x.json: not a report Portcullis can read: a JSON object with keys "hello" — fix: pass a gitleaks report (JSON or SARIF), a trivy report (JSON or SARIF), a semgrep report (JSON or SARIF), a k6 summary (--summary-export or handleSummary), a SARIF 2.1.0 log or a Portcullis findings document"`,
    );
    expect(failure(() => detectReport(fixture("k6/out.ndjson"), { file: "k6.json" }))).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] k6.json: this is a k6 --out json sample stream (NDJSON), not a k6 summary — fix: pass the --summary-export (or handleSummary) file as --report k6=<file>; the sample stream only feeds the HTML report's charts"`,
    );
    expect(failure(() => detectReport("", { file: "x.json" }))).toMatch(/^\[REPORT_EMPTY\] x\.json: /);
  });

  it.each([
    ["gitleaks", 0, "clean"],
    ["gitleaks", 42, "findings"],
    ["gitleaks", 1, "error"],
    ["trivy", 0, "clean"],
    ["trivy", 1, "error"],
    ["k6", 99, "findings"],
    ["k6", 107, "error"],
    ["validate", 1, "findings"],
    ["findings", 2, "error"],
    ["sarif", 1, "findings"],
  ] as const)("exit code of %s %i means %s", (kind, code, meaning) => {
    expect(reportExitMeaning(kind, code)).toBe(meaning);
  });

  it("hands evaluate the registry's parse, exit meanings and the streaming trivy parser", () => {
    expect(reportParsers.parse).toBe(parseReport);
    expect(reportParsers.exitMeaning).toBe(reportExitMeaning);
    expect(reportParsers.parseTrivyStream).toBe(parseTrivyStream);
  });

  it("never detects text that is not JSON", () => {
    const notJson = fc.string({ unit: "binary" }).filter((raw) => {
      try {
        JSON.parse(raw.replace(/^\uFEFF/, ""));
        return false;
      } catch {
        return true;
      }
    });
    fc.assert(
      fc.property(notJson, (raw) => {
        try {
          detectReport(raw);
          expect.unreachable("text that is not JSON was detected as a report");
        } catch (error) {
          expect(isPortcullisError(error) && error.code).toMatch(/^REPORT_(EMPTY|MALFORMED)$/);
        }
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it("answers any JSON under any kind with valid findings or a typed error", () => {
    fc.assert(
      fc.property(fc.constantFrom(...REPORT_KINDS), fc.jsonValue(), (kind, value) => {
        try {
          const result = parseReport(kind, JSON.stringify(value) ?? "null");
          expect(KIND_FORMATS[kind]).toContain(result.format);
          for (const finding of result.findings) expect(Finding.parse(finding)).toEqual(finding);
        } catch (error) {
          expect(isPortcullisError(error) && error.name).toBe("ReportError");
        }
      }),
      { seed: 12, numRuns: 400 },
    );
  });

  it("parses any sample under any kind into the kind's formats or names the right kind", () => {
    fc.assert(
      fc.property(fc.constantFrom(...REPORT_KINDS), fc.constantFrom(...REPORT_FORMATS), (kind, format) => {
        try {
          expect(KIND_FORMATS[kind]).toContain(parseReport(kind, SAMPLES[format]).format);
        } catch (error) {
          expect(isPortcullisError(error) && error.fix).toBe(`pass it as --report ${KIND_OF_FORMAT[format]}=<file>`);
        }
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  it("JSON-parses a report once, to detect its format and to read it", () => {
    const parse = vi.spyOn(JSON, "parse");
    try {
      for (const format of REPORT_FORMATS) {
        parse.mockClear();
        parseReport(KIND_OF_FORMAT[format], SAMPLES[format]);
        expect(
          parse.mock.calls.filter(([text]) => text === SAMPLES[format]),
          format,
        ).toHaveLength(1);
      }
    } finally {
      parse.mockRestore();
    }
  });

  it("reads a document as the adapter reads its text", () => {
    for (const format of REPORT_FORMATS) {
      const adapters: readonly ToolAdapter[] = Object.values(TOOLS);
      const owner = adapters.find((adapter) => adapter.formatLabels[format] !== undefined);
      expect(owner, format).toBeDefined();
      expect(owner?.parseDocument(JSON.parse(SAMPLES[format]), { file: "r.json" }), format).toEqual(
        owner?.parse(SAMPLES[format], { file: "r.json" }),
      );
    }
  });
});
