import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FINDING_KINDS, SEVERITIES, SUPPRESSION_KINDS } from "../../src/findings/finding.js";
import { isPlainReportedFinding } from "../../src/model/finding-check.js";
import { GATE_NAMES } from "../../src/model/gates.js";
import { FINDING_STATUSES, ReportedFinding } from "../../src/model/report.js";
import { realisticReport } from "../report/html-report-fixture.js";
import { count, mostly } from "../tools/fast-path.js";
import { realisticEvaluation } from "../report/realistic-report.js";

/** A string `z.string().min(1)` accepts, and now and then the empty one it refuses. */
const nonEmpty = (maxLength?: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 10, arbitrary: fc.string({ minLength: 1, ...(maxLength === undefined ? {} : { maxLength }) }) },
    { weight: 1, arbitrary: fc.constant("") },
  );

/** Now and then a key the strict schema does not know, `__proto__` as JSON.parse makes it among them. */
function withStrayKey<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      arbitrary,
      fc.oneof(
        { weight: 20, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom("extra", "__proto__", "Tool", "fingerprints") },
      ),
    )
    .map(([value, key]) => {
      if (key === null || typeof value !== "object" || value === null) return value;
      return Object.defineProperty({ ...value }, key, {
        value: "x",
        enumerable: true,
        writable: true,
        configurable: true,
      });
    });
}

const anyLocation = withStrayKey(
  fc.record(
    {
      path: mostly(nonEmpty()),
      startLine: mostly(count),
      endLine: mostly(count),
      startColumn: mostly(count),
      endColumn: mostly(count),
    },
    { requiredKeys: ["path"] },
  ),
);

const anyPackage = withStrayKey(
  fc.record(
    {
      name: mostly(fc.string()),
      installed: mostly(fc.string()),
      fixed: mostly(fc.array(mostly(fc.string()), { maxLength: 3 })),
      ecosystem: mostly(fc.string()),
    },
    { requiredKeys: ["name"] },
  ),
);

const anySuppression = withStrayKey(
  fc.record(
    {
      kind: mostly(fc.constantFrom(...SUPPRESSION_KINDS)),
      reason: mostly(fc.string()),
      approver: mostly(fc.string()),
      expires: mostly(fc.string()),
    },
    { requiredKeys: ["kind"] },
  ),
);

/** Findings as report.json holds them, mostly valid, each field now and then of another type. */
const anyReportedFinding = withStrayKey(
  fc.record(
    {
      tool: mostly(nonEmpty(3)),
      kind: mostly(fc.constantFrom(...FINDING_KINDS)),
      ruleId: mostly(nonEmpty(3)),
      severity: mostly(fc.constantFrom(...SEVERITIES)),
      title: mostly(fc.string()),
      message: mostly(fc.string()),
      location: mostly(anyLocation),
      fingerprint: mostly(nonEmpty(3)),
      package: mostly(anyPackage),
      references: mostly(fc.array(mostly(fc.string()), { maxLength: 3 })),
      helpUri: mostly(fc.string()),
      snippet: mostly(fc.string()),
      commit: mostly(fc.string()),
      suppression: mostly(anySuppression),
      gate: mostly(fc.constantFrom(...GATE_NAMES)),
      status: mostly(fc.constantFrom(...FINDING_STATUSES)),
    },
    {
      requiredKeys: ["tool", "kind", "ruleId", "severity", "title", "message", "fingerprint", "gate", "status"],
    },
  ),
);

describe("isPlainReportedFinding", () => {
  it("accepts exactly what the ReportedFinding schema accepts of values JSON.parse can make", () => {
    let accepted = 0;
    fc.assert(
      fc.property(anyReportedFinding, (value) => {
        const parsed = ReportedFinding.safeParse(value);
        // Sufficient: never more than the schema. Necessary too, for plain objects: a finding the
        // schema accepts but the check refuses would lose the fast path unnoticed.
        expect(isPlainReportedFinding(value)).toBe(parsed.success);
        if (!parsed.success) return;
        accepted += 1;
        expect(parsed.data.fingerprint).toBe((value as { fingerprint: unknown }).fingerprint);
      }),
      { numRuns: 5_000 },
    );
    // The property means something only if the check accepts a good share of the findings.
    expect(accepted).toBeGreaterThan(500);
  });

  it("takes every finding of realistic reports, as JSON.parse reads their lines", () => {
    // Many findings over every gate, severity and status; and evaluate's own report, with waived,
    // baseline and suppressed findings.
    const findings = JSON.parse(
      JSON.stringify([...realisticReport(300).findings, ...realisticEvaluation().report.findings]),
    ) as unknown[];
    const suppressed = findings.filter((finding) => (finding as { suppression?: unknown }).suppression !== undefined);
    expect(suppressed.length).toBeGreaterThan(0);
    for (const finding of findings) expect(isPlainReportedFinding(finding)).toBe(true);
  });
});
