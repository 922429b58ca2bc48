import fc from "fast-check";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { isPortcullisError } from "../../src/errors.js";
import { parsePolicy, policyHash, validatePolicy } from "../../src/policy/parse-policy.js";
import { GATE_NAMES } from "../../src/policy/schema.js";
import { loosening, validDocument } from "./arbitraries.js";

/** `a.b.0.c`, with `["odd key"]` segments quoted as JSON strings. */
const DOT_PATH = /^(?:[\w-]+|\["(?:[^"\\]|\\.)*"\])(?:\.[\w-]+|\["(?:[^"\\]|\\.)*"\])*$/;

const SEED = { seed: 20_260_301, numRuns: 300 };

function mustValidate(document: unknown) {
  const result = validatePolicy(document);
  if (!result.ok) throw new Error(`expected a valid policy: ${JSON.stringify(result.problems)}`);
  return result.policy;
}

describe("policy properties", () => {
  it("accepts every document the generator writes", () => {
    fc.assert(
      fc.property(validDocument, (document) => {
        expect(validatePolicy(document)).toMatchObject({ ok: true });
      }),
      SEED,
    );
  });

  it("round-trips a normalised policy through YAML dump and parse unchanged (same hash)", () => {
    fc.assert(
      fc.property(validDocument, (document) => {
        const policy = mustValidate(document);
        const reparsed = parsePolicy(yaml.dump(policy), "dumped.yml");
        expect(reparsed).toEqual(policy);
        expect(policyHash(reparsed)).toBe(policyHash(policy));
      }),
      SEED,
    );
  });

  it("never makes a valid policy invalid by loosening a threshold", () => {
    fc.assert(
      fc.property(validDocument, fc.array(loosening, { minLength: 1, maxLength: 4 }), (document, steps) => {
        const loosened = steps.reduce((policy, step) => step.apply(policy), mustValidate(document));
        const result = validatePolicy(loosened);
        expect(result, steps.map((step) => step.label).join(", ")).toMatchObject({ ok: true });
      }),
      SEED,
    );
  });

  it("either accepts a random value or names each problem with a non-empty dot-path and a fix", () => {
    const anyValue = fc.oneof(
      fc.anything(),
      fc.record({
        name: fc.anything(),
        gates: fc.dictionary(fc.constantFrom(...GATE_NAMES, "secret", "x"), fc.anything()),
      }),
    );
    fc.assert(
      fc.property(anyValue, (value) => {
        const result = validatePolicy(value);
        if (result.ok) return;
        expect(result.problems.length).toBeGreaterThan(0);
        for (const problem of result.problems) {
          expect(problem.path === "(root)" || DOT_PATH.test(problem.path), problem.path).toBe(true);
          expect(problem.message).not.toBe("");
          expect(problem.fix).not.toBe("");
        }
      }),
      SEED,
    );
  });

  it("turns a valid document with one field replaced by garbage into problems at that field or a valid policy", () => {
    const garbage = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer()),
    );
    fc.assert(
      fc.property(
        validDocument,
        fc.constantFrom(...GATE_NAMES),
        fc.constantFrom("mode", "enabled", "max", "max_p95"),
        garbage,
        (document, gate, key, value) => {
          const mutated = { ...document, gates: { ...document.gates, [gate]: { [key]: value } } };
          const result = validatePolicy(mutated);
          if (result.ok) return;
          for (const problem of result.problems) expect(problem.path.startsWith(`gates.${gate}`)).toBe(true);
        },
      ),
      SEED,
    );
  });

  it("answers random text with a policy or a typed error, never anything else", () => {
    const text = fc.oneof(
      fc.string(),
      validDocument.map((document) => yaml.dump(document)),
      validDocument.chain((document) => {
        const dumped = yaml.dump(document);
        return fc.nat(dumped.length).map((cut) => dumped.slice(0, cut));
      }),
    );
    fc.assert(
      fc.property(text, (source) => {
        try {
          parsePolicy(source, "random.yml");
        } catch (error) {
          expect(isPortcullisError(error) && error.code === "POLICY_INVALID").toBe(true);
        }
      }),
      SEED,
    );
  });
});
