import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SEVERITIES, SEVERITY_RANK, type Severity } from "../../src/findings/finding.js";
import type { GateVerdict, Report, ReportedFinding } from "../../src/model/report.js";
import { countNew, DIGEST_CAP, digestOf, worstCounted, WorstFindings } from "../../src/report/digest.js";
import { GATE_NAMES, type GateName } from "../../src/policy/schema.js";

const STATUSES = ["new", "baseline", "waived", "suppressed"] as const;
const STATUS_RANK = { new: 0, baseline: 1, waived: 2, suppressed: 3 } as const;

interface Generated {
  gate: GateName;
  tool: string;
  severity: Severity;
  status: (typeof STATUSES)[number];
  located: boolean;
}

const anyFinding: fc.Arbitrary<Generated> = fc.record({
  gate: fc.constantFrom("vulnerabilities", "secrets", "sast", "documentation"),
  tool: fc.constantFrom("trivy", "gitleaks", "semgrep"),
  severity: fc.constantFrom(...SEVERITIES),
  status: fc.constantFrom(...STATUSES),
  located: fc.boolean(),
});

function findingsOf(generated: readonly Generated[]): ReportedFinding[] {
  return generated.map((item, index) => ({
    tool: item.tool,
    kind: "vulnerability",
    ruleId: `rule-${index % 3}`,
    severity: item.severity,
    title: "t",
    message: "m",
    // Repeats: the verdicts name a fingerprint that several findings share.
    fingerprint: `fp-${index % 7}`,
    references: [],
    ...(item.located ? { location: { path: `f${index}.js`, startLine: 1 } } : {}),
    gate: item.gate,
    status: item.status,
  }));
}

function verdict(gate: GateName, status: GateVerdict["status"], worst: string[]): GateVerdict {
  return { gate, status, evidence: { worst } } as unknown as GateVerdict;
}

/** A stable sort by the keys given, then the first `limit`: what the digest's lists stand for. */
function firstBy(findings: readonly ReportedFinding[], key: (finding: ReportedFinding) => number[], limit: number) {
  const keyed = findings.map((finding, index) => ({ finding, key: [...key(finding), index] }));
  keyed.sort((a, b) => {
    for (let at = 0; at < a.key.length; at += 1) {
      const order = (a.key[at] ?? 0) - (b.key[at] ?? 0);
      if (order !== 0) return order;
    }
    return 0;
  });
  return keyed.slice(0, limit).map(({ finding }) => finding);
}

describe("WorstFindings", () => {
  it("takes the worst of what it was given: new before accepted, then by severity, then in order", () => {
    fc.assert(
      fc.property(fc.array(anyFinding, { maxLength: 80 }), fc.nat({ max: 90 }), (generated, limit) => {
        const findings = findingsOf(generated);
        const worst = new WorstFindings();
        for (const finding of findings) worst.add(finding);
        expect(worst.total).toBe(findings.length);
        expect(worst.take(limit)).toEqual(
          firstBy(findings, (finding) => [STATUS_RANK[finding.status], SEVERITY_RANK[finding.severity]], limit),
        );
      }),
    );
  });

  it("keeps DIGEST_CAP findings per status and severity, so a take up to the cap is exact", () => {
    const worst = new WorstFindings();
    const many = findingsOf(
      Array.from({ length: DIGEST_CAP + 10 }, () => ({
        gate: "vulnerabilities" as const,
        tool: "trivy",
        severity: "critical" as const,
        status: "new" as const,
        located: true,
      })),
    );
    for (const finding of many) worst.add(finding);
    expect(worst.total).toBe(DIGEST_CAP + 10);
    expect(worst.take(DIGEST_CAP)).toEqual(many.slice(0, DIGEST_CAP));
    expect(worst.newOf(SEVERITY_RANK.critical)).toHaveLength(DIGEST_CAP);
  });
});

describe("digestOf", () => {
  const anyReport = fc.record({
    generated: fc.array(anyFinding, { maxLength: 80 }),
    disabled: fc.subarray([...GATE_NAMES]),
  });

  it("counts every gate's findings and lists the gates in GATE_NAMES order", () => {
    fc.assert(
      fc.property(anyReport, ({ generated, disabled }) => {
        const findings = findingsOf(generated);
        const digest = digestOf({ findings, verdicts: disabled.map((gate) => verdict(gate, "disabled", [])) });
        expect(digest.gates.map((gate) => gate.gate)).toEqual(
          GATE_NAMES.filter((gate) => findings.some((finding) => finding.gate === gate)),
        );
        for (const gate of digest.gates) {
          const own = findings.filter((finding) => finding.gate === gate.gate);
          expect(gate.enabled).toBe(!disabled.includes(gate.gate));
          expect(gate.worst.total).toBe(own.length);
          expect(gate.severities).toEqual(SEVERITIES.map((s) => own.filter((f) => f.severity === s).length));
          expect(gate.statuses).toEqual(STATUSES.map((s) => own.filter((f) => f.status === s).length));
          const located = own.filter((finding) => finding.status === "new" && finding.location !== undefined);
          expect(gate.locatedCounts).toEqual(SEVERITIES.map((s) => located.filter((f) => f.severity === s).length));
          expect(gate.located).toEqual(SEVERITIES.map((s) => located.filter((f) => f.severity === s)));
        }
        expect(countNew(digest)).toBe(findings.filter((finding) => finding.status === "new").length);
      }),
    );
  });

  it("lists the tools in the order of their first finding, each with its worst findings", () => {
    fc.assert(
      fc.property(anyReport, ({ generated }) => {
        const findings = findingsOf(generated);
        const digest = digestOf({ findings, verdicts: [] });
        expect([...digest.tools.keys()]).toEqual([...new Set(findings.map((finding) => finding.tool))]);
        for (const [tool, worst] of digest.tools) {
          const own = findings.filter((finding) => finding.tool === tool);
          expect(worst.take(DIGEST_CAP)).toEqual(
            firstBy(own, (finding) => [STATUS_RANK[finding.status], SEVERITY_RANK[finding.severity]], DIGEST_CAP),
          );
        }
      }),
    );
  });

  it("finds the first finding of each fingerprint a verdict names", () => {
    fc.assert(
      fc.property(anyReport, fc.subarray(["fp-0", "fp-3", "fp-6", "fp-9"]), ({ generated }, named) => {
        const findings = findingsOf(generated);
        const digest = digestOf({ findings, verdicts: [verdict("sast", "fail", named)] });
        for (const fingerprint of named) {
          expect(digest.named.get(fingerprint)).toBe(findings.find((finding) => finding.fingerprint === fingerprint));
        }
        expect(digest.named.size).toBe(named.filter((fp) => findings.some((f) => f.fingerprint === fp)).length);
      }),
    );
  });

  it("is gathered once per findings list, and again when the list or the verdicts change", () => {
    const findings = findingsOf([{ gate: "sast", tool: "semgrep", severity: "high", status: "new", located: true }]);
    const verdicts: GateVerdict[] = [];
    const first = digestOf({ findings, verdicts });
    expect(digestOf({ findings, verdicts } satisfies Pick<Report, "findings" | "verdicts">)).toBe(first);
    expect(digestOf({ findings, verdicts: [verdict("sast", "disabled", [])] }).gates[0]?.enabled).toBe(false);
    findings.push({ ...findings[0]!, fingerprint: "other" });
    expect(digestOf({ findings, verdicts }).gates[0]?.worst.total).toBe(2);
  });
});

describe("worstCounted", () => {
  it("is the new findings of judged gates: by severity, then by gate, then in report order", () => {
    fc.assert(
      fc.property(
        fc.array(anyFinding, { maxLength: 80 }),
        fc.subarray([...GATE_NAMES]),
        fc.nat({ max: 90 }),
        (generated, disabled, limit) => {
          const findings = findingsOf(generated);
          const digest = digestOf({ findings, verdicts: disabled.map((gate) => verdict(gate, "disabled", [])) });
          const counted = findings.filter((finding) => finding.status === "new" && !disabled.includes(finding.gate));
          expect(worstCounted(digest, limit)).toEqual(
            firstBy(counted, (finding) => [SEVERITY_RANK[finding.severity], GATE_NAMES.indexOf(finding.gate)], limit),
          );
        },
      ),
    );
  });
});
