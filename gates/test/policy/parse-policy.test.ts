import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { parsePolicy, policyHash, validatePolicy } from "../../src/policy/parse-policy.js";
import { PolicyError } from "../../src/policy/problems.js";
import { POLICY_RULES } from "../../src/policy/rules.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/policy/${name}`, import.meta.url), "utf8");

/** Every problem of a document as `path: message — fix: … [rule]`, the way users read them. */
function problemsOf(text: string): string[] {
  try {
    parsePolicy(text, "env.yml");
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return error.problems.map(
      (problem) =>
        `${problem.path}: ${problem.message} — fix: ${problem.fix}${problem.rule === undefined ? "" : ` [${problem.rule}]`}`,
    );
  }
  throw new Error("expected the policy to be rejected");
}

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parsePolicy: accepted documents are normalised", () => {
  it("fills every gate with mandatory mode and its default limits when only the name is given", () => {
    const policy = parsePolicy(fixture("minimal.yml"), "minimal.yml");
    expect(policy).toEqual({
      name: "minimal",
      bypass: { allow_mandatory: false },
      waivers: { max_days: 30 },
      gates: {
        framework_integrity: { enabled: true, mode: "mandatory", max_findings: 0, max: {}, only_fixable: false },
        documentation: { enabled: true, mode: "mandatory", max_findings: 0, max: {}, only_fixable: false },
        secrets: { enabled: true, mode: "mandatory", max_findings: 0, max: {}, only_fixable: false },
        vulnerabilities: { enabled: true, mode: "mandatory", max: { critical: 0, high: 0 }, only_fixable: false },
        sast: { enabled: true, mode: "mandatory", max: { critical: 0, high: 0 }, only_fixable: false },
        performance: {
          enabled: true,
          mode: "mandatory",
          max_p95: "200ms",
          max_p99: "500ms",
          max_error_rate: 0.001,
          min_checks_rate: 0.99,
          min_requests: 100,
          honour_k6_thresholds: true,
        },
        compliance: { enabled: true, mode: "mandatory", max: { critical: 0, high: 0 }, only_fixable: false },
      },
    });
  });

  it.each([
    {
      name: "a gate that sets no limit keeps its default limits",
      yaml: "name: a\ngates:\n  vulnerabilities:\n    mode: advisory\n",
      expected: { vulnerabilities: { mode: "advisory", max: { critical: 0, high: 0 } } },
    },
    {
      name: "limits are all-or-nothing: setting one replaces the defaults",
      yaml: "name: a\ngates:\n  vulnerabilities:\n    max:\n      medium: 5\n",
      expected: { vulnerabilities: { max: { medium: 5 } } },
    },
    {
      name: "max_findings alone replaces severity defaults",
      yaml: "name: a\ngates:\n  sast:\n    max_findings: 3\n",
      expected: { sast: { max_findings: 3, max: {} } },
    },
    {
      name: "a gate switched off explicitly stays configured",
      yaml: "name: a\ngates:\n  compliance:\n    enabled: false\n",
      expected: { compliance: { enabled: false, mode: "mandatory", max: { critical: 0, high: 0 } } },
    },
    {
      name: "only_fixable on vulnerabilities",
      yaml: "name: a\ngates:\n  vulnerabilities:\n    only_fixable: true\n",
      expected: { vulnerabilities: { only_fixable: true, max: { critical: 0, high: 0 } } },
    },
    {
      name: "durations in any unit, p99 equal to p95",
      yaml: "name: a\ngates:\n  performance:\n    max_p95: 0.5s\n    max_p99: 500ms\n",
      expected: { performance: { max_p95: "0.5s", max_p99: "500ms" } },
    },
  ])("$name", ({ yaml, expected }) => {
    expect(parsePolicy(yaml, "a.yml").gates).toMatchObject(expected);
  });
});

describe("parsePolicy: every problem with its dot-path and fix", () => {
  it("reports schema problems one by one, unknown keys with a suggestion", () => {
    expect(problemsOf(fixture("invalid-schema.yml"))).toMatchInlineSnapshot(`
      [
        "bypass.allow_mandatory: expected boolean, received string "yes" — fix: set allow_mandatory to a boolean",
        "gates.vulnerabilities.max.high: expected number, received string "0" — fix: write 0 without quotes",
        "gates.vulnerabilities.max.critcal: unknown key — did you mean "critical"? — fix: rename it to "critical"",
        "gates.sast.mode: expected one of "mandatory", "advisory", received string "blocking" — fix: use one of: mandatory, advisory",
        "gates.performance.max_p95: expected string, received number 200 — fix: durations are strings with a unit: write 200ms (or s, m, h)",
        "gates.performance.max_error_rate: expected a number <= 1, received 5 — fix: rates are fractions, not percent: write 0.05 for 5 %",
        "gates.performance.min_requests: expected a number >= 1, received 0 — fix: use a value >= 1",
        "gates.secret: unknown key — did you mean "secrets"? — fix: rename it to "secrets"",
      ]
    `);
  });

  it.each([
    [
      "a rate written as percent",
      "max_error_rate: 0.1%",
      'gates.performance.max_error_rate: expected number, received string "0.1%" — fix: rates are fractions, not percent: write 0.001 for 0.1 %',
    ],
    [
      "a rate written as percent with a space",
      "max_error_rate: 2 %",
      'gates.performance.max_error_rate: expected number, received string "2 %" — fix: rates are fractions, not percent: write 0.02 for 2 %',
    ],
    [
      "a rate in words",
      "max_error_rate: low",
      'gates.performance.max_error_rate: expected number, received string "low" — fix: rates are fractions between 0 and 1, written as a number: 0.001 is 0.1 %',
    ],
    [
      "a zero latency bound without unit",
      "max_p95: 0",
      'gates.performance.max_p95: expected string, received number 0 — fix: durations are strings with a unit, and a bound of 0 can never pass: write a positive one such as "200ms"',
    ],
  ])("gives a fix the next check accepts for %s", (_name, line, expected) => {
    const problems = problemsOf(`name: a\ngates:\n  performance:\n    ${line}\n`);
    expect(problems).toEqual([expected]);
  });

  it("applies the named cross-field rules once the schema accepts the document", () => {
    expect(problemsOf(fixture("invalid-rules.yml"))).toMatchInlineSnapshot(`
      [
        "gates.secrets.only_fixable: only_fixable applies to vulnerabilities only; secrets findings have no fixed version — fix: remove it [only-fixable-on-vulnerabilities]",
        "gates.performance.max_p95: max_p95 is 0ms: no request can be faster than zero, so the gate could never pass — fix: set a positive duration such as "200ms" [latency-bounds-positive]",
      ]
    `);
    expect(problemsOf("name: a\ngates:\n  secrets:\n    max_db_age: 24h\n")).toEqual([
      "gates.secrets.max_db_age: max_db_age applies to vulnerabilities only; secrets is not judged against trivy's vulnerability DB — fix: move it to gates.vulnerabilities, or remove it [max-db-age-on-vulnerabilities]",
    ]);
    expect(problemsOf("name: a\ngates:\n  performance:\n    max_p95: 1s\n    max_p99: 999ms\n")).toMatchInlineSnapshot(`
      [
        "gates.performance.max_p99: max_p99 (999ms) is below max_p95 (1s); p(99) is never below p(95) — fix: raise max_p99 to at least 1s, or lower max_p95 [p99-at-least-p95]",
      ]
    `);
  });

  it.each([
    [
      "a document that is a list",
      "- name: a\n",
      "(root): expected a mapping, received a list — fix: the file must be a mapping of `key: value` lines at the top level",
    ],
    ["a missing name", "gates: {}\n", "name: required: expected string — fix: add name"],
    ["an empty name", 'name: ""\n', "name: expected a non-empty string — fix: write a non-empty value"],
    [
      "a camelCase key",
      "name: a\ngates:\n  secrets:\n    maxFindings: 0\n",
      'gates.secrets.maxFindings: unknown key — did you mean "max_findings"? — fix: rename it to "max_findings"',
    ],
    [
      "an unknown key with no close match",
      "name: a\nbypass:\n  everyone: true\n",
      "bypass.everyone: unknown key — fix: remove it; keys allowed here: allow_mandatory",
    ],
    [
      "a duration without a known unit",
      "name: a\ngates:\n  performance:\n    max_p95: 2sec\n",
      'gates.performance.max_p95: expected a duration such as "200ms", "30s", "5m", received "2sec" — fix: write a number and one unit: "200ms", "1.5s", "5m", "1h"',
    ],
    [
      "a fractional count",
      "name: a\ngates:\n  secrets:\n    max_findings: 1.5\n",
      "gates.secrets.max_findings: expected integer, received number 1.5 — fix: set max_findings to an integer",
    ],
    [
      "a misspelt mode",
      "name: a\ngates:\n  sast:\n    mode: mandatry\n",
      'gates.sast.mode: expected one of "mandatory", "advisory", received string "mandatry" — fix: did you mean "mandatory"? use one of: mandatory, advisory',
    ],
  ])("%s", (_name, yaml, expected) => {
    expect(problemsOf(yaml)).toEqual([expected]);
  });

  it("summarises the problems in one line for describe(), with code POLICY_INVALID and the file", () => {
    const error = errorOf(() => parsePolicy("name: a\ngates:\n  secret: {}\n", "environments/x.yml"));
    expect(error.code).toBe("POLICY_INVALID");
    expect(error.describe()).toMatchInlineSnapshot(
      `"[POLICY_INVALID] environments/x.yml: gates.secret: unknown key — did you mean "secrets"? — fix: rename it to "secrets""`,
    );
  });

  it("reports a YAML syntax error with line and column", () => {
    expect(errorOf(() => parsePolicy(fixture("yaml-syntax.yml"), "yaml-syntax.yml")).describe()).toMatchInlineSnapshot(
      `"[POLICY_INVALID] yaml-syntax.yml: YAML syntax error at line 5, column 3: missed comma between flow collection entries — fix: correct the YAML at line 5, column 3 (indentation, quoting, a missing ":" or closing bracket)"`,
    );
  });

  it("rejects a duplicated key instead of keeping the last one", () => {
    expect(
      errorOf(() => parsePolicy(fixture("duplicate-key.yml"), "duplicate-key.yml")).describe(),
    ).toMatchInlineSnapshot(
      `"[POLICY_INVALID] duplicate-key.yml: YAML syntax error at line 5, column 3: duplicated mapping key — fix: keep one of the two entries (line 5); YAML would otherwise silently keep the last"`,
    );
  });

  it("refuses a file of two YAML documents as bad configuration (exit 2), not a crash", () => {
    const error = errorOf(() => parsePolicy("name: staging\n---\nname: production\n", "two.yml"));
    expect(error.exitCode).toBe(2);
    expect(error.describe()).toMatchInlineSnapshot(
      `"[POLICY_INVALID] two.yml: YAML error: expected a single document in the stream, but found more — fix: keep one YAML document in the file: remove the \`---\` line that starts a second one and merge what follows it"`,
    );
  });

  it("refuses a duration too large to hold (Infinity), which could never be a limit", () => {
    const huge = `${"9".repeat(400)}h`;
    const error = errorOf(() => parsePolicy(`name: x\ngates:\n  performance:\n    max_p95: "${huge}"\n`, "x.yml"));
    expect(error.exitCode).toBe(2);
    expect(error.describe()).toContain("gates.performance.max_p95:");
    expect(error.describe()).toContain("is too large a duration");
  });

  it.each(["", "   \n", "# only a comment\n", "~\n"])("rejects an empty document %j", (text) => {
    const error = errorOf(() => parsePolicy(text, "empty.yml"));
    expect(error.message).toBe("the file is empty");
    expect(error.fix).toMatch(/name:/);
  });

  it("loads YAML safely: no custom tags", () => {
    const error = errorOf(() => parsePolicy('name: !!js/function "function () {}"\n', "evil.yml"));
    expect(error.message).toMatch(/unknown tag/);
  });
});

describe("validatePolicy and the rules", () => {
  it("never throws on data, whatever its shape", () => {
    for (const document of [null, 42, "text", [], { name: 1 }, { gates: [] }]) {
      const result = validatePolicy(document);
      expect(result.ok).toBe(false);
    }
  });

  it("names every rule uniquely in kebab-case with a description", () => {
    const names = POLICY_RULES.map((rule) => rule.name);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of POLICY_RULES) {
      expect(rule.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(rule.description.length).toBeGreaterThan(10);
    }
  });
});

describe("policyHash", () => {
  it("is the same for documents that differ only in comments, key order and spelled-out defaults", () => {
    const short = parsePolicy("name: a\ngates:\n  sast: {mode: advisory}\n", "a.yml");
    const long = parsePolicy(
      "# comment\ngates:\n  sast:\n    max: {critical: 0, high: 0}\n    mode: advisory\n    enabled: true\nbypass: {allow_mandatory: false}\nname: a\n",
      "b.yml",
    );
    expect(policyHash(long)).toBe(policyHash(short));
    expect(policyHash(short)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes with any setting", () => {
    const base = policyHash(parsePolicy("name: a\n", "a.yml"));
    const variants = [
      "name: b\n",
      "name: a\nbypass: {allow_mandatory: true}\n",
      "name: a\nwaivers: {max_days: 31}\n",
      "name: a\ngates: {secrets: {max_findings: 1}}\n",
      "name: a\ngates: {performance: {max_p95: 201ms}}\n",
    ];
    const hashes = variants.map((text) => policyHash(parsePolicy(text, "v.yml")));
    expect(new Set([base, ...hashes]).size).toBe(variants.length + 1);
  });
});
