import { z } from "zod";
import { quote } from "../errors.js";

/**
 * The value types every section of an environment file shares: durations as strings, rates as
 * fractions. A leaf module (it imports no section) so that sections defined elsewhere, such as
 * `deploy:`, can use the same schemas without an import cycle through schema.ts; sharing the same
 * instances also gives their problems the same fixes ("durations are strings with a unit").
 */

/** `200ms`, `1.5s`, `5m`, `1h`: one number, one unit. */
export const DURATION_PATTERN = /^\d+(\.\d+)?(ms|s|m|h)$/;

/**
 * True when a duration's number is one JavaScript holds: `999…9h` with 400 digits matches the
 * pattern but is Infinity, which no limit can be and JSON cannot write.
 */
export function isFiniteDuration(text: string): boolean {
  const number = /^\d+(?:\.\d+)?/.exec(text)?.[0];
  return number !== undefined && Number.isFinite(Number(number) * 3_600_000);
}

export const TOO_LONG_DURATION = "is too large a duration: write it in a larger unit or as a smaller number";

export const Duration = z
  .string()
  .regex(DURATION_PATTERN, {
    error: (issue) => `expected a duration such as "200ms", "30s", "5m", received ${quote(issue.input)}`,
  })
  .refine(isFiniteDuration, { error: (issue) => `${quote(issue.input)} ${TOO_LONG_DURATION}` })
  .describe('A duration: a number and a unit, ms, s, m or h ("200ms", "1.5s", "5m")');
export type Duration = z.infer<typeof Duration>;

export const Fraction = z.number().min(0).max(1).describe("A rate as a fraction between 0 and 1 (0.001 is 0.1 %)");
export type Fraction = z.infer<typeof Fraction>;
