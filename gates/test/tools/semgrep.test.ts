import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Finding, type Severity, type ToolResult } from "../../src/findings/finding.js";
import { SEMGREP_EXIT, SEMGREP_IMAGE, SEMGREP_SEVERITY, semgrep, semgrepSpec } from "../../src/tools/semgrep.js";
import { anyValue, count, expectFastPathMatchesSchema, mostly } from "./fast-path.js";
import { failure } from "./failure.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/semgrep/${name}`, import.meta.url), "utf8");

function byRule(result: ToolResult, suffix: string): Finding {
  const found = result.findings.find((f) => f.ruleId.endsWith(suffix));
  if (found === undefined) throw new Error(`no finding for rule *${suffix}`);
  return found;
}

describe("semgrep image, severities and exit codes", () => {
  it("pins a 1.x release tag whose version matches", () => {
    expect(SEMGREP_IMAGE.ref).toMatch(/^semgrep\/semgrep:1\.\d+\.\d+$/);
    expect(SEMGREP_IMAGE.ref.endsWith(`:${SEMGREP_IMAGE.version}`)).toBe(true);
  });

  it.each<[string, Severity]>([
    ["ERROR", "high"],
    ["WARNING", "medium"],
    ["INFO", "low"],
    ["CRITICAL", "critical"],
    ["HIGH", "high"],
    ["MEDIUM", "medium"],
    ["LOW", "low"],
  ])("%s -> %s", (word, severity) => {
    expect(SEMGREP_SEVERITY[word]).toBe(severity);
  });

  it.each([
    [SEMGREP_EXIT.clean, "clean"],
    [SEMGREP_EXIT.findings, "findings"],
    [2, "error"],
    [4, "error"],
    [7, "error"],
    [13, "error"],
  ])("exit code %s means %s", (code, meaning) => {
    expect(semgrep.exitMeaning(code)).toBe(meaning);
  });
});

describe("semgrep argv", () => {
  it("names every rule set, writes JSON and SARIF, keeps metrics off and fails on findings", () => {
    expect(
      semgrep.argv.scan({
        configs: ["p/owasp-top-ten", ".semgrep/rules.yml"],
        jsonOutput: "/out/semgrep.json",
        sarifOutput: "/out/semgrep.sarif",
        targets: ["src", "lib"],
      }),
    ).toEqual([
      "scan",
      "--config",
      "p/owasp-top-ten",
      "--config",
      ".semgrep/rules.yml",
      "--json-output",
      "/out/semgrep.json",
      "--sarif-output",
      "/out/semgrep.sarif",
      "--metrics=off",
      "--disable-version-check",
      "--error",
      "src",
      "lib",
    ]);
  });

  it("scans the working directory by default and may skip SARIF", () => {
    expect(semgrep.argv.scan({ configs: ["rules/"], jsonOutput: "s.json" })).toEqual([
      "scan",
      "--config",
      "rules/",
      "--json-output",
      "s.json",
      "--metrics=off",
      "--disable-version-check",
      "--error",
      ".",
    ]);
  });

  it("refuses --config auto, no config, and values that look like options", () => {
    const scan = (configs: string[], targets?: string[]) => () =>
      semgrep.argv.scan({ configs, jsonOutput: "s.json", ...(targets === undefined ? {} : { targets }) });
    expect(failure(scan(["p/default", " Auto "]))).toMatchInlineSnapshot(
      `"[USAGE] semgrep --config auto is not allowed — fix: semgrep refuses \`--config auto\` with --metrics=off; name rule files or registry packs (p/default, p/owasp-top-ten) instead"`,
    );
    expect(failure(scan([]))).toMatchInlineSnapshot(
      `"[USAGE] semgrep needs at least one --config — fix: name rule files, a rules folder or registry packs such as p/default"`,
    );
    expect(failure(scan(["--dangerously-allow-arbitrary-code-execution-from-rules"]))).toMatchInlineSnapshot(
      `"[USAGE] semgrep config "--dangerously-allow-arbitrary-code-execution-from-rules" is empty or looks like an option — fix: give a path or registry name; prefix a file named with a dash with ./"`,
    );
    expect(failure(scan(["p/default"], ["--include=*.py"]))).toMatchInlineSnapshot(
      `"[USAGE] semgrep target "--include=*.py" is empty or looks like an option — fix: give a path or registry name; prefix a file named with a dash with ./"`,
    );
  });
});

describe("semgrep JSON", () => {
  const result = semgrep.parse(fixture("scan.json"), { file: "scan.json" });

  it("reads version, scanned files and every result as a valid sast finding", () => {
    expect(result.tool).toBe("semgrep");
    expect(result.format).toBe("semgrep-json");
    expect(result.toolVersion).toBe("1.163.0");
    expect(result.filesScanned).toBe(6);
    expect(result.findings).toHaveLength(5);
    for (const finding of result.findings) {
      expect(Finding.parse(finding)).toEqual(finding);
      expect(finding.kind).toBe("sast");
    }
  });

  it.each<[string, Severity]>([
    ["eval-detected", "medium"],
    ["formatted-sql-query", "high"],
    ["logging-fstring", "low"],
    ["tainted-sql-string", "critical"],
    ["generic-api-key", "low"],
  ])("%s is %s", (rule, severity) => {
    expect(byRule(result, rule).severity).toBe(severity);
  });

  it("says so when a run scanned no file: never silently a clean tree", () => {
    const empty = semgrep.parse(
      JSON.stringify({ version: "1.163.0", results: [], errors: [], paths: { scanned: [] } }),
      {
        file: "semgrep.json",
      },
    );
    expect(empty.toolErrors.map((error) => [error.level, error.code])).toEqual([["warning", "nothing-scanned"]]);
    expect(empty.toolErrors[0]?.message).toContain("diff-aware");
    // Results with no file listed contradict "nothing scanned": no such warning then.
    const listedNone = semgrep.parse(fixture("scan.json").replace(/"scanned":\s*\[[^\]]*\]/, '"scanned": []'), {
      file: "semgrep.json",
    });
    expect(listedNone.findings.length).toBeGreaterThan(0);
    expect(listedNone.toolErrors.filter((error) => error.code === "nothing-scanned")).toEqual([]);
    expect(result.toolErrors.filter((error) => error.code === "nothing-scanned")).toEqual([]);
  });

  it("normalises Windows paths and never uses 'requires login' as a snippet", () => {
    expect(byRule(result, "eval-detected").location).toEqual({
      path: "app/handlers/run.py",
      startLine: 10,
      startColumn: 5,
      endLine: 10,
      endColumn: 22,
    });
    expect(byRule(result, "eval-detected").snippet).toBeUndefined();
    expect(byRule(result, "generic-api-key").snippet).toBeUndefined();
    expect(byRule(result, "formatted-sql-query").snippet).toBe(
      '        cursor.execute("SELECT * FROM t WHERE id = %s" % uid)',
    );
  });

  it("collects CWE ids, references and the rule page; marks nosemgrep as an in-source suppression", () => {
    const evalFinding = byRule(result, "eval-detected");
    expect(evalFinding.references).toEqual([
      "CWE-95",
      "https://owasp.org/Top10/A03_2021-Injection",
      "https://semgrep.dev/r/python.lang.security.audit.eval-detected.eval-detected",
    ]);
    expect(evalFinding.helpUri).toBe("https://semgrep.dev/r/python.lang.security.audit.eval-detected.eval-detected");
    expect(byRule(result, "formatted-sql-query").references[0]).toBe("CWE-89");
    expect(byRule(result, "logging-fstring").suppression).toEqual({ kind: "inSource", reason: "nosemgrep" });
    expect(byRule(result, "formatted-sql-query").suppression).toBeUndefined();
  });

  it("surfaces every entry of errors[], string or tagged type, by level", () => {
    expect(result.toolErrors).toEqual([
      {
        level: "warning",
        message: 'Syntax error at line app\\legacy.py:3:\n `print "x"` was unexpected',
        code: "Syntax error (3)",
        path: "app/legacy.py",
      },
      {
        level: "warning",
        message: "Syntax error at line app/tpl.py:2:\n `{% if` was unexpected",
        code: "PartialParsing (3)",
        path: "app/tpl.py",
      },
      {
        level: "error",
        message: "semgrep-core exited with unexpected output while scanning web/big.min.js",
        code: "Fatal error (2)",
      },
      {
        level: "warning",
        message:
          "Incompatible rule rules.future:\n This rule requires upgrading Semgrep from version 1.163.0 to at least 2.0.0",
        code: "IncompatibleRule (0)",
      },
    ]);
  });

  it("fingerprints: semgrep's own id when real, rule and path when it says 'requires login'; both survive line moves", () => {
    const fingerprints = result.findings.map((f) => f.fingerprint);
    expect(new Set(fingerprints).size).toBe(5);
    const moved = fixture("scan.json").replace(/"line": (\d+)/g, (_m, line: string) => `"line": ${Number(line) + 7}`);
    expect(semgrep.parse(moved).findings.map((f) => f.fingerprint)).toEqual(fingerprints);
  });

  it("reads a clean run", () => {
    const clean = semgrep.parse(fixture("clean.json"));
    expect([clean.findings, clean.toolErrors, clean.filesScanned]).toEqual([[], [], 2]);
  });
});

describe("semgrep SARIF", () => {
  const result = semgrep.parse(fixture("scan.sarif"));
  const json = semgrep.parse(fixture("scan.json"));

  it("takes the level from the rule's defaultConfiguration and keeps nosemgrep suppressions", () => {
    expect(result.format).toBe("semgrep-sarif");
    expect(result.toolVersion).toBe("1.163.0");
    expect(result.findings.map((f) => [f.ruleId.split(".").pop(), f.severity, f.suppression?.kind])).toEqual([
      ["formatted-sql-query", "high", undefined],
      ["eval-detected", "medium", undefined],
      ["logging-fstring", "low", "inSource"],
    ]);
    expect(byRule(result, "eval-detected").snippet).toBeUndefined();
  });

  it("surfaces error and warning notifications, not notes", () => {
    expect(result.toolErrors).toEqual([
      {
        level: "warning",
        message: 'Semgrep OSS: Syntax error at line app/legacy.py:3:\n `print "x"` was unexpected',
        path: "app/legacy.py",
        code: "Syntax error",
      },
      {
        level: "error",
        message: "Semgrep OSS: semgrep-core exited with unexpected output while scanning web/big.min.js",
        code: "Fatal error",
      },
    ]);
  });

  it.each(["formatted-sql-query", "eval-detected", "logging-fstring"])(
    "%s has the same fingerprint as in the JSON report of the same run",
    (rule) => {
      expect(byRule(result, rule).fingerprint).toBe(byRule(json, rule).fingerprint);
    },
  );
});

describe("semgrep format detection", () => {
  it.each<[string, unknown, string | undefined]>([
    ["JSON", { version: "1.163.0", results: [], errors: [] }, "semgrep-json"],
    ["JSON without errors but with paths", { results: [], paths: { scanned: [] } }, "semgrep-json"],
    ["semgrep SARIF", { version: "2.1.0", runs: [{ tool: { driver: { name: "Semgrep" } } }] }, "semgrep-sarif"],
    ["gitleaks SARIF", { version: "2.1.0", runs: [{ tool: { driver: { name: "gitleaks" } } }] }, undefined],
    ["a gitleaks array", [], undefined],
    ["results alone", { results: [] }, undefined],
  ])("%s", (_name, document, format) => {
    expect(semgrep.detect(document)).toBe(format);
  });
});

describe("bad semgrep input", () => {
  const parse = (raw: string) => () => semgrep.parse(raw, { file: "semgrep.json" });

  it("names empty, truncated and foreign reports", () => {
    expect(failure(parse("\n"))).toMatchInlineSnapshot(
      `"[REPORT_EMPTY] semgrep.json: the semgrep report is empty; expected a semgrep JSON or SARIF report — fix: check that semgrep ran to completion and wrote its report; a clean run still writes one"`,
    );
    expect(failure(parse('{"version": "1.163.0", "results": [{"check_id": '))).toMatchInlineSnapshot(
      `"[REPORT_MALFORMED] semgrep.json: the semgrep report is not valid JSON (Unexpected end of JSON input); starts with "{\\"version\\": \\"1.163.0\\", \\"results\\":… — fix: the file is truncated or is not a semgrep JSON or SARIF report: re-run semgrep and let it finish writing"`,
    );
    expect(failure(parse("[]"))).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] semgrep.json: expected a semgrep JSON or SARIF report, got an empty JSON array (a clean gitleaks report) — fix: this looks like a gitleaks report: pass it as --report gitleaks=<file>, or give the semgrep report here"`,
    );
    expect(failure(parse('{"results": []}'))).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] semgrep.json: expected a semgrep JSON or SARIF report, got a JSON object with keys "results" — fix: pass a semgrep JSON or SARIF report here"`,
    );
  });

  it("names the field of a semgrep report of the wrong shape", () => {
    expect(failure(parse('{"results": [], "errors": "none"}'))).toMatchInlineSnapshot(
      `"[REPORT_INVALID] semgrep.json: errors: the semgrep report does not match the semgrep JSON report layout: errors: Invalid input: expected array, received string — fix: re-generate the report with semgrep; do not edit reports by hand"`,
    );
    expect(
      failure(
        parse(
          '{"results": [{"check_id": "r", "path": "a.py", "start": {"line": 1}, "extra": {"message": "m"}}], "errors": []}',
        ),
      ),
    ).toMatchInlineSnapshot(
      `"[REPORT_INVALID] semgrep.json: results.0.extra.severity: the semgrep report does not match the semgrep JSON report layout: results.0.extra.severity: Invalid input: expected string, received undefined — fix: re-generate the report with semgrep; do not edit reports by hand"`,
    );
    expect(failure(parse('{"results": [], "errors": [{"level": "warn", "type": 3}]}'))).toMatchInlineSnapshot(
      `"[REPORT_INVALID] semgrep.json: errors.0.type: the semgrep report does not match the semgrep JSON report layout: errors.0.type: Invalid input — fix: re-generate the report with semgrep; do not edit reports by hand"`,
    );
  });
});

describe("semgrep JSON fast check", () => {
  const position = mostly(
    fc.record({ line: mostly(count), col: mostly(count), offset: fc.nat() }, { requiredKeys: [] }),
  );
  const match = mostly(
    fc.record(
      {
        check_id: mostly(
          fc.oneof(
            { weight: 10, arbitrary: fc.constantFrom("js.rule", "py.rules.sqli") },
            { weight: 1, arbitrary: fc.constant("") },
          ),
        ),
        path: mostly(fc.constantFrom("src/a.ts", "src\\b.ts", "")),
        start: position,
        end: position,
        extra: mostly(
          fc.record(
            {
              message: mostly(fc.string()),
              severity: mostly(fc.constantFrom("ERROR", "WARNING", "INFO", "weird")),
              metadata: mostly(
                fc.record(
                  { cwe: mostly(fc.array(fc.string())), source: mostly(fc.webUrl()), shortlink: anyValue },
                  { requiredKeys: [] },
                ),
              ),
              fingerprint: mostly(fc.constantFrom("requires login", "abc123")),
              lines: mostly(fc.constantFrom("requires login", "eval(x)", "")),
              is_ignored: mostly(fc.boolean()),
            },
            // Required members are always written (`maybe` still makes them undefined or wrong).
            { requiredKeys: ["message", "severity"] },
          ),
        ),
      },
      { requiredKeys: ["check_id", "path", "start", "extra"] },
    ),
  );
  const report = fc.record(
    {
      version: mostly(fc.constantFrom("1.163.0")),
      results: mostly(fc.array(match, { minLength: 1, maxLength: 4 })),
      errors: mostly(
        fc.array(
          mostly(
            fc.record(
              {
                level: mostly(fc.constantFrom("warn", "error")),
                type: mostly(fc.constantFrom("Syntax error", ["PartialParsing", []])),
              },
              { requiredKeys: [] },
            ),
          ),
          { maxLength: 2 },
        ),
      ),
      paths: mostly(
        fc.record({ scanned: mostly(fc.array(mostly(fc.string()), { maxLength: 2 })) }, { requiredKeys: [] }),
      ),
    },
    { requiredKeys: ["results", "errors"] },
  );

  it("accepts only what the schema accepts, and builds the same findings from it", () => {
    expectFastPathMatchesSchema(semgrepSpec({ file: "semgrep.json" }), report);
  });
});
