import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ReportError } from "../../src/errors.js";
import { Finding, type ReportFormat } from "../../src/findings/finding.js";
import { sarif, sarifFormat } from "../../src/tools/sarif.js";
import { isPlainSarifResult } from "../../src/tools/sarif-check.js";
import { SarifResult } from "../../src/tools/sarif-schema.js";
import { conformanceDir } from "./fixtures-dir.js";

/*
 * The generic SARIF adapter over every real report in ../shared/fixtures: the SARIF files are
 * recognised by content (whatever their name) and parsed; every other JSON report is refused as
 * another tool's. Expected figures were counted by hand from the files.
 */

const root = conformanceDir();
const base = root ?? "";
const raw = (file: string): string => readFileSync(path.join(base, file), "utf8");

interface Expected {
  tool: string;
  format: ReportFormat;
  findings: Array<[kind: string, severity: string]>;
  toolErrors: number;
}

const SARIF_FILES: Readonly<Record<string, Expected>> = {
  "gitleaks/git-history.poc-dast.sarif": {
    tool: "gitleaks",
    format: "gitleaks-sarif",
    findings: [["secret", "high"]],
    toolErrors: 0,
  },
  "gitleaks/no-leaks.3lab.sarif": { tool: "gitleaks", format: "gitleaks-sarif", findings: [], toolErrors: 0 },
  "semgrep/snapshot.nosemgrep-suppressed.sarif": {
    tool: "semgrep",
    format: "semgrep-sarif",
    findings: [["sast", "high"]],
    toolErrors: 0,
  },
  "semgrep/snapshot.tool-error.sarif": { tool: "semgrep", format: "semgrep-sarif", findings: [], toolErrors: 1 },
  "trivy/image.alpine-310.golden.sarif": {
    tool: "trivy",
    format: "trivy-sarif",
    findings: [
      ["vulnerability", "medium"],
      ["vulnerability", "medium"],
      ["vulnerability", "medium"],
      ["vulnerability", "medium"],
    ],
    toolErrors: 0,
  },
  "trivy/fs.npm.v0.65.0.sarif": {
    tool: "trivy",
    format: "trivy-sarif",
    findings: [
      ["vulnerability", "high"],
      ["vulnerability", "high"],
    ],
    toolErrors: 0,
  },
};

/** Every JSON file in the tool folders (k6's NDJSON stream is not one JSON document). */
function jsonFiles(): string[] {
  return ["gitleaks", "semgrep", "trivy", "k6"].flatMap((folder) =>
    readdirSync(path.join(base, folder))
      .filter((name) => !name.endsWith(".ndjson"))
      .map((name) => `${folder}/${name}`),
  );
}

describe.skipIf(root === undefined)("SARIF conformance", () => {
  it("recognises exactly the SARIF files by content", () => {
    const recognised = jsonFiles().filter((file) => sarifFormat(JSON.parse(raw(file))) !== undefined);
    expect(recognised.sort()).toEqual(Object.keys(SARIF_FILES).sort());
  });

  it.each(Object.entries(SARIF_FILES))("%s", (file, expected) => {
    const result = sarif.parse(raw(file), { file });
    expect([result.tool, result.format]).toEqual([expected.tool, expected.format]);
    expect(result.findings.map((f) => [f.kind, f.severity])).toEqual(expected.findings);
    expect(result.toolErrors).toHaveLength(expected.toolErrors);
    for (const finding of result.findings) expect(Finding.parse(finding)).toEqual(finding);
  });

  it.each(Object.keys(SARIF_FILES))("%s: every result takes the fast check, which the schema agrees with", (file) => {
    const runs = (JSON.parse(raw(file)) as { runs: Array<{ results?: unknown[] }> }).runs;
    for (const result of runs.flatMap((run) => run.results ?? [])) {
      expect(isPlainSarifResult(result)).toBe(true);
      expect(SarifResult.safeParse(result).success).toBe(true);
    }
  });

  it.each(["gitleaks", "semgrep", "trivy", "k6"])(
    "every non-SARIF %s report is refused as another tool's",
    (folder) => {
      for (const file of jsonFiles().filter((name) => name.startsWith(`${folder}/`) && !(name in SARIF_FILES))) {
        expect(() => sarif.parse(raw(file), { file })).toThrow(ReportError);
        expect(() => sarif.parse(raw(file), { file })).toThrow(/expected a SARIF 2.1.0 log, got/);
      }
    },
  );

  it("trivy image SARIF: packages, fixed versions and the image path from trivy's messages", () => {
    const result = sarif.parse(raw("trivy/image.alpine-310.golden.sarif"));
    expect(result.toolVersion).toBe("dev");
    expect(result.findings.map((f) => [f.ruleId, f.package?.name, f.package?.installed, f.package?.fixed])).toEqual([
      ["CVE-2019-1549", "libcrypto1.1", "1.1.1c-r0", ["1.1.1d-r0"]],
      ["CVE-2019-1551", "libcrypto1.1", "1.1.1c-r0", ["1.1.1d-r2"]],
      ["CVE-2019-1549", "libssl1.1", "1.1.1c-r0", ["1.1.1d-r0"]],
      ["CVE-2019-1551", "libssl1.1", "1.1.1c-r0", ["1.1.1d-r2"]],
    ]);
    expect(new Set(result.findings.map((f) => f.location?.path))).toEqual(
      new Set(["testdata/fixtures/images/alpine-310.tar.gz"]),
    );
    expect(new Set(result.findings.map((f) => f.fingerprint)).size).toBe(4);
  });

  it("trivy 0.65.0 SARIF: a result whose ruleIndex names another rule is read by its ruleId", () => {
    const result = sarif.parse(raw("trivy/fs.npm.v0.65.0.sarif"));
    expect(result.toolVersion).toBe("0.65.0");
    expect(result.findings.map((f) => [f.ruleId, f.package?.name, f.references[0]])).toEqual([
      ["CVE-2025-15284", "qs", "CVE-2025-15284"],
      ["CVE-2025-12345", "bob", "CVE-2025-12345"],
    ]);
  });

  it("gitleaks SARIF read generically still redacts the snippet, which is the secret", () => {
    const file = "gitleaks/git-history.poc-dast.sarif";
    const result = sarif.parse(raw(file));
    expect(raw(file)).toContain("https://hooks.slack.com/services/T00000000/B00000000/");
    expect(result.findings[0]?.snippet).toBe("REDACTED");
    expect(JSON.stringify(result.findings)).not.toContain("hooks.slack.com/services");
  });
});
