import { describe, expect, it } from "vitest";
import { type ComplianceContext, inspectSbom, runControls } from "../../src/compliance/checks.js";
import { BUILTIN_CONTROLS, controlsFor, defaultControls, parseControls } from "../../src/compliance/controls.js";
import { isPortcullisError } from "../../src/errors.js";
import type { Finding } from "../../src/findings/finding.js";
import type { GateVerdict } from "../../src/model/report.js";
import { trivy } from "../../src/tools/trivy.js";

const ZERO = { critical: 0, high: 0, medium: 0, low: 0, info: 0, unknown: 0 };

function verdict(
  gate: GateVerdict["gate"],
  status: GateVerdict["status"],
  mode: GateVerdict["mode"] = "mandatory",
): GateVerdict {
  return {
    gate,
    mode,
    enabled: status !== "disabled",
    status,
    blocking: false,
    reason: `${gate} ${status}`,
    evidence: { counted: ZERO, waived: 0, baseline: 0, suppressed: 0, checks: [], worst: [], sources: [] },
  };
}

/** A licence finding as the trivy adapter maps `Licenses[]`: the licence name is the rule id. */
function licence(name: string): Finding {
  return {
    tool: "trivy",
    kind: "license",
    ruleId: name,
    severity: "high",
    title: `License ${name}`,
    message: `left-pad is licensed under ${name}`,
    fingerprint: name,
    references: [],
    location: { path: "package-lock.json" },
    package: { name: "left-pad", fixed: [] },
  };
}

const GOOD_WORKFLOW =
  "on: push\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: []\n";

/** A context in which every built-in control passes. */
function compliant(): ComplianceContext {
  return {
    environment: "production",
    today: "2026-11-24",
    verdicts: [
      verdict("secrets", "pass"),
      verdict("vulnerabilities", "warn"),
      verdict("documentation", "error", "advisory"),
    ],
    bypasses: [{ gate: "documentation", reason: "docs later", approver: "lead", at: "2026-11-24T08:00:00Z" }],
    waivers: [{ id: "W-1", reason: "false positive", approver: "sec", expires: "2026-12-01", matched: 1 }],
    waiverProblems: [],
    licenceFindings: [licence("MIT")],
    sbom: inspectSbom('{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"a"}]}', "sbom.cdx.json"),
    repository: {
      files: new Set(["README.md", "CHANGELOG.md", "SECURITY.md", ".github/CODEOWNERS"]),
      changedFiles: ["src/a.ts", "CHANGELOG.md"],
    },
    workflows: [{ path: ".github/workflows/ci.yml", text: GOOD_WORKFLOW }],
    ledger: { file: "production.jsonl", ok: true, records: 4, problems: [] },
  };
}

const set = parseControls("licences:\n  deny: [AGPL-3.0]\n", ".portcullis/controls.yml");

function statusOf(id: string, context: ComplianceContext, controls = set): string {
  const control = controls.controls.find((c) => c.id === id);
  if (control === undefined) throw new Error(`no control ${id}`);
  const [result] = runControls([control], controls, context);
  return `${result?.status}: ${result?.details}`;
}

describe("built-in controls", () => {
  it("all pass on a compliant change", () => {
    const results = runControls(controlsFor(set, "production"), set, compliant());
    expect(results.map((r) => [r.id, r.status])).toEqual(BUILTIN_CONTROLS.map((c) => [c.id, "pass"]));
    expect(results.every((r) => r.frameworks.length > 0)).toBe(true);
  });

  it.each<[string, (c: ComplianceContext) => ComplianceContext, RegExp]>([
    [
      "gates-evaluated",
      (c) => ({ ...c, verdicts: [...c.verdicts, verdict("sast", "error")] }),
      /^fail: not evaluated: sast \(error/,
    ],
    [
      "gates-evaluated",
      (c) => ({ ...c, verdicts: [...c.verdicts, verdict("performance", "disabled")] }),
      /^fail: not evaluated: performance/,
    ],
    [
      "no-mandatory-bypass",
      (c) => ({ ...c, bypasses: [{ gate: "secrets", reason: "hotfix", approver: "cto", at: "t" }] }),
      /^fail: mandatory gates bypassed: secrets by cto/,
    ],
    [
      "waivers-approved",
      (c) => ({ ...c, waivers: [{ id: "W-2", reason: "x", approver: "y", expires: "2026-11-23", matched: 0 }] }),
      /^fail: W-2: expired 2026-11-23/,
    ],
    [
      "waivers-approved",
      (c) => ({ ...c, waivers: [{ id: "W-3", reason: "x", approver: " ", expires: "2026-12-23", matched: 0 }] }),
      /^fail: W-3: no approver/,
    ],
    [
      "waivers-approved",
      (c) => ({ ...c, waiverProblems: [{ id: "W-4", code: "WAIVER_EXPIRED", message: "expired", matched: 2 }] }),
      /^fail: W-4: expired/,
    ],
    ["sbom-present", (c) => ({ ...c, sbom: undefined }), /^fail: no CycloneDX SBOM/],
    [
      "sbom-present",
      (c) => ({ ...c, sbom: inspectSbom('{"bomFormat":"SPDX"}', "sbom.json") }),
      /^error: sbom.json: not a CycloneDX/,
    ],
    [
      "sbom-present",
      (c) => ({ ...c, sbom: inspectSbom('{"bomFormat":', "sbom.json") }),
      /^error: sbom.json: not valid JSON/,
    ],
    [
      "licence-policy",
      (c) => ({ ...c, licenceFindings: [licence("agpl-3.0")] }),
      /^fail: agpl-3.0 \(denied\) in left-pad \(package-lock.json\)/,
    ],
    [
      "repository-files",
      (c) => ({ ...c, repository: { ...c.repository, files: new Set(["README.md", "CHANGELOG.md"]) } }),
      /^fail: missing: SECURITY.md, CODEOWNERS/,
    ],
    [
      "repository-files",
      (c) => ({ ...c, repository: { ...c.repository, changedFiles: ["src/a.ts"] } }),
      /^fail: CHANGELOG.md was not changed/,
    ],
    [
      "repository-files",
      (c) => ({ ...c, repository: { files: c.repository.files, changedFilesUnknown: "no git base: pass --base" } }),
      /^error: cannot tell whether CHANGELOG.md changed: no git base/,
    ],
    [
      "workflow-permissions",
      (c) => ({ ...c, workflows: [{ path: "w.yml", text: "on: push\njobs:\n  a:\n    runs-on: x\n" }] }),
      /^fail: w.yml: job a declares no permissions/,
    ],
    [
      "workflow-permissions",
      (c) => ({
        ...c,
        workflows: [{ path: "w.yml", text: "on: push\npermissions: write-all\njobs:\n  a:\n    runs-on: x\n" }],
      }),
      /^fail: w.yml: permissions: write-all/,
    ],
    [
      "workflow-permissions",
      (c) => ({
        ...c,
        workflows: [{ path: "w.yml", text: "on: push\npermissions: {}\njobs:\n  a:\n    permissions: write-all\n" }],
      }),
      /^fail: w.yml: job a has permissions: write-all/,
    ],
    [
      "workflow-permissions",
      (c) => ({ ...c, workflows: [{ path: "w.yml", text: "on: [push\n" }] }),
      /^fail: w.yml: not valid YAML/,
    ],
    [
      "ledger-intact",
      (c) => ({
        ...c,
        ledger: {
          file: "production.jsonl",
          ok: false,
          records: 3,
          problems: ["record 2: previous hash does not match"],
        },
      }),
      /^fail: production.jsonl: record 2/,
    ],
  ])("%s fails on a crafted input (%#)", (id, craft, expected) => {
    expect(statusOf(id, compliant())).toMatch(/^pass/);
    expect(statusOf(id, craft(compliant()))).toMatch(expected);
  });

  it("judges the licence names of a real trivy report (Licenses[].Name), not the finding titles", () => {
    // trivy writes every DetectedLicense field, empty ones as "": FilePath for a package, PkgName for a file.
    const report = JSON.stringify({
      SchemaVersion: 2,
      ArtifactName: ".",
      ArtifactType: "filesystem",
      Results: [
        {
          Target: "package-lock.json",
          Class: "license",
          Licenses: [
            {
              Severity: "HIGH",
              Category: "restricted",
              PkgName: "copyleft-lib",
              FilePath: "",
              Name: "GPL-3.0-only",
              Confidence: 1,
              Link: "",
            },
            {
              Severity: "LOW",
              Category: "notice",
              PkgName: "left-pad",
              FilePath: "",
              Name: "MIT",
              Confidence: 1,
              Link: "",
            },
          ],
        },
        {
          Target: "Loose File License(s)",
          Class: "license-file",
          Licenses: [
            {
              Severity: "HIGH",
              Category: "forbidden",
              PkgName: "",
              FilePath: "LICENSE",
              Name: "AGPL-3.0",
              Confidence: 1,
              Link: "",
            },
          ],
        },
      ],
    });
    const findings = trivy.parse(report).findings.filter((f) => f.kind === "license");
    expect(findings.map((f) => f.title)).toEqual(["License GPL-3.0-only", "License MIT", "License AGPL-3.0"]);
    const denying = parseControls("licences:\n  deny: [GPL-3.0-only, agpl-3.0]\n", "c.yml");
    expect(statusOf("licence-policy", { ...compliant(), licenceFindings: findings }, denying)).toBe(
      "fail: GPL-3.0-only (denied) in copyleft-lib; AGPL-3.0 (denied) in LICENSE",
    );
    const allowing = parseControls("licences:\n  allow: [MIT, GPL-3.0-only, AGPL-3.0]\n", "c.yml");
    expect(statusOf("licence-policy", { ...compliant(), licenceFindings: findings }, allowing)).toMatch(
      /^pass: 3 licence findings/,
    );
  });

  it("an allow list fails every licence outside it", () => {
    const allowOnly = parseControls("licences:\n  allow: [MIT, Apache-2.0]\n", "c.yml");
    const context = { ...compliant(), licenceFindings: [licence("MIT"), licence("GPL-2.0")] };
    expect(statusOf("licence-policy", context, allowOnly)).toMatch(/^fail: GPL-2.0 \(not in the allow list\)/);
  });
});

describe("controls file", () => {
  it("overrides a built-in by id, adds controls and scopes them to environments", () => {
    const custom = parseControls(
      [
        "controls:",
        "  - id: ledger-intact",
        "    title: off here",
        "    frameworks: []",
        "    check: ledger_intact",
        "    enabled: false",
        "  - id: prod-sbom",
        "    title: SBOM in production",
        "    frameworks: [SOC 2 CC7.1]",
        "    check: sbom_present",
        "    environments: [production]",
      ].join("\n"),
      "c.yml",
    );
    expect(controlsFor(custom, "staging").map((c) => c.id)).not.toContain("ledger-intact");
    expect(controlsFor(custom, "staging").map((c) => c.id)).not.toContain("prod-sbom");
    expect(controlsFor(custom, "production").map((c) => c.id)).toContain("prod-sbom");
    expect(controlsFor(defaultControls(), "staging")).toHaveLength(BUILTIN_CONTROLS.length);
  });

  it.each([
    ["licences:\n  denny: [GPL-3.0]\n", /licences\.denny: unknown key — did you mean "deny"\?/],
    ["controls:\n  - id: x\n    title: t\n    frameworks: []\n    check: magic\n", /controls\.0\.check/],
    [
      "controls:\n  - {id: a, title: t, frameworks: [], check: sbom_present}\n  - {id: a, title: u, frameworks: [], check: sbom_present}\n",
      /duplicate control id "a"/,
    ],
    ["", /empty/],
  ])("rejects %j with the dot-path and a fix", (text, expected) => {
    const error = (() => {
      try {
        parseControls(text, ".portcullis/controls.yml");
      } catch (caught) {
        return caught;
      }
      throw new Error("parsed without error");
    })();
    expect(isPortcullisError(error) && error.code).toBe("CONFIG_INVALID");
    expect(isPortcullisError(error) ? error.describe() : "").toMatch(expected);
  });
});
