import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Finding, type Severity, type ToolResult } from "../../src/findings/finding.js";
import { parseSarifDocument, sarif, sarifDriverNames, sarifFormat } from "../../src/tools/sarif.js";
import { severityFromScore } from "../../src/tools/sarif-result.js";
import { failure } from "./failure.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/sarif/${name}`, import.meta.url), "utf8");

/** The one-line description of the PortcullisError `run` throws. */
function byRuleAndLine(result: ToolResult, ruleId: string, line: number): Finding {
  const found = result.findings.find((f) => f.ruleId === ruleId && f.location?.startLine === line);
  if (found === undefined) throw new Error(`no finding ${ruleId}:${line}`);
  return found;
}

describe("severityFromScore (CVSS bands of security-severity)", () => {
  it.each<[number, Severity]>([
    [10, "critical"],
    [9.0, "critical"],
    [8.9, "high"],
    [7.0, "high"],
    [6.9, "medium"],
    [4.0, "medium"],
    [3.9, "low"],
    [0.1, "low"],
    [0, "info"],
  ])("%s -> %s", (score, severity) => {
    expect(severityFromScore(score)).toBe(severity);
  });
});

describe("generic SARIF (ExampleLint)", () => {
  const result = sarif.parse(fixture("generic.sarif"), { file: "generic.sarif" });

  it("reads the run as the driver's tool, skipping pass and baseline-absent results", () => {
    expect(result.tool).toBe("ExampleLint");
    expect(result.format).toBe("sarif");
    expect(result.toolVersion).toBe("0.9.0");
    expect(result.toolErrors).toEqual([]);
    expect(result.findings).toHaveLength(9);
    expect(result.findings.map((f) => f.location?.path)).not.toContain("src/old.js");
  });

  it.each<[string, number, Severity, string]>([
    ["EX001", 3, "critical", "rule security-severity 9.1"],
    ["EX002", 8, "high", "rule security-severity 7.0, no level"],
    ["EX003", 1, "medium", "numeric security-severity 4 beats level warning"],
    ["EX004", 2, "low", "security-severity 0.1"],
    ["EX005", 9, "info", "security-severity 0.0"],
    ["EX006", 4, "critical", "result security-severity 9.5 beats the rule's note"],
    ["EX006", 5, "low", "rule defaultConfiguration note"],
    ["EX007", 6, "medium", "no level anywhere: SARIF default warning"],
    ["EX008", 21, "high", "result level error"],
  ])("%s line %s is %s (%s)", (ruleId, line, severity) => {
    expect(byRuleAndLine(result, ruleId, line).severity).toBe(severity);
  });

  it("every finding is a valid strict Finding and every kind is sast", () => {
    for (const finding of result.findings) {
      expect(Finding.parse(finding)).toEqual(finding);
      expect(finding.kind).toBe("sast");
    }
  });

  it("decodes URIs, resolves artifact indexes and file URIs, strips ./", () => {
    expect(byRuleAndLine(result, "EX001", 3).location).toEqual({
      path: "src/run job.js",
      startLine: 3,
      endLine: 3,
      startColumn: 5,
      endColumn: 30,
    });
    expect(byRuleAndLine(result, "EX002", 8).location?.path).toBe("src/files.js");
    expect(byRuleAndLine(result, "EX008", 21).location?.path).toBe("C:/work/src/render.ts");
  });

  it("fills message templates, keeps the snippet, gathers CWE ids and the help URI", () => {
    const xss = byRuleAndLine(result, "EX008", 21);
    expect(xss.message).toBe("Value req.query.q flows into res.send().");
    expect(xss.title).toBe("Reflected XSS");
    expect(xss.snippet).toBe("res.send(req.query.q)");
    expect(xss.references).toEqual(["CWE-79", "CWE-116", "https://example.invalid/rules/EX008"]);
    expect(xss.helpUri).toBe("https://example.invalid/rules/EX008");
    expect(byRuleAndLine(result, "EX001", 3).references).toEqual(["CWE-78"]);
    expect(byRuleAndLine(result, "EX006", 5).title).toBe("PreferConst");
  });

  it("maps accepted suppressions and ignores rejected ones", () => {
    expect(byRuleAndLine(result, "EX003", 1).suppression).toEqual({
      kind: "external",
      reason: "legacy checksum, not a password",
    });
    expect(byRuleAndLine(result, "EX004", 2).suppression).toBeUndefined();
  });

  it("gives distinct fingerprints that survive line moves", () => {
    const fingerprints = result.findings.map((f) => f.fingerprint);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
    const moved = fixture("generic.sarif").replace(
      /"startLine": (\d+)/g,
      (_m, line: string) => `"startLine": ${Number(line) + 40}`,
    );
    expect(sarif.parse(moved).findings.map((f) => f.fingerprint)).toEqual(fingerprints);
  });
});

describe("tool problems inside a SARIF log", () => {
  it("surfaces failed executions, error and warning notifications, and a missing results array", () => {
    const result = sarif.parse(fixture("failed-run.sarif"));
    expect(result.findings).toEqual([]);
    expect(result.toolErrors).toEqual([
      {
        level: "error",
        message: "ExampleLint (run 0) wrote no results array: per SARIF 2.1.0 the tool did not produce results",
      },
      { level: "error", message: "ExampleLint reported executionSuccessful: false (exit code 2, configuration error)" },
      { level: "error", message: "ExampleLint: Unknown rule set 'strictest'.", code: "CFG01" },
      { level: "warning", message: "ExampleLint: Could not read file.", path: "src/vendor/big.js" },
    ]);
  });

  it.each([
    ["no runs", { version: "2.1.0", runs: [] }, "the SARIF log has no runs: no tool reported anything"],
    [
      "results: null",
      { version: "2.1.0", runs: [{ tool: { driver: { name: "X" } }, results: null }] },
      "X (run 0) wrote no results array: per SARIF 2.1.0 the tool did not produce results",
    ],
  ])("%s is a tool error, not a clean run", (_name, document, message) => {
    expect(parseSarifDocument(document).toolErrors).toEqual([{ level: "error", message }]);
  });
});

describe("trivy SARIF", () => {
  const result = sarif.parse(fixture("trivy-kinds.sarif"));

  it.each([
    ["CVE-2024-0001", "vulnerability", "unknown"],
    ["KSV-0014", "misconfiguration", "high"],
    ["aws-access-key-id", "secret", "critical"],
    ["left-pad:WTFPL", "license", "medium"],
  ])("%s is a %s finding of severity %s (trivy's own severity tag)", (ruleId, kind, severity) => {
    const finding = result.findings.find((f) => f.ruleId === ruleId);
    expect(finding?.kind).toBe(kind);
    expect(finding?.severity).toBe(severity);
  });

  it("reads the package of a vulnerability from trivy's message", () => {
    expect(result.tool).toBe("trivy");
    expect(result.format).toBe("trivy-sarif");
    expect(result.toolVersion).toBe("0.69.3");
    expect(result.findings.find((f) => f.ruleId === "CVE-2024-0001")?.package).toEqual({
      name: "libfoo",
      installed: "1.0.0",
      fixed: ["1.0.1", "1.1.0"],
    });
  });
});

describe("SARIF with several drivers", () => {
  const result = sarif.parse(fixture("multi-run.sarif"));

  it("files each finding under its own tool and redacts the gitleaks snippet", () => {
    expect(result.tool).toBe("sarif");
    expect(result.format).toBe("sarif");
    expect(result.findings.map((f) => [f.tool, f.kind, f.severity])).toEqual([
      ["ExampleLint", "sast", "high"],
      ["gitleaks", "secret", "high"],
    ]);
    expect(result.findings[1]?.snippet).toBe("REDACTED");
    expect(result.secrets).toEqual(["PLANTEDPLANTEDPLANTED"]);
    expect(JSON.stringify(result.findings)).not.toContain("PLANTEDPLANTEDPLANTED");
  });
});

describe("SARIF secrets beyond the snippet", () => {
  it("scrubs a secret from every text of its finding, the path included, and not the finding's own words", () => {
    const leaky = fixture("multi-run.sarif").replace('"uri": "b.env"', '"uri": "PLANTEDPLANTEDPLANTED/b.env"');
    const found = sarif.parse(leaky).findings.find((f) => f.tool === "gitleaks");
    expect(found).toMatchObject({ kind: "secret", severity: "high", location: { path: "REDACTED/b.env" } });
    expect(JSON.stringify(found)).not.toContain("PLANTEDPLANTEDPLANTED");
  });
});

describe("SARIF rule ids", () => {
  it("takes an empty rule id for none: the rule the index names, else unidentified-rule", () => {
    const log = JSON.parse(fixture("multi-run.sarif")) as {
      runs: { results: { ruleId?: string; ruleIndex?: number }[] }[];
    };
    const [lint, leaks] = log.runs;
    for (const result of lint?.results ?? []) result.ruleId = "";
    for (const result of leaks?.results ?? []) Object.assign(result, { ruleId: "", ruleIndex: 0 });
    const found = sarif.parse(JSON.stringify(log)).findings;
    expect(found.map((f) => f.ruleId)).toEqual(["unidentified-rule", "generic-api-key"]);
    for (const each of found) expect(Finding.parse(each)).toEqual(each);
  });
});

describe("sarifDriverNames and sarifFormat", () => {
  const multi: unknown = JSON.parse(fixture("multi-run.sarif"));
  it.each<[string, unknown, string[], string | undefined]>([
    ["two drivers", multi, ["ExampleLint", "gitleaks"], "sarif"],
    [
      "one semgrep run",
      { version: "2.1.0", runs: [{ tool: { driver: { name: "Semgrep OSS" } } }] },
      ["Semgrep OSS"],
      "semgrep-sarif",
    ],
    [
      "a run without a driver",
      { version: "2.1.0", runs: [{ tool: { driver: { name: "Trivy" } } }, {}] },
      ["Trivy"],
      "trivy-sarif",
    ],
    ["$schema without version", { $schema: "https://json.schemastore.org/sarif-2.1.0.json", runs: [] }, [], "sarif"],
    ["an empty object", {}, [], undefined],
    ["a gitleaks array", [], [], undefined],
    ["runs not an array", { version: "2.1.0", runs: "x" }, [], undefined],
    ["null", null, [], undefined],
  ])("%s", (_name, document, names, format) => {
    expect(sarifDriverNames(document)).toEqual(names);
    expect(sarifFormat(document)).toBe(format);
    expect(sarif.detect(document)).toBe(format);
  });
});

describe("bad SARIF input", () => {
  const parse = (raw: string) => () => sarif.parse(raw, { file: "scan.sarif" });

  it("names empty, truncated and foreign input", () => {
    expect(failure(parse(" \n"))).toMatchInlineSnapshot(
      `"[REPORT_EMPTY] scan.sarif: the SARIF report is empty; expected a SARIF 2.1.0 log — fix: check that the tool that wrote it ran to completion and wrote its report; a clean run still writes one"`,
    );
    expect(failure(parse('{"version": "2.1.0", "runs": [{"tool": '))).toMatchInlineSnapshot(
      `"[REPORT_MALFORMED] scan.sarif: the SARIF report is not valid JSON (Unexpected end of JSON input); starts with "{\\"version\\": \\"2.1.0\\", \\"runs\\": [{\\"… — fix: the file is truncated or is not a SARIF 2.1.0 log: re-run the tool that wrote it and let it finish writing"`,
    );
    expect(failure(parse("{}"))).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] scan.sarif: expected a SARIF 2.1.0 log, got an empty JSON object — fix: pass a SARIF 2.1.0 log here"`,
    );
    expect(failure(parse('[{"RuleID": "jwt"}]'))).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] scan.sarif: expected a SARIF 2.1.0 log, got a gitleaks JSON report — fix: this looks like a gitleaks report: pass it as --report gitleaks=<file>, or give the SARIF report here"`,
    );
  });

  it("names the JSON path of a SARIF document of the wrong shape", () => {
    expect(failure(parse('{"version": "2.0.0", "runs": []}'))).toMatchInlineSnapshot(
      `"[REPORT_INVALID] scan.sarif: version: the SARIF report does not match the SARIF 2.1.0 log layout: version: Invalid input: expected "2.1.0" — fix: re-generate the report with the tool that wrote it; do not edit reports by hand"`,
    );
    expect(failure(parse('{"version": "2.1.0", "runs": [{"results": []}]}'))).toMatchInlineSnapshot(
      `"[REPORT_INVALID] scan.sarif: runs.0.tool: the SARIF report does not match the SARIF 2.1.0 log layout: runs.0.tool: Invalid input: expected object, received undefined — fix: re-generate the report with the tool that wrote it; do not edit reports by hand"`,
    );
    expect(
      failure(
        parse(
          '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "X"}}, "results": [{"level": "fatal", "message": {"text": "m"}}]}]}',
        ),
      ),
    ).toMatchInlineSnapshot(
      `"[REPORT_INVALID] scan.sarif: runs.0.results.0.level: the SARIF report does not match the SARIF 2.1.0 log layout: runs.0.results.0.level: Invalid option: expected one of "none"|"note"|"warning"|"error" — fix: re-generate the report with the tool that wrote it; do not edit reports by hand"`,
    );
  });
});

describe("exit codes of SARIF producers", () => {
  it.each([
    [0, "clean"],
    [1, "findings"],
    [2, "error"],
    [137, "error"],
  ])("%s -> %s", (code, meaning) => {
    expect(sarif.exitMeaning(code)).toBe(meaning);
  });
});
