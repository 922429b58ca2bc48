import type * as Sarif from "sarif";
import type { Finding } from "../../src/findings/finding.js";
import { describe, expect, it } from "vitest";
import { isPortcullisError } from "../../src/errors.js";
import { evaluate, type RunInput } from "../../src/evaluate/evaluate.js";
import { GITHUB_LIMITS } from "../../src/report/limits.js";
import { SARIF_SCHEMA_URI, planSarif, renderSarif, withSarifNotices } from "../../src/report/sarif.js";
import type { Report } from "../../src/model/report.js";
import { parseReport } from "../../src/tools/index.js";
import { sarif } from "../../src/tools/sarif.js";
import { cleanRuns, finding, input, ok } from "../evaluate/helpers.js";
import { realisticReport } from "./realistic-report.js";

/** What the CLI hands over when parseReport throws. */
function parseFailure(kind: "trivy", raw: string): RunInput {
  const meta = { kind, label: "image", file: "reports/trivy.image.json" };
  try {
    return { run: meta, result: parseReport(kind, raw, { file: meta.file }) };
  } catch (error) {
    if (!isPortcullisError(error)) throw error;
    return { run: meta, error };
  }
}

/** Reads the SARIF output back as the SARIF types describe it, checking the shape on the way. */
function readSarif(text: string): Sarif.Log {
  const log: unknown = JSON.parse(text);
  if (typeof log !== "object" || log === null || !("runs" in log) || !Array.isArray(log.runs))
    throw new Error("not a SARIF log");
  return log as Sarif.Log;
}

/** The structural rules GitHub code scanning applies to an upload. */
function expectUploadable(log: Sarif.Log): void {
  expect(log.version).toBe("2.1.0");
  expect(log.$schema).toBe(SARIF_SCHEMA_URI);
  expect(log.runs.length).toBeLessThanOrEqual(GITHUB_LIMITS.sarifRunsPerFile);
  const ids = log.runs.map((run) => run.automationDetails?.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const run of log.runs) {
    expect(run.automationDetails?.id).toMatch(/^portcullis\/[a-z0-9._-]+\/[a-z0-9._-]+\/$/);
    const rules = run.tool.driver.rules ?? [];
    expect(rules.length).toBeLessThanOrEqual(GITHUB_LIMITS.sarifRulesPerRun);
    // What code scanning stores of a run (it rejects a run of more than 25,000).
    expect(run.results?.length ?? 0).toBeLessThanOrEqual(5_000);
    for (const rule of rules) {
      expect(rule.shortDescription?.text).not.toBe("");
      expect(rule.fullDescription?.text).not.toBe("");
      expect(rule.help?.text).not.toBe("");
      expect((rule.properties?.tags ?? []).length).toBeLessThanOrEqual(GITHUB_LIMITS.sarifTagsPerRule);
    }
    for (const result of run.results ?? []) {
      expect(result.message.text).not.toBe("");
      expect(rules[result.ruleIndex ?? -1]?.id).toBe(result.ruleId);
      expect(result.partialFingerprints?.["portcullis/v1"]).toMatch(/.+/);
      for (const location of result.locations ?? []) {
        const region = location.physicalLocation?.region;
        if (region !== undefined) expect(region.startLine).toBeGreaterThanOrEqual(1);
      }
    }
  }
}

describe("report.sarif", () => {
  it("is uploadable: one run per tool, rules referenced by index, fingerprints, levels", () => {
    const log = readSarif(renderSarif(realisticReport()));
    expectUploadable(log);
    expect(log.runs.map((run) => [run.tool.driver.name, run.automationDetails?.id, run.results?.length])).toEqual([
      ["portcullis-validate", "portcullis/development/portcullis-validate/", 2],
      ["gitleaks", "portcullis/development/gitleaks/", 1],
      ["trivy", "portcullis/development/trivy/", 3],
      ["semgrep", "portcullis/development/semgrep/", 3],
    ]);
  });

  it("gives tools whose names differ only in case or punctuation categories of their own, and links only web pages", () => {
    const custom = (tool: string, helpUri: string) =>
      finding("findings", { tool, kind: "sast", ruleId: `${tool}-rule`, helpUri });
    const runs = [
      ...cleanRuns(),
      ok(
        "findings",
        [custom("semgrep", "javascript:alert('src')"), custom("Semgrep", "https://example.com/rule")],
        {},
        {
          label: "custom",
        },
      ),
    ];
    const log = readSarif(renderSarif(evaluate(input({ runs })).report));
    expectUploadable(log);
    const byTool = new Map(log.runs.map((run) => [run.tool.driver.name, run]));
    expect([byTool.get("semgrep")?.automationDetails?.id, byTool.get("Semgrep")?.automationDetails?.id].sort()).toEqual(
      ["portcullis/staging/semgrep-2/", "portcullis/staging/semgrep/"],
    );
    const rule = (tool: string) => byTool.get(tool)?.tool.driver.rules?.find((entry) => entry.id === `${tool}-rule`);
    expect(rule("semgrep")?.helpUri).toBeUndefined();
    expect(rule("semgrep")?.help?.text).not.toContain("javascript:");
    expect(rule("Semgrep")?.helpUri).toBe("https://example.com/rule");
  });

  it("marks security rules with security-severity in GitHub's bands, and others without", () => {
    const log = readSarif(renderSarif(realisticReport()));
    const rule = (tool: string, id: string) =>
      log.runs
        .find((run) => run.tool.driver.name === tool)
        ?.tool.driver.rules?.find((candidate) => candidate.id === id);
    expect(rule("trivy", "CVE-2024-21538")?.properties).toEqual({
      tags: ["security", "vulnerability", "external/cwe/cwe-1333"],
      "security-severity": "9.5",
    });
    expect(rule("gitleaks", "aws-access-token")?.properties?.["security-severity"]).toBe("8.0");
    expect(rule("trivy", "DS-0002")?.properties?.["security-severity"]).toBe("5.5");
    expect(rule("portcullis-validate", "broken-reference")?.properties).toEqual({ tags: ["validation"] });
    expect(rule("trivy", "CVE-2024-21538")?.defaultConfiguration?.level).toBe("error");
    expect(rule("trivy", "DS-0002")?.defaultConfiguration?.level).toBe("warning");
  });

  it("writes suppressions for suppressed, waived and baseline findings, none for new ones", () => {
    const log = readSarif(renderSarif(realisticReport()));
    const results = log.runs.flatMap((run) => run.results ?? []);
    const byFingerprint = (fingerprint: string) =>
      results.find((result) => result.partialFingerprints?.["portcullis/v1"] === fingerprint);
    expect(byFingerprint("fp-sast-suppressed")?.suppressions).toEqual([
      { kind: "inSource", justification: "nosemgrep" },
    ]);
    expect(byFingerprint("fp-sast-waived")?.suppressions).toEqual([
      {
        kind: "external",
        status: "accepted",
        justification: "waived by security@example.org until 2026-05-20: legacy route, removed in the next sprint",
      },
    ]);
    expect(byFingerprint("fp-vuln-baseline")?.suppressions).toEqual([
      { kind: "external", status: "accepted", justification: "present in the baseline report" },
    ]);
    expect(byFingerprint("fp-vuln-critical")?.suppressions).toBeUndefined();
  });

  it("never writes the snippet of a secret finding, and keeps other snippets", () => {
    const log = readSarif(renderSarif(realisticReport()));
    const results = log.runs.flatMap((run) => run.results ?? []);
    const snippet = (fingerprint: string) =>
      results.find((result) => result.partialFingerprints?.["portcullis/v1"] === fingerprint)?.locations?.[0]
        ?.physicalLocation?.region?.snippet;
    expect(snippet("fp-secret-1")).toBeUndefined();
    expect(snippet("fp-sast-eval")).toEqual({ text: "eval(req.query.q)" });
  });

  it("writes each path as a URI a reader resolves to that file: `#`, `?` and `:` encoded, and reads it back", () => {
    const paths = ["samples/C#/Program.cs", "docs/why?.md", "note:1.md", "src/my file 100%.ts"];
    const findings = paths.map((where, index) =>
      finding("semgrep", { ruleId: `rule-${index}`, location: { path: where, startLine: 1 } }),
    );
    const { report } = evaluate(
      input({ runs: cleanRuns().map((run) => (run.run.kind === "semgrep" ? ok("semgrep", findings) : run)) }),
    );
    const text = renderSarif(report);
    const uris = readSarif(text)
      .runs.flatMap((run) => run.results ?? [])
      .map((result) => result.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? "");
    for (const uri of uris) expect(new URL(uri, "file:///repo/").hash + new URL(uri, "file:///repo/").search).toBe("");
    expect(uris.sort()).toEqual([
      "docs/why%3F.md",
      "note%3A1.md",
      "samples/C%23/Program.cs",
      "src/my%20file%20100%25.ts",
    ]);
    expect(
      sarif
        .parse(text)
        .findings.map((each) => each.location?.path)
        .sort(),
    ).toEqual([...paths].sort());
  });

  it("leaves out a tool whose report could not be used (an empty run would close its alerts), and says so", () => {
    const report = realisticReport();
    expect(readSarif(renderSarif(report)).runs.map((run) => run.tool.driver.name)).not.toContain("sarif");
    expect(report.notices).toContain("report.sarif has no sarif run: a sarif report could not be used");
  });

  it("leaves out the run of the tool behind an unreadable report, whatever the reader named in its error", () => {
    const unreadable = parseFailure("trivy", '{"SchemaVersion": 2, "Resul');
    const runs = [
      ...cleanRuns().filter((run) => run.run.kind !== "trivy"),
      ok("trivy", [finding("trivy")], {}, { label: "fs" }),
      unreadable,
    ];
    const report = withSarifNotices(evaluate(input({ runs })).report);
    expect(report.tools.at(-1)).toMatchObject({ kind: "trivy", tool: "trivy", error: { code: "REPORT_MALFORMED" } });
    expect(readSarif(renderSarif(report)).runs.map((run) => run.tool.driver.name)).not.toContain("trivy");
    expect(report.notices).toContain("report.sarif has no trivy run: a trivy report could not be used");
  });

  it("caps a run at the 5,000 results code scanning stores, keeping the most severe, and states the truncation in the run and the report", () => {
    const template = finding("semgrep", { severity: "medium" });
    const many: Finding[] = Array.from({ length: 5_005 }, (_, index) => ({
      ...template,
      ruleId: `rule-${index % 7}`,
      severity: index === 0 ? ("low" as const) : ("medium" as const),
      fingerprint: `fp-${index}`,
    }));
    many.push(finding("semgrep", { severity: "critical", fingerprint: "fp-critical" }));
    const report = withSarifNotices(
      evaluate(input({ runs: cleanRuns().map((run) => (run.run.kind === "semgrep" ? ok("semgrep", many) : run)) }))
        .report,
    );
    const log = readSarif(renderSarif(report));
    expectUploadable(log);
    const run = log.runs.find((candidate) => candidate.tool.driver.name === "semgrep");
    expect(run?.results).toHaveLength(5_000);
    expect(run?.results?.[0]?.partialFingerprints?.["portcullis/v1"]).toBe("fp-critical");
    expect(run?.results?.some((result) => result.partialFingerprints?.["portcullis/v1"] === "fp-0")).toBe(false);
    expect(run?.properties).toMatchObject({
      "portcullis/truncated": true,
      "portcullis/totalResults": 5_006,
      "portcullis/includedResults": 5_000,
    });
    expect(report.notices).toContain(
      "report.sarif: semgrep has 5006 results; only the 5000 most important are included (GitHub code scanning keeps at most 5000 per run); report.json has them all",
    );
  });

  it("keeps at most 20 runs", () => {
    const report = realisticReport();
    const tools = Array.from({ length: 25 }, (_, index) => ({
      ...report.tools[0]!,
      tool: `tool-${index}`,
      kind: "sarif" as const,
    }));
    const plan = planSarif({ tools, findings: [], verdicts: [] });
    expect(plan.filter((entry) => entry.omitted === undefined)).toHaveLength(20);
    expect(plan[24]?.omitted).toBe("GitHub accepts at most 20 runs per file");
  });

  it("reads back through the SARIF adapter: every result becomes one finding with its severity", () => {
    const report: Report = realisticReport();
    const parsed = sarif.parse(renderSarif(report));
    expect(parsed.findings).toHaveLength(report.findings.length);
    expect(parsed.toolErrors.filter((error) => error.level === "error")).toEqual([]);
    const severities = (list: readonly { severity: string }[]) => list.map((item) => item.severity).sort();
    expect(severities(parsed.findings)).toEqual(severities(report.findings));
  });
});
