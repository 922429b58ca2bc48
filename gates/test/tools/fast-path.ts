import fc from "fast-check";
import { expect } from "vitest";
import type { JsonOrSarifSpec } from "../../src/tools/sarif.js";

/**
 * The two promises of a spec's `accepts` fast check, for the adapters' tests: it never accepts a
 * document its zod schema refuses, and what it accepts builds the same result as zod's copy.
 */

/** A value of another JSON type (or none at all), for a field that should hold something else. */
export const anyValue = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string(), fc.integer(), fc.boolean());

/** Mostly a value from `arbitrary`, now and then anyValue: most documents pass, and each field gets its wrong turn. */
export const mostly = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 20, arbitrary }, { weight: 1, arbitrary: anyValue });

/** A line or column count, now and then one a count schema refuses. */
export const count = fc.oneof(
  { weight: 20, arbitrary: fc.nat(5_000) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, 2 ** 53) },
);

/** The property over generated documents, which must reach the fast path often enough to mean something. */
export function expectFastPathMatchesSchema<T>(spec: JsonOrSarifSpec<T>, documents: fc.Arbitrary<unknown>): void {
  let accepted = 0;
  fc.assert(
    fc.property(documents, (document) => {
      if (spec.accepts?.(document) !== true) return;
      accepted += 1;
      expectSameAsSchema(spec, document);
    }),
    { numRuns: 3_000 },
  );
  expect(accepted).toBeGreaterThan(100);
}

/** A real report takes the fast path, with the result zod's copy gives. */
export function expectFastPathTaken<T>(spec: JsonOrSarifSpec<T>, document: unknown, name: string): void {
  expect(spec.accepts?.(document), name).toBe(true);
  expectSameAsSchema(spec, document);
}

function expectSameAsSchema<T>(spec: JsonOrSarifSpec<T>, document: unknown): void {
  const parsed = spec.schema.safeParse(document);
  expect(parsed.success).toBe(true);
  if (parsed.success) expect(spec.build(document as T)).toStrictEqual(spec.build(parsed.data));
}
