import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Finding, type ReportFormat, type Severity, type ToolResult } from "../../src/findings/finding.js";
import { semgrep, semgrepSpec } from "../../src/tools/semgrep.js";
import { expectFastPathTaken } from "../tools/fast-path.js";
import { conformanceDir } from "./fixtures-dir.js";

/*
 * Real semgrep reports (../shared/fixtures/semgrep). The expected figures below were counted by
 * hand from the files.
 */

const root = conformanceDir();
const dir = path.join(root ?? "", "semgrep");
const raw = (name: string): string => readFileSync(path.join(dir, name), "utf8");
const parse = (name: string): ToolResult => semgrep.parse(raw(name), { file: name });

interface Expected {
  format: ReportFormat;
  version: string;
  filesScanned: number | undefined;
  severities: Partial<Record<Severity, number>>;
  /** Tool errors by level. */
  errors: { error: number; warning: number };
}

const FILES: Readonly<Record<string, Expected>> = {
  "scan.juice-shop.v1.156.0.json": {
    format: "semgrep-json",
    version: "1.156.0",
    filesScanned: 1031,
    severities: { high: 10, medium: 23, low: 2 },
    errors: { error: 0, warning: 43 },
  },
  "scan.webgoat.v1.171.0.json": {
    format: "semgrep-json",
    version: "1.171.0",
    filesScanned: 316,
    severities: { high: 14, medium: 3 },
    errors: { error: 0, warning: 0 },
  },
  "snapshot.incompatible-rules.json": {
    format: "semgrep-json",
    version: "0.42",
    filesScanned: 1,
    severities: { high: 2 },
    errors: { error: 0, warning: 10 },
  },
  "snapshot.partial-parsing.json": {
    format: "semgrep-json",
    version: "0.42",
    filesScanned: 1,
    severities: {},
    errors: { error: 0, warning: 1 },
  },
  "snapshot.nosemgrep-suppressed.sarif": {
    format: "semgrep-sarif",
    version: "placeholder",
    filesScanned: undefined,
    severities: { high: 1 },
    errors: { error: 0, warning: 0 },
  },
  "snapshot.tool-error.sarif": {
    format: "semgrep-sarif",
    version: "placeholder",
    filesScanned: undefined,
    severities: {},
    errors: { error: 1, warning: 0 },
  },
};

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe.skipIf(root === undefined)("semgrep conformance", () => {
  it("knows every file in the folder", () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(FILES).sort());
  });

  it.each(Object.entries(FILES))("%s: format, version, files, severities and tool errors", (name, expected) => {
    const document: unknown = JSON.parse(raw(name));
    expect(semgrep.detect(document)).toBe(expected.format);
    const result = parse(name);
    expect(result.format).toBe(expected.format);
    expect(result.toolVersion).toBe(expected.version);
    expect(result.filesScanned).toBe(expected.filesScanned);
    expect(countBy(result.findings, (f) => f.severity)).toEqual(expected.severities);
    expect({ error: 0, warning: 0, ...countBy(result.toolErrors, (e) => e.level) }).toEqual(expected.errors);
    for (const finding of result.findings) {
      expect(Finding.parse(finding)).toEqual(finding);
      expect(finding.kind).toBe("sast");
      expect(finding.location?.path).not.toContain("\\");
    }
    expect(new Set(result.findings.map((f) => f.fingerprint)).size).toBe(result.findings.length);
  });

  it("juice-shop: 'requires login' is never a snippet; errors surfaced by type", () => {
    expect(raw("scan.juice-shop.v1.156.0.json")).toMatch(/"fingerprint":\s*"requires login"/);
    const result = parse("scan.juice-shop.v1.156.0.json");
    expect(result.findings.filter((f) => f.snippet !== undefined)).toEqual([]);
    expect(countBy(result.toolErrors, (e) => e.code?.replace(/ \(\d+\)$/, "") ?? "")).toEqual({
      "Syntax error": 20,
      PartialParsing: 20,
      Timeout: 3,
    });
    expect(result.findings.filter((f) => f.references.includes("CWE-89")).length).toBeGreaterThan(0);
  });

  it("every real semgrep JSON report takes the fast path, with the findings zod's copy gives", () => {
    for (const [name, expected] of Object.entries(FILES))
      if (expected.format === "semgrep-json") expectFastPathTaken(semgrepSpec({}), JSON.parse(raw(name)), name);
  });

  it("webgoat: Windows backslash paths become forward slashes", () => {
    expect(raw("scan.webgoat.v1.171.0.json")).toContain("src\\\\main\\\\java");
    expect(parse("scan.webgoat.v1.171.0.json").findings[0]?.location).toMatchObject({
      path: "src/main/java/org/owasp/webgoat/lessons/challenges/challenge5/Assignment5.java",
      startLine: 45,
      endLine: 49,
    });
  });

  it("array-typed errors: IncompatibleRule and PartialParsing are surfaced with their type", () => {
    const incompatible = parse("snapshot.incompatible-rules.json").toolErrors;
    expect(incompatible.every((e) => e.code === "IncompatibleRule (0)")).toBe(true);
    expect(parse("snapshot.partial-parsing.json").toolErrors).toEqual([
      {
        level: "warning",
        message: "Syntax error at line targets/bad/invalid_go.go:9:\n `str` was unexpected",
        code: "PartialParsing (3)",
        path: "targets/bad/invalid_go.go",
      },
    ]);
  });

  it("SARIF: nosemgrep becomes an in-source suppression; the rule's default level gives the severity", () => {
    expect(parse("snapshot.nosemgrep-suppressed.sarif").findings).toEqual([
      expect.objectContaining({
        ruleId: "rules.eqeq-is-bad",
        severity: "high",
        suppression: { kind: "inSource" },
        location: {
          path: "targets/nosemgrep/eqeq-nosemgrep.py",
          startLine: 2,
          endLine: 2,
          startColumn: 12,
          endColumn: 26,
        },
      }),
    ]);
  });

  it("SARIF: an error notification is a tool error even though executionSuccessful is true", () => {
    expect(raw("snapshot.tool-error.sarif")).toMatch(/"executionSuccessful":\s*true/);
    expect(parse("snapshot.tool-error.sarif").toolErrors).toEqual([
      { level: "error", message: "Semgrep OSS: File not found: targets/basic/inexistent.py", code: "SemgrepError" },
    ]);
  });
});
