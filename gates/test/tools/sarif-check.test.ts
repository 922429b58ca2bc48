import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReportError } from "../../src/errors.js";
import type { ToolResult } from "../../src/findings/finding.js";
import { parseSarifDocument } from "../../src/tools/sarif.js";
import { isPlainSarifResult } from "../../src/tools/sarif-check.js";
import { SarifLog, SarifResult } from "../../src/tools/sarif-schema.js";

/*
 * The SARIF result fast check against the SarifResult schema it stands for: a log read through
 * the fast check gives the very result the schema's copy of the log gives, and a log the schema
 * refuses is refused with the schema's own first issue.
 */

const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string({ maxLength: 3 }),
  fc.constantFrom(-1, 0, 1.5, 2 ** 53, 3),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  // Not JSON, but parseSarifDocument takes any value: zod's records refuse what is not a plain object.
  fc.constant(new Map([["security-severity", "9.8"]])),
);
const maybe = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 50, arbitrary }, { weight: 1, arbitrary: anyValue });
/** Mostly the schema's own members, now and then one it does not know. */
const member = (...members: string[]) =>
  fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...members) }, { weight: 1, arbitrary: fc.constant("other") });
const optional = { requiredKeys: [] as never[] };
const count = fc.oneof(
  { weight: 30, arbitrary: fc.nat(500) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, 2 ** 53) },
);
/** JSON.parse makes `__proto__` an own key, which a copy by assignment would drop or turn into a prototype. */
const protoMap = (value: string): Record<string, unknown> =>
  JSON.parse(`{"__proto__": {"tags": ["CWE-79"]}, "a": ${JSON.stringify(value)}}`) as Record<string, unknown>;
const stringMap = maybe(
  fc.oneof(
    { weight: 6, arbitrary: fc.dictionary(fc.constantFrom("matchBasedId/v1", "commitSha", "b"), maybe(fc.string())) },
    { weight: 1, arbitrary: fc.constantFrom("x", "requires login").map(protoMap) },
  ),
);
const properties = maybe(
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record(
        {
          "security-severity": maybe(fc.constantFrom("9.8", "5.0", 7.5, "")),
          tags: maybe(
            fc.array(maybe(fc.constantFrom("CWE-89", "security", "cve-2021-44228", "HIGH")), { maxLength: 3 }),
          ),
        },
        optional,
      ),
    },
    { weight: 1, arbitrary: fc.constant(null).map(() => protoMap("y")) },
  ),
);
const region = maybe(
  fc.record(
    {
      startLine: count,
      startColumn: count,
      endLine: count,
      endColumn: count,
      snippet: maybe(fc.record({ text: maybe(fc.constantFrom("eval(x)", "", "requires login")) }, optional)),
      charOffset: fc.nat(),
    },
    optional,
  ),
);
const location = maybe(
  fc.record(
    {
      physicalLocation: maybe(
        fc.record(
          {
            artifactLocation: maybe(
              fc.record(
                {
                  uri: maybe(fc.constantFrom("src/a%20b.ts", "file:///repo/x.py", "%E0%A4%A", "")),
                  uriBaseId: maybe(fc.constant("SRCROOT")),
                  index: count,
                },
                optional,
              ),
            ),
            region,
          },
          optional,
        ),
      ),
      message: anyValue,
    },
    optional,
  ),
);
const result = maybe(
  fc.record(
    {
      ruleId: maybe(fc.constantFrom("js.rule", "CVE-2021-44228", "generic-api-key", "r/sub")),
      ruleIndex: maybe(fc.integer({ min: -1, max: 3 })),
      rule: maybe(
        fc.record(
          { id: maybe(fc.constantFrom("js.rule", "r")), index: maybe(fc.integer({ min: -1, max: 3 })) },
          optional,
        ),
      ),
      kind: maybe(member("fail", "pass", "review", "notApplicable", "open", "informational")),
      level: maybe(member("error", "warning", "note", "none")),
      message: maybe(
        fc.record(
          {
            text: maybe(
              fc.constantFrom("found {0}", "Package: qs\nInstalled Version: 6.1.0\nFixed Version: 6.2.0", "x"),
            ),
            markdown: maybe(fc.constant("**x**")),
            id: maybe(fc.constantFrom("default", "missing")),
            arguments: maybe(fc.array(maybe(fc.string({ maxLength: 3 })), { maxLength: 2 })),
          },
          optional,
        ),
      ),
      locations: maybe(fc.array(location, { maxLength: 2 })),
      fingerprints: stringMap,
      partialFingerprints: stringMap,
      suppressions: maybe(
        fc.array(
          maybe(
            fc.record(
              {
                kind: maybe(member("inSource", "external")),
                status: maybe(member("accepted", "underReview", "rejected")),
                justification: maybe(fc.constantFrom("", "test data")),
              },
              optional,
            ),
          ),
          { maxLength: 2 },
        ),
      ),
      baselineState: maybe(member("new", "unchanged", "updated", "absent")),
      properties,
      codeFlows: fc.constant([{ threadFlows: [] }]),
    },
    { requiredKeys: ["message"] },
  ),
);
const rules = fc.constant([
  {
    id: "js.rule",
    shortDescription: { text: "A rule" },
    defaultConfiguration: { level: "note" },
    properties: { tags: ["CWE-79"] },
  },
  { id: "r", messageStrings: { default: { text: "default {0} text" } }, helpUri: "https://example.test/r" },
  { id: "CVE-2021-44228", name: "OsPackageVulnerability", properties: { tags: ["vulnerability", "CRITICAL"] } },
]);
const log = fc.record({
  version: fc.constant("2.1.0"),
  runs: fc.array(
    fc.record({
      tool: fc.record({
        driver: fc.record({ name: fc.constantFrom("Semgrep OSS", "gitleaks", "Trivy", "ExampleLint"), rules }),
      }),
      results: fc.oneof(
        { weight: 8, arbitrary: fc.array(result, { maxLength: 4 }) },
        { weight: 1, arbitrary: fc.constant(null) },
      ),
      artifacts: fc.constant([{ location: { uri: "src/from-index.ts" } }]),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});

function outcome(document: unknown): ToolResult | ReportError {
  try {
    return parseSarifDocument(document, { file: "scan.sarif" });
  } catch (error) {
    if (error instanceof ReportError) return error;
    throw error;
  }
}

describe("isPlainSarifResult", () => {
  it("accepts only results the schema accepts", () => {
    let accepted = 0;
    fc.assert(
      fc.property(result, (value) => {
        if (!isPlainSarifResult(value)) return;
        accepted += 1;
        expect(SarifResult.safeParse(value).success).toBe(true);
      }),
      { numRuns: 3_000 },
    );
    expect(accepted).toBeGreaterThan(300);
  });

  it("a log read through it gives what the schema's copy of the log gives, or the schema's error", () => {
    let fast = 0;
    fc.assert(
      fc.property(log, (document) => {
        const schema = SarifLog.safeParse(document);
        const read = outcome(document);
        if (!schema.success) {
          expect(read).toBeInstanceOf(ReportError);
          const [first] = schema.error.issues;
          expect((read as ReportError).message).toContain(`${first?.path.join(".")}: `);
          return;
        }
        fast += document.runs.flatMap((run) => run.results ?? []).filter(isPlainSarifResult).length;
        expect(read).toStrictEqual(outcome(schema.data));
      }),
      { numRuns: 3_000 },
    );
    expect(fast).toBeGreaterThan(200);
  });

  it("a result only the schema accepts is read through the schema", () => {
    const document = {
      version: "2.1.0",
      runs: [
        {
          tool: { driver: { name: "Semgrep OSS", rules: [{ id: "js.rule" }] } },
          results: [
            { ruleId: "js.rule", message: { text: "plain" } },
            { ruleId: "js.rule", message: { text: "bag" }, properties: protoMap("z") },
          ],
        },
      ],
    };
    expect(isPlainSarifResult(document.runs[0]?.results[1])).toBe(false);
    const read = outcome(document);
    expect(read).not.toBeInstanceOf(ReportError);
    expect((read as ToolResult).findings.map((finding) => finding.message)).toEqual(["plain", "bag"]);
  });
});
