import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SEVERITIES, SEVERITY_RANK } from "../../src/findings/finding.js";
import type { ReportedFinding } from "../../src/model/report.js";
import { sortFindings } from "../../src/model/sort.js";

/** The order sortFindings promises, compared field by field (what it did before ranking). */
function reference(a: ReportedFinding, b: ReportedFinding): number {
  const text = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    text(a.tool, b.tool) ||
    text(a.location?.path ?? "", b.location?.path ?? "") ||
    (a.location?.startLine ?? 0) - (b.location?.startLine ?? 0) ||
    text(a.fingerprint, b.fingerprint)
  );
}

/** Few values per field, so that findings tie on every prefix of the order; paths share prefixes and differ in case and non-ASCII. */
const finding = fc
  .record({
    severity: fc.constantFrom(...SEVERITIES),
    tool: fc.constantFrom("trivy", "semgrep", "gitleaks", "Semgrep"),
    path: fc.option(fc.constantFrom("", "src/a.ts", "src/a.ts.bak", "src/B.ts", "src/é.ts", "src/a"), {
      nil: undefined,
    }),
    startLine: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    fingerprint: fc.constantFrom("0a", "0b", "1a"),
    id: fc.nat(),
  })
  .map(({ severity, tool, path, startLine, fingerprint, id }): ReportedFinding => ({
    tool,
    kind: "sast",
    ruleId: `rule-${id}`,
    severity,
    title: "t",
    message: "m",
    fingerprint,
    references: [],
    ...(path === undefined ? {} : { location: { path, ...(startLine === undefined ? {} : { startLine }) } }),
    gate: "sast",
    status: "new",
  }));

describe("sortFindings", () => {
  it("orders by severity, tool, path, line and fingerprint, keeping the input order of ties", () => {
    fc.assert(
      fc.property(fc.array(finding, { maxLength: 200 }), (findings) => {
        const sorted = sortFindings(findings);
        expect(sorted).toEqual([...findings].sort(reference));
        // The same objects, in the stable order: ties keep their input order.
        sorted.forEach((item, index) => expect(item).toBe([...findings].sort(reference)[index]));
      }),
      { numRuns: 500 },
    );
  });

  it("returns a copy and leaves its input alone", () => {
    const findings = fc.sample(finding, { numRuns: 20, seed: 7 });
    const before = [...findings];
    expect(sortFindings(findings)).not.toBe(findings);
    expect(findings).toEqual(before);
  });
});
