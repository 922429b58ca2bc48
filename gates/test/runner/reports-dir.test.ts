import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REPORT_KINDS } from "../../src/model/report.js";
import {
  exitCodeFileName,
  parseExitCode,
  parseReportFileName,
  planReportDir,
  reportFileName,
} from "../../src/runner/reports-dir.js";

describe("parseReportFileName", () => {
  it.each([
    ["trivy.json", { kind: "trivy", label: undefined, role: "report", extension: "json" }],
    ["trivy.image.json", { kind: "trivy", label: "image", role: "report", extension: "json" }],
    ["semgrep.sarif", { kind: "semgrep", label: undefined, role: "report", extension: "sarif" }],
    ["sarif.codeql-js.sarif", { kind: "sarif", label: "codeql-js", role: "report", extension: "sarif" }],
    ["gitleaks.exitcode", { kind: "gitleaks", label: undefined, role: "exitcode" }],
    ["trivy.fs.exitcode", { kind: "trivy", label: "fs", role: "exitcode" }],
  ])("reads %s", (name, expected) => {
    expect(parseReportFileName(name)).toEqual(expected);
  });

  it.each([
    "report.json",
    "trivy",
    "trivy.txt",
    "trivy.a.b.json",
    "trivy.Image.json",
    "trivy..json",
    "sbom.cdx.json",
    "Trivy.json",
    "k6.json.bak",
  ])("rejects %s", (name) => {
    expect(parseReportFileName(name)).toBeUndefined();
  });

  it("round-trips every kind and label through the file names it writes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...REPORT_KINDS),
        fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,12}$/), { nil: undefined }),
        fc.constantFrom("json" as const, "sarif" as const),
        (kind, label, extension) => {
          expect(parseReportFileName(reportFileName({ kind, label }, extension))).toEqual({
            kind,
            label,
            role: "report",
            extension,
          });
          expect(parseReportFileName(exitCodeFileName({ kind, label }))).toEqual({ kind, label, role: "exitcode" });
        },
      ),
      { seed: 42 },
    );
  });
});

describe("planReportDir", () => {
  it("groups reports with their exit codes, prefers .json over .sarif and lists the rest", () => {
    const plan = planReportDir([
      "semgrep.sarif",
      "semgrep.json",
      "semgrep.exitcode",
      "trivy.image.json",
      "trivy.fs.json",
      "gitleaks.exitcode",
      "report.json",
      "sbom.cdx.json",
    ]);
    expect(plan.entries).toEqual([
      { kind: "gitleaks", label: undefined, report: undefined, exitCodeFile: "gitleaks.exitcode" },
      { kind: "semgrep", label: undefined, report: "semgrep.json", exitCodeFile: "semgrep.exitcode" },
      { kind: "trivy", label: "fs", report: "trivy.fs.json", exitCodeFile: undefined },
      { kind: "trivy", label: "image", report: "trivy.image.json", exitCodeFile: undefined },
    ]);
    expect(plan.ignored).toEqual([
      { file: "report.json", reason: "not named <kind>[.<label>].json|.sarif|.exitcode|.log" },
      { file: "sbom.cdx.json", reason: "not named <kind>[.<label>].json|.sarif|.exitcode|.log" },
      { file: "semgrep.sarif", reason: "duplicate of semgrep.json (one report per <kind>[.<label>])" },
    ]);
  });

  it("takes a log only for a tool whose adapter reads it, and only beside its report or exit code", () => {
    const plan = planReportDir([
      "trivy.fs.json",
      "trivy.fs.log",
      "trivy.image.log",
      "k6.json",
      "k6.log",
      "semgrep.log",
    ]);
    expect(plan.entries).toEqual([
      { kind: "k6", label: undefined, report: "k6.json", exitCodeFile: undefined, logFile: undefined },
      { kind: "trivy", label: "fs", report: "trivy.fs.json", exitCodeFile: undefined, logFile: "trivy.fs.log" },
    ]);
    expect(plan.ignored).toEqual([
      { file: "k6.log", reason: "not named <kind>[.<label>].json|.sarif|.exitcode|.log" },
      { file: "semgrep.log", reason: "not named <kind>[.<label>].json|.sarif|.exitcode|.log" },
      { file: "trivy.image.log", reason: "a tool's log with no report or exit code beside it" },
    ]);
  });

  it("does not depend on the listing order", () => {
    const names = ["semgrep.sarif", "semgrep.json", "k6.json", "k6.exitcode", "notes.txt", "trivy.image.sarif"];
    fc.assert(
      fc.property(fc.shuffledSubarray(names, { minLength: names.length }), (shuffled) => {
        expect(planReportDir(shuffled)).toEqual(planReportDir(names));
      }),
      { seed: 7 },
    );
  });

  it("is empty for an empty directory", () => {
    expect(planReportDir([])).toEqual({ entries: [], ignored: [] });
  });
});

describe("parseExitCode", () => {
  it.each([
    ["0", 0],
    ["1\n", 1],
    ["  137 \n", 137],
    ["-1", -1],
    ["", undefined],
    ["one", undefined],
    ["1.5", undefined],
    ["0x1", undefined],
  ])("%j -> %s", (text, expected) => {
    expect(parseExitCode(text)).toBe(expected);
  });
});
