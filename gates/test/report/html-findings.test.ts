import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SEVERITIES, SEVERITY_RANK, type Severity } from "../../src/findings/finding.js";
import type { Report, ReportedFinding } from "../../src/model/report.js";
import { findingsSection, HTML_LIMITS } from "../../src/report/html-findings.js";
import { GATE_NAMES, type GateName } from "../../src/policy/schema.js";

const STATUSES = ["new", "baseline", "waived", "suppressed"] as const;

/** What a generated finding varies: everything the counts read. */
interface Generated {
  gate: GateName;
  severity: Severity;
  status: (typeof STATUSES)[number];
  ruleId: string;
  package: string | undefined;
}

const anyFinding: fc.Arbitrary<Generated> = fc.record({
  gate: fc.constantFrom("vulnerabilities", "secrets", "sast"),
  severity: fc.constantFrom(...SEVERITIES),
  status: fc.constantFrom(...STATUSES),
  ruleId: fc.constantFrom("CVE-1", "CVE-2", "CVE-10", "b", "a", "rule-z", "<x&y>"),
  package: fc.option(fc.constantFrom("lodash", "minimist", "a-pkg", "zlib"), { nil: undefined }),
});

function reportOf(generated: readonly Generated[]): Report {
  const findings = generated.map((item, index): ReportedFinding => ({
    tool: "trivy",
    kind: "vulnerability",
    ruleId: item.ruleId,
    severity: item.severity,
    title: item.ruleId,
    message: item.ruleId,
    fingerprint: `fp-${index}`,
    references: [],
    ...(item.package === undefined ? {} : { package: { name: item.package, fixed: [] } }),
    gate: item.gate,
    status: item.status,
  }));
  return { findings, verdicts: [] } as unknown as Report;
}

/** What a count table should list: every name's findings and worst severity, sorted in full. */
function expectedTable(items: readonly Generated[], name: (item: Generated) => string | undefined, rows: number) {
  const byName = new Map<string, { findings: number; worst: Severity }>();
  for (const item of items) {
    const key = name(item);
    if (key === undefined) continue;
    const entry = byName.get(key) ?? { findings: 0, worst: item.severity };
    entry.findings += 1;
    if (SEVERITY_RANK[item.severity] < SEVERITY_RANK[entry.worst]) entry.worst = item.severity;
    byName.set(key, entry);
  }
  const sorted = [...byName].sort(
    ([a, x], [b, y]) =>
      SEVERITY_RANK[x.worst] - SEVERITY_RANK[y.worst] || y.findings - x.findings || (a < b ? -1 : a > b ? 1 : 0),
  );
  return { names: byName.size, rows: sorted.slice(0, rows) };
}

/** The rows of one count table in the section's HTML: name, worst severity, findings. */
function tableRows(section: string, what: "rule" | "package"): { summary: string; rows: string[][] } | undefined {
  const match = new RegExp(`<details class="counts-${what}"><summary>([^<]*)</summary>(.*?)</details>`).exec(section);
  if (match === null) return undefined;
  const rows = [
    ...(match[2] ?? "").matchAll(
      /<tr><td><code>(.*?)<\/code><td><span class="sev sev-\w+">(\w+)<\/span><td class="num">([\d,]+)/g,
    ),
  ];
  return { summary: match[1] ?? "", rows: rows.map((row) => [row[1] ?? "", row[2] ?? "", row[3] ?? ""]) };
}

const unescape = (text: string) => text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

describe("findingsSection counts", () => {
  it("counts every finding of a gate per severity, status, rule and package, and lists the worst names", () => {
    const rows = 3;
    fc.assert(
      fc.property(fc.array(anyFinding, { maxLength: 60 }), (generated) => {
        const html = findingsSection(reportOf(generated), { ...HTML_LIMITS, countRows: rows });
        for (const gate of GATE_NAMES) {
          const items = generated.filter((item) => item.gate === gate);
          const start = html.indexOf(`<section data-gate="${gate}">`);
          if (items.length === 0) {
            expect(start).toBe(-1);
            continue;
          }
          const section = html.slice(start, html.indexOf("</section>", start));
          const counts = /<p class="counts">(.*?)<span class="fs"> \((.*?)\)<\/span><\/p>/.exec(section);
          const severities = SEVERITIES.filter((severity) => items.some((item) => item.severity === severity));
          expect(counts?.[1]).toBe(
            severities
              .map(
                (severity) =>
                  `<span class="sev sev-${severity}">${items.filter((item) => item.severity === severity).length} ${severity}</span>`,
              )
              .join(" · "),
          );
          expect(counts?.[2]).toBe(
            STATUSES.filter((status) => items.some((item) => item.status === status))
              .map((status) => `${items.filter((item) => item.status === status).length} ${status}`)
              .join(" · "),
          );
          for (const [what, name] of [
            ["rule", (item: Generated) => item.ruleId],
            ["package", (item: Generated) => item.package],
          ] as const) {
            const expected = expectedTable(items, name, rows);
            const table = tableRows(section, what);
            if (expected.names < 2) {
              expect(table).toBeUndefined();
              continue;
            }
            expect(table?.summary).toBe(
              `By ${what}${expected.names > rows ? ` (the ${expected.rows.length} worst of ${expected.names})` : ""}`,
            );
            expect(table?.rows.map(([text, severity, findings]) => [unescape(text ?? ""), severity, findings])).toEqual(
              expected.rows.map(([key, entry]) => [key, entry.worst, String(entry.findings)]),
            );
          }
        }
        // The filter bar offers the severities present and the gates with findings, in the sections' order.
        const bar = /<form id="filters".*?<\/form>/.exec(html)?.[0] ?? "";
        expect([...bar.matchAll(/name="sev" value="(\w+)"/g)].map((match) => match[1])).toEqual(
          SEVERITIES.filter((severity) => generated.some((item) => item.severity === severity)),
        );
        expect([...bar.matchAll(/<option value="(\w+)">/g)].map((match) => match[1])).toEqual(
          GATE_NAMES.filter((gate) => generated.some((item) => item.gate === gate)),
        );
      }),
      { numRuns: 500 },
    );
  });

  it("orders rule groups of the same severity and size by rule id, as every other list is ordered: by code unit, not by locale", () => {
    const generated = ["b", "B", "a"].map((ruleId): Generated => ({
      gate: "sast",
      severity: "high",
      status: "new",
      ruleId,
      package: undefined,
    }));
    const html = findingsSection(reportOf(generated));
    const order = [
      ...html.matchAll(/<tr class=h><th colspan=3><span class="sev sev-high">high<\/span> <code>(\w+)<\/code>/g),
    ].map((match) => match[1]);
    expect(order).toEqual(["B", "a", "b"]);
  });
});
