import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { EnvironmentPolicy, type EnvironmentPolicy as Policy } from "../../src/policy/schema.js";
import { planRun, STAGE_IDS, type PlanInput, type PlannedStage } from "../../src/runner/plan.js";
import { gitleaks } from "../../src/tools/gitleaks.js";
import { k6 } from "../../src/tools/k6.js";
import { semgrep } from "../../src/tools/semgrep.js";
import { trivy } from "../../src/tools/trivy.js";

const ALL_TOOLS = { gitleaks: "/bin/gitleaks", trivy: "/bin/trivy", semgrep: "/bin/semgrep", k6: "/bin/k6" };

function policy(gates: Record<string, unknown> = {}): Policy {
  return EnvironmentPolicy.parse({ name: "test", gates });
}

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    policy: policy(),
    dir: "/repo",
    outDir: "/repo/reports",
    executables: ALL_TOOLS,
    semgrepConfigs: ["p/default"],
    trivyCacheDir: "/home/me/.cache/trivy",
    target: "http://127.0.0.1:8080",
    scenario: { file: "/repo/scenarios/smoke.js" },
    ...overrides,
  };
}

function summary(stage: PlannedStage): string {
  return stage.action === "unavailable" ? `${stage.id}: ${stage.action} ${stage.code}` : `${stage.id}: ${stage.action}`;
}

describe("planRun", () => {
  it("plans every stage when every gate is enabled, with the adapters' argv", () => {
    const plan = planRun(input());
    expect(plan.skipped).toEqual([]);
    expect(plan.stages.map(summary)).toEqual([
      "validate: in-process",
      "gitleaks: spawn",
      "trivy: spawn",
      "trivy-vuln: spawn",
      "semgrep: spawn",
      "sbom: spawn",
      "k6: spawn",
    ]);
    const [validate, gitleaksStage, trivyStage, trivyVulnStage, semgrepStage, sbomStage, k6Stage] = plan.stages;
    expect(validate).toMatchObject({ reportFile: "validate.json", gates: ["framework_integrity", "documentation"] });
    expect(gitleaksStage).toMatchObject({
      executable: "/bin/gitleaks",
      cwd: "/repo",
      args: gitleaks.argv.dir({ source: ".", reportPath: "/repo/reports/gitleaks.json" }),
      reportFile: "gitleaks.json",
      exitCodeFile: "gitleaks.exitcode",
      gates: ["secrets"],
      exclusive: false,
    });
    expect(trivyStage).toMatchObject({
      args: trivy.argv.fs({
        dir: ".",
        output: "/repo/reports/trivy.nodb.json",
        cacheDir: "/home/me/.cache/trivy",
        scanners: ["secret", "misconfig", "license"],
      }),
      reportFile: "trivy.nodb.json",
      exitCodeFile: "trivy.nodb.exitcode",
      // Never vulnerabilities: this scan did not look for them.
      gates: ["secrets", "sast", "compliance"],
    });
    // Vulnerabilities apart: offline this run fails alone and feeds only the vulnerabilities gate.
    expect(trivyVulnStage).toMatchObject({
      args: trivy.argv.fs({
        dir: ".",
        output: "/repo/reports/trivy.vuln.json",
        cacheDir: "/home/me/.cache/trivy",
        scanners: ["vuln"],
      }),
      reportFile: "trivy.vuln.json",
      exitCodeFile: "trivy.vuln.exitcode",
      gates: ["vulnerabilities"],
    });
    expect(semgrepStage).toMatchObject({
      args: semgrep.argv.scan({ configs: ["p/default"], jsonOutput: "/repo/reports/semgrep.json" }),
      gates: ["sast"],
    });
    expect(sbomStage).toMatchObject({
      executable: "/bin/trivy",
      kind: "trivy",
      stem: undefined,
      args: trivy.argv.sbom({ dir: ".", output: "/repo/reports/sbom.cdx.json", cacheDir: "/home/me/.cache/trivy" }),
      reportFile: "sbom.cdx.json",
      exitCodeFile: undefined,
      gates: ["compliance"],
    });
    expect(k6Stage).toMatchObject({
      args: k6.argv.run({ script: "/repo/scenarios/smoke.js", summaryExport: "/repo/reports/k6.json" }),
      env: {
        BASE_URL: "http://127.0.0.1:8080",
        K6_SUMMARY_PATH: "/repo/reports/k6-summary.json",
        SLA_P95_MS: "200",
        SLA_P99_MS: "500",
        SLA_MAX_ERROR_RATE: "0.001",
        SLA_MIN_CHECKS_RATE: "0.99",
      },
      exclusive: true,
      gates: ["performance"],
    });
  });

  it("passes the environment's performance policy to the scenario as its SLA", () => {
    const plan = planRun(
      input({
        policy: policy({ performance: { max_p95: "1.5s", max_p99: "3s", max_error_rate: 0.01, min_checks_rate: 0.9 } }),
      }),
    );
    const stage = plan.stages.find((candidate) => candidate.id === "k6");
    expect(stage?.action === "spawn" ? stage.env : undefined).toMatchObject({
      SLA_P95_MS: "1500",
      SLA_P99_MS: "3000",
      SLA_MAX_ERROR_RATE: "0.01",
      SLA_MIN_CHECKS_RATE: "0.9",
    });
  });

  it.each([
    [{ performance: { enabled: false } }, ["validate", "gitleaks", "trivy", "trivy-vuln", "semgrep", "sbom"], ["k6"]],
    [
      { vulnerabilities: { enabled: false }, compliance: { enabled: false } },
      // No enabled gate requires trivy, but secrets and sast read its scan: what sast judges must not
      // depend on whether the vulnerabilities gate is on.
      ["validate", "gitleaks", "trivy", "semgrep", "k6"],
      ["trivy-vuln", "sbom"],
    ],
    [
      { vulnerabilities: { enabled: false } },
      ["validate", "gitleaks", "trivy", "semgrep", "sbom", "k6"],
      ["trivy-vuln"],
    ],
    [
      { framework_integrity: { enabled: false }, documentation: { enabled: false } },
      ["gitleaks", "trivy", "trivy-vuln", "semgrep", "sbom", "k6"],
      ["validate"],
    ],
    [
      { framework_integrity: { enabled: false } },
      ["validate", "gitleaks", "trivy", "trivy-vuln", "semgrep", "sbom", "k6"],
      [],
    ],
    [
      { sast: { enabled: false }, secrets: { enabled: false } },
      ["validate", "trivy", "trivy-vuln", "sbom", "k6"],
      ["gitleaks", "semgrep"],
    ],
  ])("runs only the stages enabled gates need: %j", (gates, planned, skipped) => {
    const plan = planRun(input({ policy: policy(gates) }));
    expect(plan.stages.map((stage) => stage.id)).toEqual(planned);
    expect(plan.skipped.map((skip) => skip.id)).toEqual(skipped);
    for (const skip of plan.skipped) expect(skip.reason).toBe("no enabled gate reads it in test");
  });

  it("leaves out a missing tool that no enabled gate requires, and says whose findings go unjudged", () => {
    const executables: Partial<Record<keyof typeof ALL_TOOLS, string>> = { ...ALL_TOOLS };
    delete executables.trivy;
    const plan = planRun(
      input({ executables, policy: policy({ vulnerabilities: { enabled: false }, compliance: { enabled: false } }) }),
    );
    expect(plan.stages.map((stage) => stage.id)).toEqual(["validate", "gitleaks", "semgrep", "k6"]);
    expect(plan.skipped.find((skip) => skip.id === "trivy")?.reason).toBe(
      "trivy not found on PATH or in the tools cache: its findings for secrets, sast are not judged (run `npx portcullis tools install`, or run `dagger call ci`, which brings every tool in its pinned image)",
    );
  });

  it.each(["gitleaks", "trivy", "semgrep", "k6"] as const)(
    "a missing %s is TOOL_NOT_FOUND with the fix, exit code 127",
    (tool) => {
      const executables: Partial<Record<keyof typeof ALL_TOOLS, string>> = { ...ALL_TOOLS };
      delete executables[tool];
      const plan = planRun(input({ executables }));
      const stage = plan.stages.find((candidate) => candidate.id === tool);
      expect(stage).toMatchObject({
        action: "unavailable",
        code: "TOOL_NOT_FOUND",
        message: `${tool} not found on PATH or in the tools cache`,
        fix: `run \`npx portcullis tools install${tool === "k6" ? " k6" : ""}\`, or run \`dagger call ci\`, which brings every tool in its pinned image`,
        exitCode: 127,
      });
      // The SBOM is trivy's too: without trivy it cannot run either, but it has no exit-code file.
      const unavailable = plan.stages.filter((candidate) => candidate.action === "unavailable");
      expect(unavailable.map((candidate) => candidate.id)).toEqual(
        tool === "trivy" ? ["trivy", "trivy-vuln", "sbom"] : [tool],
      );
      expect(plan.stages.find((candidate) => candidate.id === "sbom")).toMatchObject(
        tool === "trivy" ? { action: "unavailable", exitCode: undefined } : { action: "spawn" },
      );
    },
  );

  it("without --target the load stage is unavailable, even when k6 is not installed", () => {
    const { k6: _k6, ...withoutK6 } = ALL_TOOLS;
    for (const executables of [ALL_TOOLS, withoutK6]) {
      const stage = planRun(input({ target: undefined, executables })).stages.find(
        (candidate) => candidate.id === "k6",
      );
      expect(stage).toMatchObject({
        action: "unavailable",
        code: "STAGE_UNAVAILABLE",
        message: "no load target: the load test needs a running service",
      });
      expect(stage?.action === "unavailable" ? stage.fix : "").toMatch(/--target <base URL>/);
      expect(stage?.action === "unavailable" ? stage.exitCode : 0).toBeUndefined();
    }
  });

  it("a scenario that was not found makes the load stage unavailable, naming where it looked", () => {
    const stage = planRun(input({ scenario: { name: "soke", searched: ["scenarios/soke.js"] } })).stages.find(
      (candidate) => candidate.id === "k6",
    );
    expect(stage).toMatchObject({
      action: "unavailable",
      code: "STAGE_UNAVAILABLE",
      message: "k6 scenario not found (looked for scenarios/soke.js)",
    });
  });

  it("refuses a target that is not an http(s) URL (usage error, before anything runs)", () => {
    expect(() => planRun(input({ target: "127.0.0.1:8080" }))).toThrow(UsageError);
  });

  it("plans nothing when every gate is disabled", () => {
    const off = { enabled: false };
    const plan = planRun(
      input({
        policy: policy({
          framework_integrity: off,
          documentation: off,
          secrets: off,
          vulnerabilities: off,
          sast: off,
          performance: off,
          compliance: off,
        }),
      }),
    );
    expect(plan.stages).toEqual([]);
    expect(plan.skipped).toHaveLength(STAGE_IDS.length);
  });
});
