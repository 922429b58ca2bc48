import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isPortcullisError } from "../../src/errors.js";
import { Finding, type ReportFormat } from "../../src/findings/finding.js";
import { detectReport, isK6OutJson, KIND_FORMATS, parseReport } from "../../src/tools/index.js";
import { conformanceDir } from "./fixtures-dir.js";

/*
 * Every real report in ../shared/fixtures, detected by content through the registry. The expected
 * format of each file was read by hand (its first bytes, its driver name); file names are not used
 * by the code under test, and fs.npm.v0.65.0.sarif was even called `trivy-results.json` upstream.
 */

const root = conformanceDir();
const FOLDERS = ["gitleaks", "trivy", "semgrep", "k6"] as const;
const raw = (folder: string, name: string): string => readFileSync(path.join(root ?? "", folder, name), "utf8");

const FORMATS: Readonly<Record<string, ReportFormat | "k6-out-json">> = {
  "gitleaks/baseline-redacted.gitleaks-testdata.json": "gitleaks-json",
  "gitleaks/git-history.poc-dast.json": "gitleaks-json",
  "gitleaks/git-history.poc-dast.sarif": "gitleaks-sarif",
  "gitleaks/git-history.pygoat.json": "gitleaks-json",
  "gitleaks/no-leaks.3lab.sarif": "gitleaks-sarif",
  "gitleaks/no-leaks.gitleaks-testdata.json": "gitleaks-json",
  "trivy/config.helm-testchart.golden.json": "trivy-json",
  "trivy/fs.misconfig-license.vulnerable-node.json": "trivy-json",
  "trivy/fs.npm.v0.65.0.sarif": "trivy-sarif",
  "trivy/image.alpine-310.golden.sarif": "trivy-sarif",
  "trivy/image.node-app.json": "trivy-json",
  "trivy/repo.gomod-unknown-severity.golden.json": "trivy-json",
  "trivy/repo.secrets.golden.json": "trivy-json",
  "semgrep/scan.juice-shop.v1.156.0.json": "semgrep-json",
  "semgrep/scan.webgoat.v1.171.0.json": "semgrep-json",
  "semgrep/snapshot.incompatible-rules.json": "semgrep-json",
  "semgrep/snapshot.nosemgrep-suppressed.sarif": "semgrep-sarif",
  "semgrep/snapshot.partial-parsing.json": "semgrep-json",
  "semgrep/snapshot.tool-error.sarif": "semgrep-sarif",
  "k6/handlesummary.all-passed.json": "k6-handle-summary",
  "k6/handlesummary.mixed.json": "k6-handle-summary",
  "k6/out-json.ticket-reserve.ndjson": "k6-out-json",
  "k6/summary-export.mixed.json": "k6-summary-export",
  "k6/summary-export.submetric-thresholds.json": "k6-summary-export",
  "k6/summary-export.threshold-failed.json": "k6-summary-export",
  "k6/summary-export.threshold-passed.json": "k6-summary-export",
};

const entries = Object.entries(FORMATS).map(([file, format]) => {
  const [folderName, name = ""] = file.split("/");
  const folder = FOLDERS.find((candidate) => candidate === folderName);
  if (folder === undefined) throw new Error(`${file}: not in a tool folder`);
  return { file, folder, name, format };
});

describe.skipIf(root === undefined)("registry conformance: every shared fixture", () => {
  it("classifies every file of the four tool folders", () => {
    const listed = FOLDERS.flatMap((folder) =>
      readdirSync(path.join(root ?? "", folder)).map((name) => `${folder}/${name}`),
    );
    expect(listed.sort()).toEqual(Object.keys(FORMATS).sort());
  });

  it.each(entries.filter((entry) => entry.format !== "k6-out-json"))("$file is $format", ({ folder, name, format }) => {
    const text = raw(folder, name);
    expect(detectReport(text, { file: name })).toEqual({ tool: folder, format });
    expect(KIND_FORMATS[folder]).toContain(format);
    const result = parseReport(folder, text, { file: name });
    expect(result.format).toBe(format);
    for (const finding of result.findings) expect(Finding.parse(finding)).toEqual(finding);
    if (format.endsWith("-sarif")) expect(parseReport("sarif", text, { file: name }).format).toBe(format);
  });

  it("recognises the k6 sample stream and turns it away as a report, naming the summary to pass instead", () => {
    const text = raw("k6", "out-json.ticket-reserve.ndjson");
    expect(isK6OutJson(text)).toBe(true);
    try {
      detectReport(text, { file: "output.json" });
      expect.unreachable("a sample stream is not a report");
    } catch (error) {
      expect(isPortcullisError(error) && [error.code, error.tool, error.fix]).toEqual([
        "REPORT_WRONG_TOOL",
        "k6",
        "pass the --summary-export (or handleSummary) file as --report k6=<file>; the sample stream only feeds the HTML report's charts",
      ]);
    }
  });

  it.each(entries.filter((entry) => entry.format !== "k6-out-json" && entry.folder !== "k6"))(
    "$file given as a k6 summary is refused, naming --report $folder",
    ({ folder, name }) => {
      expect(() => parseReport("k6", raw(folder, name), { file: name })).toThrow(
        expect.objectContaining({ code: "REPORT_WRONG_TOOL", fix: `pass it as --report ${folder}=${name}` }),
      );
    },
  );
});
