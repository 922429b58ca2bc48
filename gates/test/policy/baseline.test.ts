import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { SEVERITIES } from "../../src/findings/finding.js";
import { fingerprintsByLine, parseBaseline } from "../../src/policy/baseline.js";
import { Report } from "../../src/model/report.js";
import { renderJson } from "../../src/report/json.js";
import { cleanRuns, finding, input, ok } from "../evaluate/helpers.js";

/** The current schema (portcullis.report/v2, typed gate checks). */
const REPORT = readFileSync(new URL("../fixtures/policy/baseline-report.v2.json", import.meta.url), "utf8");
/** The same report as written before gate checks were typed (portcullis.report/v1). */
const REPORT_V1 = readFileSync(new URL("../fixtures/policy/baseline-report.json", import.meta.url), "utf8");
const FINGERPRINTS = new Set([
  "9d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a",
  "1a2b3c4d5e6f708192a3b4c5d6e7f809",
  "77aa88bb99cc00dd11ee22ff33aa44bb",
]);

function baselineError(text: string): string {
  try {
    parseBaseline(text, "base/report.json");
  } catch (error) {
    if (error instanceof ConfigError) return error.describe();
    throw error;
  }
  throw new Error("expected BASELINE_INVALID");
}

describe("parseBaseline", () => {
  it("the fixture is a current portcullis.report/v2 report; the v1 fixture is not", () => {
    expect(Report.safeParse(JSON.parse(REPORT)).error).toBeUndefined();
    expect(Report.safeParse(JSON.parse(REPORT_V1)).success).toBe(false);
  });

  const parsed = Report.parse(JSON.parse(REPORT));

  it("returns the fingerprint of every finding, whatever its status was", () => {
    expect(parseBaseline(REPORT, "report.json")).toEqual(FINGERPRINTS);
  });

  it("still reads a v1 report (text gate checks) as a baseline: the same fingerprints", () => {
    expect(parseBaseline(REPORT_V1, "report.json")).toEqual(FINGERPRINTS);
  });

  it("returns an empty set for a report without findings", () => {
    const clean = { ...parsed, findings: [] };
    expect(parseBaseline(JSON.stringify(clean), "report.json").size).toBe(0);
  });

  it.each([
    ["an empty file", "  \n"],
    ["truncated JSON", REPORT.slice(0, 200)],
    ["another tool's report", JSON.stringify({ SchemaVersion: 2, Results: [] })],
    ["a findings document", JSON.stringify({ schema: "portcullis.findings/v1", tool: "x", findings: [] })],
    [
      "a future report version",
      JSON.stringify({ ...Report.parse(JSON.parse(REPORT)), schema: "portcullis.report/v3" }),
    ],
    ["a v2 report whose findings lack fingerprints", REPORT.replaceAll('"fingerprint"', '"fingerprnt"')],
    ["a v1 report whose findings lack fingerprints", REPORT_V1.replaceAll('"fingerprint"', '"fingerprnt"')],
    ["a v2 report with v1 (text) gate checks", REPORT_V1.replace('"portcullis.report/v1"', '"portcullis.report/v2"')],
  ])("rejects %s with BASELINE_INVALID and the fix", (_name, text) => {
    const message = baselineError(text);
    expect(message).toMatch(/^\[BASELINE_INVALID\] base\/report\.json: /);
    expect(message).toContain("fix: pass a report.json written by `portcullis evaluate --out <dir>`");
  });

  it("says what it received", () => {
    expect(baselineError(JSON.stringify({ SchemaVersion: 2 }))).toMatchInlineSnapshot(
      `"[BASELINE_INVALID] base/report.json: expected a Portcullis report (schema "portcullis.report/v2" or "portcullis.report/v1"), received JSON without a schema field — fix: pass a report.json written by \`portcullis evaluate --out <dir>\` on the base branch"`,
    );
    expect(baselineError(REPORT.replace('"passed": false', '"passed": "no"'))).toMatchInlineSnapshot(
      `"[BASELINE_INVALID] base/report.json: not a valid portcullis.report/v2 report: passed: expected boolean, received string "no" — fix: pass a report.json written by \`portcullis evaluate --out <dir>\` on the base branch"`,
    );
  });
});

/** report.json as `evaluate --out` writes it, for `count` findings of the given severities. */
function writtenReport(severities: readonly (typeof SEVERITIES)[number][]): string {
  const findings = severities.map((severity) => finding("semgrep", { severity }));
  const runs = cleanRuns().map((run) => (run.run.kind === "semgrep" ? ok("semgrep", findings) : run));
  return renderJson(evaluate(input({ runs })).report);
}

describe("fingerprintsByLine: a report.json as Portcullis writes it, one finding line at a time", () => {
  it("gives what reading it whole gives, whatever the findings", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...SEVERITIES), { minLength: 1, maxLength: 40 }), (severities) => {
        const text = writtenReport(severities);
        const whole = new Set(Report.parse(JSON.parse(text)).findings.map((entry) => entry.fingerprint));
        expect(fingerprintsByLine(text.split("\n"))).toEqual(whole);
        expect(parseBaseline(text, "report.json")).toEqual(whole);
      }),
      { numRuns: 25 },
    );
  });

  it("reads Windows line ends too", () => {
    const text = writtenReport(["high", "low"]);
    expect(fingerprintsByLine(text.split("\n").map((line) => `${line}\r`))).toEqual(
      fingerprintsByLine(text.split("\n")),
    );
  });

  it("leaves any other layout, a v1 report and anything that does not pass to the whole read", () => {
    const text = writtenReport(["critical", "medium"]);
    const lines = text.split("\n");
    const findingLine = lines.findIndex((line) => line.startsWith('    {"tool":'));
    const broken = (at: number, replacement: string) => lines.map((line, index) => (index === at ? replacement : line));
    const cases = {
      "pretty-printed by another tool": REPORT.split("\n"),
      "a v1 report": REPORT_V1.split("\n"),
      "a finding line that is not JSON": broken(findingLine, '    {"tool":'),
      "a finding that fails the schema": broken(
        findingLine,
        (lines[findingLine] ?? "").replace(/"severity":"\w+"/, '"severity":"severe"'),
      ),
      "a missing comma between two findings": broken(findingLine, (lines[findingLine] ?? "").replace(/,$/, "")),
      "a comma after the last finding": broken(lines.indexOf("  ],") - 1, `${lines[lines.indexOf("  ],") - 1] ?? ""},`),
      "a second findings member, empty": broken(lines.lastIndexOf("}"), '  ,"findings": []\n}'),
      "an envelope that fails the schema": text.replace('"passed": false', '"passed": "no"').split("\n"),
      truncated: lines.slice(0, findingLine + 1),
    };
    for (const [name, candidate] of Object.entries(cases)) {
      expect({ name, read: fingerprintsByLine(candidate) }).toEqual({ name, read: undefined });
    }
    // Read whole, the same texts give BASELINE_INVALID naming the problem, or the same fingerprints.
    expect(baselineError(cases["an envelope that fails the schema"].join("\n"))).toContain("passed: expected boolean");
    expect(baselineError(cases["a finding that fails the schema"].join("\n"))).toContain("severity");
    for (const name of ["a missing comma between two findings", "a comma after the last finding"] as const) {
      expect(baselineError(cases[name].join("\n"))).toContain("not valid JSON");
    }
  });
});
