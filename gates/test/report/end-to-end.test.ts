import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { inspectSbom, type CollectedCompliance } from "../../src/compliance/checks.js";
import { defaultControls } from "../../src/compliance/controls.js";
import { isPortcullisError } from "../../src/errors.js";
import { evaluate, type RunInput } from "../../src/evaluate/evaluate.js";
import { parseBaseline } from "../../src/policy/baseline.js";
import { parsePolicy, policyHash } from "../../src/policy/parse-policy.js";
import { findWaiver, parseWaivers } from "../../src/policy/waivers.js";
import { renderAnnotations } from "../../src/report/annotations.js";
import { renderHtml } from "../../src/report/html.js";
import { renderJson } from "../../src/report/json.js";
import { renderJunit } from "../../src/report/junit.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { renderSarif } from "../../src/report/sarif.js";
import { Report, type ReportKind } from "../../src/model/report.js";
import { renderText } from "../../src/report/text.js";
import { parseReport, reportExitMeaning, sarif } from "../../src/tools/index.js";
import { checkLabel, checkLimitText, checkMeasuredText } from "../../src/model/check-text.js";

/**
 * From raw tool reports (small fixtures in the real formats) through the real parsers, the real
 * staging policy and the waivers parser to every output.
 */

const FIXTURES = fileURLToPath(new URL("../fixtures/report/", import.meta.url));
const STAGING = fileURLToPath(new URL("../../../environments/staging.yml", import.meta.url));
const NOW = new Date("2026-05-04T10:00:00.000Z");
/** The secret in gitleaks.json and, unmasked, in trivy.json. */
const PLANTED = "e2ePlantedKey7Qx9Wm2Lp5Zr8Tn4";

const WAIVERS = `waivers:
  - id: W-1
    rule: DS-0002
    path: Dockerfile
    reason: the base image drops to a non-root user in the entrypoint
    approver: platform@example.org
    approved: "2026-05-01"
    expires: "2026-05-25"
`;

/** What the collector would gather from a tidy repository: an SBOM, the required files, a least-privilege workflow. */
const COMPLIANCE: CollectedCompliance = {
  controls: defaultControls(),
  sbom: inspectSbom(
    '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"qs"}]}',
    "sbom.cdx.json",
  ),
  repository: {
    files: new Set(["README.md", "CHANGELOG.md", "SECURITY.md", ".github/CODEOWNERS"]),
    changedFiles: ["CHANGELOG.md", "src/app.js"],
  },
  workflows: [
    {
      path: ".github/workflows/ci.yml",
      text: "on: push\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
    },
  ],
};

const SarifNames = z.object({
  runs: z.array(z.object({ tool: z.object({ driver: z.object({ name: z.string() }) }) })),
});

function run(kind: ReportKind, exitCode?: number): RunInput {
  const file = `${FIXTURES}${kind}.json`;
  const meta = { kind, file: `reports/${kind}.json`, ...(exitCode === undefined ? {} : { exitCode }) };
  try {
    return { run: meta, result: parseReport(kind, readFileSync(file, "utf8"), { file: meta.file }) };
  } catch (error) {
    if (isPortcullisError(error)) return { run: meta, error };
    throw error;
  }
}

function judge(baseline?: ReadonlySet<string>, gitleaks: RunInput = run("gitleaks", 42)) {
  const policy = parsePolicy(readFileSync(STAGING, "utf8"), "environments/staging.yml");
  const waivers = parseWaivers(WAIVERS, ".portcullis/waivers.yml", { now: NOW, maxDays: policy.waivers.max_days });
  return evaluate({
    policy,
    policyHash: policyHash(policy),
    environment: "staging",
    runs: [run("validate"), gitleaks, run("trivy", 0), run("semgrep", 1), run("k6", 0)],
    waivers: { waivers: waivers.waivers, problems: waivers.problems, find: findWaiver },
    baseline,
    bypasses: [],
    commit: "0123456789abcdef0123456789abcdef01234567",
    now: NOW,
    timings: {},
    exitMeaning: reportExitMeaning,
    compliance: COMPLIANCE,
  });
}

function renderAll(report: Report): Record<string, string> {
  return {
    "report.json": renderJson(report),
    "report.sarif": renderSarif(report),
    "summary.md": renderMarkdown(report),
    "junit.xml": renderJunit(report),
    annotations: renderAnnotations(report),
    text: renderText(report, { color: true }),
    "report.html": renderHtml(report),
  };
}

describe("end to end: raw reports -> parsers -> evaluate -> every output", () => {
  const { report } = judge();

  it("judges the staging policy as a person reading the reports would", () => {
    expect(report.tools.map((tool) => [tool.kind, tool.format, tool.error?.code])).toEqual([
      ["validate", "portcullis-findings", undefined],
      ["gitleaks", "gitleaks-json", undefined],
      ["trivy", "trivy-json", undefined],
      ["semgrep", "semgrep-json", undefined],
      ["k6", "k6-summary-export", undefined],
    ]);
    expect(
      Object.fromEntries(report.verdicts.map((verdict) => [verdict.gate, [verdict.status, verdict.blocking]])),
    ).toEqual({
      framework_integrity: ["fail", true],
      documentation: ["fail", false],
      secrets: ["fail", true],
      vulnerabilities: ["fail", true],
      sast: ["warn", false],
      performance: ["pass", false],
      compliance: ["pass", false],
    });
    expect(report.passed).toBe(false);
    expect(report.compliance?.controls.map((control) => `${control.id} ${control.status}`)).toEqual([
      "gates-evaluated pass",
      "no-mandatory-bypass pass",
      "waivers-approved pass",
      "sbom-present pass",
      "licence-policy pass",
      "repository-files pass",
      "workflow-permissions pass",
      "ledger-intact pass",
    ]);
  });

  it("counts the secret once although gitleaks and trivy both report it", () => {
    const secretsGate = report.verdicts.find((verdict) => verdict.gate === "secrets");
    expect(report.findings.filter((finding) => finding.gate === "secrets").map((finding) => finding.tool)).toEqual([
      "gitleaks",
    ]);
    expect(secretsGate?.evidence.counted.high).toBe(1);
  });

  it("applies the waiver, keeps the waived finding visible, and counts unknown severity apart", () => {
    expect(report.findings.find((finding) => finding.ruleId === "DS-0002")).toMatchObject({
      status: "waived",
      gate: "sast",
    });
    expect(report.waivers).toEqual([expect.objectContaining({ id: "W-1", matched: 1 })]);
    expect(report.verdicts.find((verdict) => verdict.gate === "vulnerabilities")?.evidence.counted).toMatchObject({
      critical: 1,
      unknown: 1,
      low: 0,
    });
  });

  it("compares the k6 metrics with the policy", () => {
    const performance = report.verdicts.find((verdict) => verdict.gate === "performance");
    expect(
      performance?.evidence.checks
        .slice(0, 5)
        .map((check) => `${checkLabel(check)} ${checkMeasuredText(check)} ${checkLimitText(check)}`),
    ).toEqual([
      "http_reqs count 2400 ≥ 100",
      "http_req_duration p(95) 121.6ms ≤ 200ms",
      "http_req_duration p(99) 302.4ms ≤ 500ms",
      "http_req_failed rate 0 ≤ 0.001",
      "checks rate 1 ≥ 0.99",
    ]);
  });

  it("lets no byte of the planted secret into any output", () => {
    // The parsers saw it: gitleaks in its Secret, trivy unmasked in its Match.
    for (const kind of ["gitleaks", "trivy"] as const) {
      const parsed = run(kind);
      const seen = "result" in parsed ? parsed.result.secrets : [];
      expect(
        seen.some((secret) => secret.includes(PLANTED)),
        kind,
      ).toBe(true);
    }
    for (const [name, output] of Object.entries(renderAll(report))) {
      expect(output, name).not.toContain(PLANTED);
      expect(output.length, name).toBeGreaterThan(0);
    }
  });

  it("writes a report.json that is a valid baseline: judged against it, nothing is new", () => {
    const json = renderJson(report);
    expect(Report.safeParse(JSON.parse(json)).success).toBe(true);
    const again = judge(parseBaseline(json, "baseline/report.json")).report;
    expect(again.findings.filter((finding) => finding.status === "new")).toEqual([]);
    expect(again.verdicts.map((verdict) => verdict.status)).toEqual([
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
    ]);
    expect(again.passed).toBe(true);
  });

  it("writes SARIF that the SARIF adapter reads back, one run per scanner", () => {
    const parsed = sarif.parse(renderSarif(report));
    expect(parsed.findings).toHaveLength(report.findings.length);
    const log = SarifNames.parse(JSON.parse(renderSarif(report)));
    expect(log.runs.map((entry) => entry.tool.driver.name)).toEqual([
      "portcullis-validate",
      "gitleaks",
      "trivy",
      "semgrep",
    ]);
  });
});

describe("end to end: a secret that is also a word of the outputs' own", () => {
  /** One gitleaks leak of `secret`, as gitleaks writes it without --redact. */
  function leakOf(secret: string): RunInput {
    const leak = {
      RuleID: "generic-api-key",
      Description: "Generic API Key",
      StartLine: 3,
      EndLine: 3,
      StartColumn: 1,
      EndColumn: 20,
      Match: `"${secret}"`,
      Secret: secret,
      File: "app/config.py",
      Commit: "",
      Entropy: 2,
      Tags: [],
      Fingerprint: "app/config.py:generic-api-key:3",
    };
    const meta = { kind: "gitleaks" as const, file: "reports/gitleaks.json", exitCode: 42 };
    return { run: meta, result: parseReport("gitleaks", JSON.stringify([leak]), { file: meta.file }) };
  }

  const clean = judge().report;
  const sarifLog: unknown = JSON.parse(renderSarif(clean));
  const junit = renderJunit(clean);
  const junitNames = (xml: string) =>
    new Set([...xml.matchAll(/<\/?([\w-]+)|\s([\w-]+)=/g)].map((match) => match[1] ?? match[2]));
  /**
   * The words no secret may rewrite: the report schema's keys, enum and literal values (read from
   * the schema itself), report.sarif's keys and junit.xml's element and attribute names. Four
   * characters or more: shorter values are never scrubbed.
   */
  const ownWords = [
    ...new Set([...schemaWords(z.toJSONSchema(Report)), ...jsonKeys(sarifLog), ...junitNames(junit)]),
  ].filter((word): word is string => word !== undefined && word.length >= 4);

  it("finds the words in the real schema and outputs", () => {
    expect(ownWords).toEqual(expect.arrayContaining(["passed", "pass", "high", "title", "secrets", "gitleaks"]));
    expect(ownWords).toEqual(expect.arrayContaining(["results", "ruleId", "testsuite", "testcase", "failure"]));
    expect(ownWords.length).toBeGreaterThan(150);
  });

  it("scrubs the secret from the data and leaves every format whole", () => {
    for (const word of ownWords) {
      const { report } = judge(undefined, leakOf(word));
      const leak = report.findings.find((finding) => finding.ruleId === "generic-api-key");
      expect(leak?.snippet, word).toBe('"REDACTED"');
      const outputs = renderAll(report);
      expect(Report.safeParse(JSON.parse(outputs["report.json"] ?? "")).success, word).toBe(true);
      expect(sarif.parse(outputs["report.sarif"] ?? "").findings, word).toHaveLength(report.findings.length);
      expect(junitNames(outputs["junit.xml"] ?? ""), word).toEqual(junitNames(junit));
      expect(outputs["text"], word).toContain("secrets");
    }
  });
});

/** Every object key, enum value and constant in a JSON Schema. */
function schemaWords(schema: unknown): string[] {
  if (Array.isArray(schema)) return schema.flatMap(schemaWords);
  if (schema === null || typeof schema !== "object") return [];
  const words: string[] = [];
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (key === "properties" && value !== null && typeof value === "object") words.push(...Object.keys(value));
    if (key === "enum" && Array.isArray(value))
      words.push(...value.filter((item: unknown): item is string => typeof item === "string"));
    if (key === "const" && typeof value === "string") words.push(value);
    words.push(...schemaWords(value));
  }
  return words;
}

/** Every key of a JSON value. */
function jsonKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(jsonKeys);
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, item]) => [key, ...jsonKeys(item)]);
}
