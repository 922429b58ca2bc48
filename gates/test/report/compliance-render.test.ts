import { describe, expect, it } from "vitest";
import { inspectSbom } from "../../src/compliance/checks.js";
import { defaultControls } from "../../src/compliance/controls.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { renderHtml } from "../../src/report/html.js";
import { renderJson } from "../../src/report/json.js";
import { renderJunit } from "../../src/report/junit.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { Report } from "../../src/model/report.js";
import { renderText } from "../../src/report/text.js";
import { input, policy } from "../evaluate/helpers.js";

/** A workflow whose path tries to break out of every output format. */
const HOSTILE_PATH = ".github/workflows/<img src=x onerror=alert(1)>|[x](https://evil.example).yml";

/**
 * A production-like run whose controls show every status: six pass, a workflow without
 * permissions fails, and the unknown change set leaves repository-files in error.
 */
function controlledReport(): Report {
  const report = evaluate(
    input({
      policy: policy({ name: "production" }),
      environment: "production",
      commit: "3f2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",
      compliance: {
        controls: defaultControls(),
        sbom: inspectSbom(
          '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"qs"}]}',
          "sbom.cdx.json",
        ),
        repository: {
          files: new Set(["README.md", "CHANGELOG.md", "SECURITY.md", "CODEOWNERS"]),
          changedFilesUnknown: "no base ref given (pass --base <ref>, or set GITHUB_BASE_REF)",
        },
        workflows: [{ path: HOSTILE_PATH, text: "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n" }],
        ledger: { file: ".portcullis/state/production/ledger.jsonl", ok: true, records: 5, problems: [] },
      },
    }),
  ).report;
  return { ...report, portcullisVersion: "0.0.0-snapshot" };
}

describe("compliance controls in the outputs", () => {
  const report = controlledReport();

  it("are in report.json, valid against the schema", () => {
    const parsed = Report.parse(JSON.parse(renderJson(report)));
    expect(parsed.compliance?.controls.map((control) => `${control.id} ${control.status}`)).toEqual([
      "gates-evaluated pass",
      "no-mandatory-bypass pass",
      "waivers-approved pass",
      "sbom-present pass",
      "licence-policy pass",
      "repository-files error",
      "workflow-permissions fail",
      "ledger-intact pass",
    ]);
    expect(report.verdicts.find((verdict) => verdict.gate === "compliance")?.status).toBe("error");
  });

  it("summary.md has a control table (file snapshot), escaped", async () => {
    const markdown = renderMarkdown(report);
    await expect(markdown).toMatchFileSnapshot("__snapshots__/compliance/summary.md");
    expect(markdown).toContain("## Compliance controls (6 of 8 pass)");
    expect(markdown).not.toContain("<img");
    expect(markdown).not.toContain("](https");
    const row = markdown.split("\n").find((line) => line.startsWith("| workflow\\-permissions"));
    expect(row?.split(/(?<!\\)\|/).length).toBe(7);
  });

  it("junit.xml has one test case per control (file snapshot)", async () => {
    const junit = renderJunit(report);
    await expect(junit).toMatchFileSnapshot("__snapshots__/compliance/junit.xml");
    expect(junit.match(/<testcase /g)).toHaveLength(7 + 8);
    expect(junit).toContain('<testsuites name="portcullis" tests="15" failures="1" errors="2" skipped="0">');
    expect(junit).toMatch(
      /classname="portcullis\.production\.compliance" name="control workflow-permissions" time="0">\n {6}<failure /,
    );
    expect(junit).toMatch(/name="control repository-files" time="0">\n {6}<error /);
    expect(junit).not.toContain("<img");
  });

  it("the terminal lists the controls not met (file snapshot)", async () => {
    const text = renderText(report);
    await expect(text).toMatchFileSnapshot("__snapshots__/compliance/verdicts.txt");
    expect(text).toContain("Compliance controls not met:");
  });

  it("report.html has a Compliance controls section with frameworks, status, details and evidence", () => {
    const html = renderHtml(report);
    const section = html.slice(
      html.indexOf('<h2 id="compliance">'),
      html.indexOf("</table>", html.indexOf('<h2 id="compliance">')),
    );
    expect(section).toContain("Compliance controls");
    expect(section).toContain('<tr id="control-sbom-present"><td><strong>sbom-present</strong>');
    expect(section).toContain("SOC 2 CC7.1<br>NIST AI RMF MAP 4.1<br>GDPR Art. 32");
    expect(section).toContain('<span class="st st-fail">fail</span>');
    expect(section).toContain('<span class="st st-error">error</span>');
    expect(section).toContain("<code>reports/sbom.cdx.json</code>");
    expect(section).toContain("Fix: declare `permissions:`");
    expect(section).not.toContain("<img");
    expect(section).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("reports without controls render as before (no section)", () => {
    const plain = evaluate(input()).report;
    expect(renderMarkdown(plain)).not.toContain("Compliance controls");
    expect(renderHtml(plain)).not.toContain('id="compliance"');
    expect(renderJunit(plain).match(/<testcase /g)).toHaveLength(7);
  });
});
