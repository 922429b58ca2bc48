import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { reportsWithSecrets, toolReports } from "../../src/compliance/bundle-contents.js";
import { Finding, type ReportFormat, type ToolResult } from "../../src/findings/finding.js";
import { gitleaks, gitleaksSpec } from "../../src/tools/gitleaks.js";
import { expectFastPathTaken } from "../tools/fast-path.js";
import { conformanceDir } from "./fixtures-dir.js";

/*
 * Real gitleaks reports (../shared/fixtures/gitleaks). The expected figures below were counted by
 * hand from the files; the secrets are collected from the raw files independently of the parser.
 */

const root = conformanceDir();
const dir = path.join(root ?? "", "gitleaks");
const raw = (name: string): string => readFileSync(path.join(dir, name), "utf8");
const parse = (name: string): ToolResult => gitleaks.parse(raw(name), { file: name });

/** Every file in the folder: its format, findings, and unmasked secret strings (Secret, Match, snippets). */
const FILES: Readonly<Record<string, { format: ReportFormat; findings: number; secretStrings: number }>> = {
  "baseline-redacted.gitleaks-testdata.json": { format: "gitleaks-json", findings: 2, secretStrings: 0 },
  "git-history.poc-dast.json": { format: "gitleaks-json", findings: 1, secretStrings: 2 },
  "git-history.poc-dast.sarif": { format: "gitleaks-sarif", findings: 1, secretStrings: 1 },
  "git-history.pygoat.json": { format: "gitleaks-json", findings: 11, secretStrings: 22 },
  "no-leaks.3lab.sarif": { format: "gitleaks-sarif", findings: 0, secretStrings: 0 },
  "no-leaks.gitleaks-testdata.json": { format: "gitleaks-json", findings: 0, secretStrings: 0 },
};

/**
 * Unmasked values of the raw report under secret-bearing keys and e-mail keys (author names are
 * left out: a repository owner's name legitimately appears in gitleaks' `Link`).
 */
function rawSensitive(name: string): { secrets: string[]; people: string[] } {
  const secrets: string[] = [];
  const people: string[] = [];
  const visit = (value: unknown, parentKey: string): void => {
    if (Array.isArray(value)) value.forEach((item: unknown) => visit(item, parentKey));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return;
    for (const [key, item] of Object.entries(value)) {
      const masked = typeof item !== "string" || item === "" || /^\*+$/.test(item);
      if (!masked && (key === "Secret" || key === "Match" || (parentKey === "snippet" && key === "text")))
        secrets.push(item);
      else if (!masked && (key === "Email" || key === "email")) people.push(item);
      else visit(item, key);
    }
  };
  visit(JSON.parse(raw(name)), "");
  return { secrets, people };
}

describe.skipIf(root === undefined)("gitleaks conformance", () => {
  it("knows every file in the folder", () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(FILES).sort());
  });

  it("every real gitleaks JSON report takes the fast path, with the findings zod's copy gives", () => {
    for (const [name, expected] of Object.entries(FILES))
      if (expected.format === "gitleaks-json") expectFastPathTaken(gitleaksSpec({}), JSON.parse(raw(name)), name);
  });

  it.each(Object.entries(FILES))(
    "%s: detected by content, parsed into valid high secret findings",
    (name, expected) => {
      const document: unknown = JSON.parse(raw(name));
      expect(gitleaks.detect(document)).toBe(expected.format);
      const result = parse(name);
      expect(result.format).toBe(expected.format);
      expect(result.findings).toHaveLength(expected.findings);
      expect(result.toolErrors).toEqual([]);
      for (const finding of result.findings) {
        expect(Finding.parse(finding)).toEqual(finding);
        expect([finding.kind, finding.severity]).toEqual(["secret", "high"]);
      }
      expect(new Set(result.findings.map((f) => f.fingerprint)).size).toBe(expected.findings);
    },
  );

  it.each(Object.entries(FILES))(
    "%s: no secret or e-mail address from the file reaches a finding",
    (name, expected) => {
      const { secrets, people } = rawSensitive(name);
      expect(secrets).toHaveLength(expected.secretStrings);
      const output = JSON.stringify(parse(name).findings);
      for (const value of [...secrets, ...people]) expect(output).not.toContain(value);
    },
  );

  it("an evidence bundle refuses exactly the reports that hold a secret in the clear, not trivy's masked ones", () => {
    const trivySecrets = path.join(root ?? "", "trivy", "repo.secrets.golden.json");
    const files = [...Object.keys(FILES).map((name) => path.join(dir, name)), trivySecrets].map((file) => ({
      path: file,
      content: readFileSync(file),
    }));
    expect(reportsWithSecrets(toolReports(files)).map((report) => path.basename(report.path))).toEqual(
      Object.keys(FILES).filter((name) => (FILES[name]?.secretStrings ?? 0) > 0),
    );
    expect(readFileSync(trivySecrets, "utf8")).toContain('"Secrets"');
  });

  it("pygoat history: 9 generic-api-key and 2 jwt findings, each with its commit", () => {
    const result = parse("git-history.pygoat.json");
    const byRule = new Map<string, number>();
    for (const finding of result.findings) byRule.set(finding.ruleId, (byRule.get(finding.ruleId) ?? 0) + 1);
    expect(Object.fromEntries(byRule)).toEqual({ "generic-api-key": 9, jwt: 2 });
    expect(result.findings.every((f) => f.commit !== undefined && /^[0-9a-f]{40}$/.test(f.commit))).toBe(true);
    expect(result.secrets).toHaveLength(11);
    expect(result.findings.filter((f) => f.location?.path === "pygoat/introduction/views.py")).toHaveLength(6);
  });

  it("poc-dast: the JSON and SARIF twins give the same finding and fingerprint", () => {
    const json = parse("git-history.poc-dast.json").findings[0];
    const sarif = parse("git-history.poc-dast.sarif").findings[0];
    expect(json?.fingerprint).toBe(sarif?.fingerprint);
    for (const finding of [json, sarif]) {
      expect(finding).toMatchObject({
        ruleId: "slack-webhook-url",
        location: { path: "models/index.js", startLine: 3, startColumn: 19, endColumn: 95 },
        commit: "9c508d12b8e73c61af231778054b91c29079fb90",
        snippet: "REDACTED",
      });
    }
    expect(json?.references[0]).toContain("EdivaldoCostaLimaJr/dvna-sast-validate");
  });

  it("SARIF: the constant semanticVersion v8.0.0 is not reported as the gitleaks version", () => {
    for (const name of ["git-history.poc-dast.sarif", "no-leaks.3lab.sarif"]) {
      expect(raw(name)).toContain('"semanticVersion": "v8.0.0"');
      expect(parse(name).toolVersion).toBeUndefined();
    }
  });

  it("masked baseline: two findings one line apart keep apart, no secret recorded", () => {
    const result = parse("baseline-redacted.gitleaks-testdata.json");
    expect(result.findings.map((f) => [f.ruleId, f.location?.path, f.location?.startLine])).toEqual([
      ["pypi-upload-token", "detect/detect_test.go", 32],
      ["pypi-upload-token", "detect/detect_test.go", 33],
    ]);
    expect(result.secrets).toEqual([]);
  });
});
