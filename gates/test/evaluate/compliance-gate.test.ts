import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inspectSbom, type CollectedCompliance } from "../../src/compliance/checks.js";
import { BUILTIN_CONTROLS, defaultControls, parseControls } from "../../src/compliance/controls.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { parsePolicy } from "../../src/policy/parse-policy.js";
import type { GateName } from "../../src/policy/schema.js";
import { Report, type GateVerdict } from "../../src/model/report.js";
import { NOW, cleanRuns, finding, input, ok, policy, waivers } from "./helpers.js";
import { checkLabel, checkMeasuredText } from "../../src/model/check-text.js";

const PRODUCTION = parsePolicy(
  readFileSync(fileURLToPath(new URL("../../../environments/production.yml", import.meta.url)), "utf8"),
  "environments/production.yml",
);
const STAGING = parsePolicy(
  readFileSync(fileURLToPath(new URL("../../../environments/staging.yml", import.meta.url)), "utf8"),
  "environments/staging.yml",
);

/** Evidence of a tidy repository: every built-in control passes on it when the other gates do. */
function compliant(overrides: Partial<CollectedCompliance> = {}): CollectedCompliance {
  return {
    controls: defaultControls(),
    sbom: inspectSbom('{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"qs"}]}', "sbom.cdx.json"),
    repository: {
      files: new Set(["README.md", "CHANGELOG.md", "SECURITY.md", ".github/CODEOWNERS"]),
      changedFiles: ["CHANGELOG.md", "src/app.ts"],
    },
    workflows: [
      {
        path: ".github/workflows/ci.yml",
        text: "on: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: x\n",
      },
    ],
    ledger: { file: ".portcullis/state/production/ledger.jsonl", ok: true, records: 3, problems: [] },
    ...overrides,
  };
}

function gate(report: Report, name: GateName): GateVerdict {
  const verdict = report.verdicts.find((candidate) => candidate.gate === name);
  if (verdict === undefined) throw new Error(`no verdict for ${name}`);
  return verdict;
}

function licence(name: string, severity: "low" | "high" = "low") {
  return finding("trivy", {
    kind: "license",
    ruleId: name,
    severity,
    title: `License ${name}`,
    message: `left-pad is licensed under ${name}`,
    location: { path: "package-lock.json" },
    package: { name: "left-pad", fixed: [] },
  });
}

describe("compliance gate: controls", () => {
  it("is error when nobody collected the controls' evidence, and says how to", () => {
    const { report } = evaluate(input({ compliance: undefined }));
    expect(gate(report, "compliance")).toMatchObject({
      status: "error",
      blocking: true,
      reason: "could not be evaluated: compliance controls were not evaluated",
    });
    expect(gate(report, "compliance").fix).toContain("portcullis evaluate");
    expect(gate(report, "compliance").fix).toContain("gates.compliance.enabled: false");
    expect(report.compliance).toBeUndefined();
  });

  it("passes when every control passes, and records each control in the report", () => {
    const { report } = evaluate(input({ environment: "production", compliance: compliant() }));
    const verdict = gate(report, "compliance");
    expect(verdict.status).toBe("pass");
    expect(verdict.reason).toBe("no new findings in 1 report; all 8 controls pass");
    expect(
      verdict.evidence.checks.map((check) => `${checkLabel(check)} ${checkMeasuredText(check)} ${check.ok}`),
    ).toEqual([
      "max.critical 0 true",
      "max.high 0 true",
      ...BUILTIN_CONTROLS.map((control) => `control ${control.id} pass true`),
    ]);
    expect(report.compliance?.controls.map((control) => [control.id, control.status])).toEqual(
      BUILTIN_CONTROLS.map((control) => [control.id, "pass"]),
    );
    expect(Report.parse(report)).toEqual(report);
  });

  it("fails on a failing control, with that control's fix", () => {
    const { report } = evaluate(input({ compliance: compliant({ sbom: undefined }) }));
    const verdict = gate(report, "compliance");
    expect(verdict).toMatchObject({ status: "fail", blocking: true, reason: "control sbom-present fail (limit pass)" });
    expect(verdict.fix).toMatch(/^sbom-present: generate a CycloneDX SBOM/);
    expect(report.compliance?.controls.find((control) => control.id === "sbom-present")).toMatchObject({
      status: "fail",
      details: "no CycloneDX SBOM among the reports",
    });
    expect(report.passed).toBe(false);
  });

  it("is error when a control cannot be evaluated (the change set is unknown)", () => {
    const unknown = compliant({
      repository: { files: compliant().repository.files, changedFilesUnknown: "no base ref: pass --base" },
    });
    const verdict = gate(evaluate(input({ compliance: unknown })).report, "compliance");
    expect(verdict.status).toBe("error");
    expect(verdict.reason).toBe(
      "could not be evaluated: control repository-files: cannot tell whether CHANGELOG.md changed: no base ref: pass --base",
    );
    expect(verdict.fix).toContain("--base <ref>");
  });

  it("never passes the licence policy when no licence scan was read: nobody looked is no pass", () => {
    const runs = cleanRuns().filter((run) => run.run.kind !== "trivy");
    const report = evaluate(input({ runs, compliance: compliant() })).report;
    const control = report.compliance?.controls.find((entry) => entry.id === "licence-policy");
    expect(control?.status).toBe("error");
    expect(control?.details).toMatch(/^no licence scan to check: /);
    expect(gate(report, "compliance").status).toBe("error");
  });

  it("adds the licence limits to the controls: both are named when both fail", () => {
    const denying = { ...compliant(), controls: parseControls("licences:\n  deny: [GPL-3.0]\n", "c.yml") };
    const runs = cleanRuns().map((run) => (run.run.kind === "trivy" ? ok("trivy", [licence("GPL-3.0", "high")]) : run));
    const verdict = gate(evaluate(input({ runs, compliance: denying })).report, "compliance");
    expect(verdict.status).toBe("fail");
    expect(verdict.reason).toBe("max.high 1 (limit ≤ 0); control licence-policy fail (limit pass)");
    expect(verdict.fix).toContain("licence-policy: replace the dependencies");
    expect(verdict.fix).toMatch(/^replace the dependencies under the counted licences/);
  });

  it("lets a waived licence pass the licence policy (accepted on the record)", () => {
    const gpl = licence("GPL-3.0");
    const denying = { ...compliant(), controls: parseControls("licences:\n  deny: [GPL-3.0]\n", "c.yml") };
    const runs = cleanRuns().map((run) => (run.run.kind === "trivy" ? ok("trivy", [gpl]) : run));
    const waiver = {
      id: "W-1",
      fingerprint: gpl.fingerprint,
      reason: "legal approved",
      approver: "legal",
      expires: "2026-06-01",
    };
    const { report } = evaluate(input({ runs, compliance: denying, waivers: waivers([waiver]) }));
    expect(gate(report, "compliance").status).toBe("pass");
  });

  it("judges what the other gates decided: a skipped mandatory gate and a mandatory bypass fail controls", () => {
    const withoutSemgrep = cleanRuns().filter((run) => run.run.kind !== "semgrep");
    const skipped = evaluate(input({ runs: withoutSemgrep, compliance: compliant() })).report;
    expect(gate(skipped, "sast").status).toBe("error");
    expect(gate(skipped, "compliance").reason).toBe("control gates-evaluated fail (limit pass)");

    const bypass = { gate: "secrets" as const, reason: "hotfix", approver: "cto", at: NOW.toISOString() };
    const runs = cleanRuns().map((run) => (run.run.kind === "gitleaks" ? ok("gitleaks", [finding("gitleaks")]) : run));
    const allowing = policy({ bypass: { allow_mandatory: true } });
    const bypassed = evaluate(input({ policy: allowing, runs, bypasses: [bypass], compliance: compliant() })).report;
    expect(gate(bypassed, "secrets").bypass).toEqual(bypass);
    expect(bypassed.compliance?.controls.find((control) => control.id === "no-mandatory-bypass")).toMatchObject({
      status: "fail",
      details: "mandatory gates bypassed: secrets by cto (hotfix)",
    });
  });

  it("blocks production; in staging (advisory) the same failure only warns", () => {
    const broken = compliant({
      ledger: { file: "ledger.jsonl", ok: false, records: 2, problems: ["line 2: prev does not match"] },
    });
    const production = evaluate(input({ policy: PRODUCTION, environment: "production", compliance: broken })).report;
    expect(gate(production, "compliance")).toMatchObject({ status: "fail", mode: "mandatory", blocking: true });
    expect(production.passed).toBe(false);
    const staging = evaluate(input({ policy: STAGING, environment: "staging", compliance: broken })).report;
    expect(gate(staging, "compliance")).toMatchObject({ status: "fail", mode: "advisory", blocking: false });
    expect(staging.passed).toBe(true);
  });

  it("runs no control for a disabled gate and needs no evidence for it", () => {
    const off = policy({ gates: { compliance: { enabled: false } } });
    const { report } = evaluate(input({ policy: off, compliance: undefined }));
    expect(gate(report, "compliance").status).toBe("disabled");
    expect(report.compliance).toBeUndefined();
  });

  it("applies only the controls of the environment", () => {
    const scoped = parseControls(
      "controls:\n  - {id: ledger-intact, title: t, frameworks: [], check: ledger_intact, environments: [production]}\n",
      "c.yml",
    );
    const { report } = evaluate(input({ environment: "staging", compliance: { ...compliant(), controls: scoped } }));
    expect(report.compliance?.controls.map((control) => control.id)).not.toContain("ledger-intact");
    expect(report.compliance?.controls).toHaveLength(BUILTIN_CONTROLS.length - 1);
  });

  it("property: the gate passes exactly when no limit and no control fails (errors are never pass)", () => {
    const arbitraryEvidence = fc.record({
      sbom: fc.boolean(),
      changelog: fc.constantFrom("changed", "unchanged", "unknown"),
      workflowOk: fc.boolean(),
      ledgerOk: fc.boolean(),
      licences: fc.nat({ max: 2 }),
    });
    fc.assert(
      fc.property(arbitraryEvidence, (evidence) => {
        const base = compliant();
        const collected = compliant({
          ...(evidence.sbom ? {} : { sbom: undefined }),
          repository:
            evidence.changelog === "unknown"
              ? { files: base.repository.files, changedFilesUnknown: "no base" }
              : {
                  files: base.repository.files,
                  changedFiles: evidence.changelog === "changed" ? ["CHANGELOG.md"] : ["a.ts"],
                },
          workflows: evidence.workflowOk
            ? base.workflows
            : [{ path: "w.yml", text: "on: push\njobs:\n  a:\n    runs-on: x\n" }],
          ledger: { file: "l.jsonl", ok: evidence.ledgerOk, records: 1, problems: evidence.ledgerOk ? [] : ["broken"] },
        });
        const licences = Array.from({ length: evidence.licences }, () => licence("MIT"));
        const runs = cleanRuns().map((run) => (run.run.kind === "trivy" ? ok("trivy", licences) : run));
        const { report } = evaluate(input({ runs, compliance: collected }));
        const status = gate(report, "compliance").status;
        const controls = report.compliance?.controls ?? [];
        const clean =
          evidence.sbom &&
          evidence.changelog === "changed" &&
          evidence.workflowOk &&
          evidence.ledgerOk &&
          evidence.licences === 0;
        expect(status === "pass").toBe(clean);
        expect(status === "error").toBe(controls.some((control) => control.status === "error"));
      }),
      { seed: 20_261_124, numRuns: 100 },
    );
  });
});
