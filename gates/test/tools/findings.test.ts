import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPortcullisError } from "../../src/errors.js";
import { Finding } from "../../src/findings/finding.js";
import { FINDINGS_EXIT, findingsFormat } from "../../src/tools/findings.js";
import { failure } from "./failure.js";

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/findings/${name}`, import.meta.url), "utf8");

describe("portcullis.findings/v1 adapter", () => {
  it("reads a validate run: tool, version, files scanned, findings and tool errors as written", () => {
    const document: unknown = JSON.parse(fixture("validate.json"));
    const result = findingsFormat.parse(fixture("validate.json"), { file: "validate.json" });
    expect(result).toMatchObject({
      tool: "portcullis-validate",
      format: "portcullis-findings",
      toolVersion: "0.1.0",
      filesScanned: 42,
      toolErrors: [{ level: "warning", message: "docs/legacy.md is not valid UTF-8; skipped", path: "docs/legacy.md" }],
      secrets: [],
    });
    expect(result.findings).toEqual(
      typeof document === "object" && document !== null && "findings" in document ? document.findings : undefined,
    );
    for (const finding of result.findings) expect(Finding.parse(finding)).toEqual(finding);
  });

  it("redacts a secret snippet its producer left in clear, and keeps the value for the final scrub", () => {
    const result = findingsFormat.parse(fixture("secret.unredacted.json"));
    expect(result.findings.map((finding) => finding.snippet)).toEqual(["REDACTED", "ACME_KEY=REDACTED"]);
    expect(result.secrets).toEqual(["ACME_KEY=acme_live_PLANTEDplantedPLANTED"]);
    expect(JSON.stringify(result.findings)).not.toContain("PLANTED");
  });

  it.each([
    [0, "clean"],
    [FINDINGS_EXIT.findings, "findings"],
    [2, "error"],
    [70, "error"],
  ])("exit code %s means %s", (code, meaning) => {
    expect(findingsFormat.exitMeaning(code)).toBe(meaning);
  });

  it.each([
    [{ schema: "portcullis.findings/v1" }, "portcullis-findings"],
    [{ schema: "portcullis.findings/v2" }, "portcullis-findings"],
    [{ schema: "portcullis.report/v1" }, undefined],
    [{ SchemaVersion: 2 }, undefined],
    [[], undefined],
  ])("detect(%o) -> %s", (document, format) => {
    expect(findingsFormat.detect(document)).toBe(format);
  });

  it("checks its own format strictly and names the offending path", () => {
    const unknownKey = fixture("validate.json").replace(
      '"ruleId": "broken-reference",',
      '"ruleId": "broken-reference", "rule": "x",',
    );
    expect(failure(() => findingsFormat.parse(unknownKey, { file: "validate.json" }))).toMatchInlineSnapshot(
      `"[REPORT_INVALID] validate.json: findings.0.rule: the findings report does not match the Portcullis findings document (portcullis.findings/v1) layout: findings.0.rule: unknown key — fix: re-generate the report with portcullis validate (or the tool that wrote it); do not edit reports by hand"`,
    );
    const future = fixture("validate.json").replace("portcullis.findings/v1", "portcullis.findings/v2");
    expect(failure(() => findingsFormat.parse(future, { file: "validate.json" }))).toMatchInlineSnapshot(
      `"[REPORT_INVALID] validate.json: schema: unsupported findings format "portcullis.findings/v2": this Portcullis reads portcullis.findings/v1 — fix: upgrade Portcullis, or have the producer write portcullis.findings/v1"`,
    );
    const badSeverity = fixture("validate.json").replace('"severity": "low"', '"severity": "minor"');
    expect(failure(() => findingsFormat.parse(badSeverity, { file: "validate.json" }))).toMatchInlineSnapshot(
      `"[REPORT_INVALID] validate.json: findings.1.severity: the findings report does not match the Portcullis findings document (portcullis.findings/v1) layout: findings.1.severity: Invalid option: expected one of "critical"|"high"|"medium"|"low"|"info"|"unknown" — fix: re-generate the report with portcullis validate (or the tool that wrote it); do not edit reports by hand"`,
    );
  });

  it("refuses empty, broken and foreign documents", () => {
    expect(failure(() => findingsFormat.parse("", { file: "validate.json" }))).toMatchInlineSnapshot(
      `"[REPORT_EMPTY] validate.json: the findings report is empty; expected a Portcullis findings document (portcullis.findings/v1) — fix: check that portcullis validate (or the tool that wrote it) ran to completion and wrote its report; a clean run still writes one"`,
    );
    expect(
      failure(() => findingsFormat.parse(fixture("validate.json").slice(0, 300), { file: "validate.json" })),
    ).toMatch(/^\[REPORT_MALFORMED\] validate\.json: /);
    expect(
      failure(() => findingsFormat.parse('{"runs":[],"version":"2.1.0"}', { file: "validate.json" })),
    ).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] validate.json: expected a Portcullis findings document (portcullis.findings/v1), got a SARIF log without named runs — fix: this looks like a sarif report: pass it as --report sarif=<file>, or give the findings report here"`,
    );
  });

  it("turns mutated documents into valid findings or a typed error, never anything else", () => {
    const raw = fixture("secret.unredacted.json");
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom("x", "}", '"', "1", " "),
        fc.boolean(),
        (at, char, cut) => {
          const index = Math.floor(at * raw.length);
          const mutated = cut ? raw.slice(0, index) : raw.slice(0, index) + char + raw.slice(index + 1);
          try {
            const result = findingsFormat.parse(mutated);
            for (const finding of result.findings) expect(Finding.parse(finding)).toEqual(finding);
            expect(JSON.stringify(result.findings)).not.toContain("acme_live_PLANTED");
          } catch (error) {
            expect(isPortcullisError(error) && error.name).toBe("ReportError");
          }
        },
      ),
      { seed: 31, numRuns: 300 },
    );
  });
});
