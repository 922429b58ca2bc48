import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { REQUIRED_REPORTS } from "../../src/evaluate/routing.js";
import type { RunInput } from "../../src/evaluate/types.js";
import { SEVERITIES, type Finding } from "../../src/findings/finding.js";
import type { GateName } from "../../src/policy/schema.js";
import type { GateStatus, GateVerdict, ReportKind } from "../../src/model/report.js";
import { cleanRuns, finding, input, ok, policy } from "./helpers.js";
import { checkLabel } from "../../src/model/check-text.js";

/** Seeded, so a failure reproduces; the seed is printed by fast-check when a property fails. */
const RUNS = { seed: 20_260_504, numRuns: 150 };

const FINDING_KINDS = ["validate", "gitleaks", "trivy", "semgrep", "sarif"] as const satisfies readonly ReportKind[];

const arbFinding = fc
  .record({
    kind: fc.constantFrom(...FINDING_KINDS),
    severity: fc.constantFrom(...SEVERITIES),
    ruleId: fc.constantFrom("broken-reference", "markdownlint/MD013", "rule-a", "rule-b"),
    trivyKind: fc.constantFrom("vulnerability", "secret", "misconfiguration", "license"),
    fixed: fc.boolean(),
    suppressed: fc.boolean(),
  })
  .map(({ kind, severity, ruleId, trivyKind, fixed, suppressed }) =>
    finding(kind, {
      severity,
      ruleId,
      ...(kind === "trivy" ? { kind: trivyKind } : {}),
      ...(fixed ? { package: { name: "pkg", installed: "1.0.0", fixed: ["1.0.1"] } } : {}),
      ...(suppressed ? { suppression: { kind: "external" as const } } : {}),
    }),
  );

const arbLimits = fc.record(
  {
    max_findings: fc.nat({ max: 5 }),
    max: fc.record(
      {
        critical: fc.nat({ max: 4 }),
        high: fc.nat({ max: 4 }),
        medium: fc.nat({ max: 4 }),
        low: fc.nat({ max: 4 }),
        info: fc.nat({ max: 4 }),
        unknown: fc.nat({ max: 4 }),
      },
      { requiredKeys: [] },
    ),
    only_fixable: fc.boolean(),
  },
  { requiredKeys: [] },
);

const FINDING_GATE_NAMES = [
  "framework_integrity",
  "documentation",
  "secrets",
  "vulnerabilities",
  "sast",
  "compliance",
] as const;

const arbPolicyDocument = fc.record({
  gates: fc.record({
    framework_integrity: arbLimits,
    documentation: arbLimits,
    secrets: arbLimits,
    vulnerabilities: arbLimits,
    sast: arbLimits,
    compliance: arbLimits,
  }),
});

const KIND_OF_TOOL = new Map<string, ReportKind>([
  ["portcullis-validate", "validate"],
  ["gitleaks", "gitleaks"],
  ["trivy", "trivy"],
  ["semgrep", "semgrep"],
  ["codeql", "sarif"],
]);

/** Clean runs with the findings placed in the report of their tool. */
function runsWith(findings: readonly Finding[]): RunInput[] {
  const kindOf = (candidate: Finding): ReportKind | undefined => KIND_OF_TOOL.get(candidate.tool);
  const extra = FINDING_KINDS.filter(
    (kind) => kind === "sarif" && findings.some((candidate) => kindOf(candidate) === kind),
  ).map((kind) => ok(kind));
  return [...cleanRuns(), ...extra].map((run) =>
    ok(
      run.run.kind,
      findings.filter((candidate) => kindOf(candidate) === run.run.kind),
    ),
  );
}

const RANK: Readonly<Record<GateStatus, number>> = { pass: 0, warn: 1, fail: 2, error: 3, disabled: -1 };

function byGate(verdicts: readonly GateVerdict[]): Map<GateName, GateVerdict> {
  return new Map(verdicts.map((verdict) => [verdict.gate, verdict]));
}

describe("evaluate: properties", () => {
  it("adding a finding never makes any gate's status better (fail never becomes pass)", () => {
    fc.assert(
      fc.property(
        arbPolicyDocument,
        fc.array(arbFinding, { maxLength: 12 }),
        arbFinding,
        (document, findings, added) => {
          const environment = policy(document);
          const before = byGate(evaluate(input({ policy: environment, runs: runsWith(findings) })).report.verdicts);
          const after = evaluate(input({ policy: environment, runs: runsWith([...findings, added]) })).report.verdicts;
          for (const verdict of after) {
            expect(RANK[verdict.status], verdict.gate).toBeGreaterThanOrEqual(
              RANK[before.get(verdict.gate)?.status ?? "pass"],
            );
          }
        },
      ),
      RUNS,
    );
  });

  it("loosening a threshold never adds failures", () => {
    const arbLoosening = fc.record({
      gate: fc.constantFrom(...FINDING_GATE_NAMES),
      severity: fc.constantFrom(...SEVERITIES),
      by: fc.integer({ min: 1, max: 5 }),
      total: fc.boolean(),
    });
    fc.assert(
      fc.property(
        arbPolicyDocument,
        fc.array(arbFinding, { maxLength: 12 }),
        arbLoosening,
        (document, findings, loosening) => {
          const limits = document.gates[loosening.gate];
          const looser = structuredClone(document);
          const target = looser.gates[loosening.gate];
          if (loosening.total && limits.max_findings !== undefined)
            target.max_findings = limits.max_findings + loosening.by;
          else if (!loosening.total && limits.max?.[loosening.severity] !== undefined) {
            target.max = { ...target.max, [loosening.severity]: (limits.max[loosening.severity] ?? 0) + loosening.by };
          }
          const runs = runsWith(findings);
          const strict = byGate(evaluate(input({ policy: policy(document), runs })).report.verdicts);
          const loose = evaluate(input({ policy: policy(looser), runs })).report.verdicts;
          for (const verdict of loose) {
            const failedBefore = new Set(
              strict
                .get(verdict.gate)
                ?.evidence.checks.filter((check) => !check.ok)
                .map(checkLabel),
            );
            for (const check of verdict.evidence.checks.filter((candidate) => !candidate.ok))
              expect(failedBefore.has(checkLabel(check)), checkLabel(check)).toBe(true);
            expect(RANK[verdict.status]).toBeLessThanOrEqual(RANK[strict.get(verdict.gate)?.status ?? "error"]);
          }
        },
      ),
      RUNS,
    );
  });

  it("a gate whose required report is absent is never pass (nor warn, nor fail): always error", () => {
    const kinds = ["validate", "gitleaks", "trivy", "semgrep", "k6"] as const;
    fc.assert(
      fc.property(
        fc.subarray([...kinds]),
        fc.array(arbFinding, { maxLength: 8 }),
        arbPolicyDocument,
        (present, findings, document) => {
          const runs = runsWith(findings).filter(
            (run) => (present as readonly string[]).includes(run.run.kind) || run.run.kind === "sarif",
          );
          const { report } = evaluate(input({ policy: policy(document), runs }));
          for (const verdict of report.verdicts) {
            const missing = REQUIRED_REPORTS[verdict.gate].some((kind) => !runs.some((run) => run.run.kind === kind));
            if (missing) expect(verdict.status, verdict.gate).toBe("error");
          }
          if (present.length < kinds.length) expect(report.passed).toBe(false);
        },
      ),
      RUNS,
    );
  });
});
