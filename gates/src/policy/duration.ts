import { ConfigError, quote } from "../errors.js";
import { DURATION_PATTERN, isFiniteDuration } from "./units.js";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/**
 * Milliseconds of a policy duration: `parseDuration("200ms")` is 200, `"1.5s"` is 1500, `"5m"` is
 * 300000. Throws a ConfigError for anything the `Duration` schema would reject.
 */
export function parseDuration(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  const unit = match?.[2];
  if (match === null || !isUnit(unit) || !isFiniteDuration(text)) {
    throw new ConfigError(
      "POLICY_INVALID",
      `expected a duration such as "200ms", "30s", "5m", received ${quote(text)}`,
      {
        fix: "write a number followed by one unit: ms, s, m or h",
      },
    );
  }
  // Rounded to the microsecond: "1.1s" is 1100, not 1100.0000000000002.
  return Math.round(Number(text.slice(0, text.length - unit.length)) * UNIT_MS[unit] * 1000) / 1000;
}

// --- internal ---

function isUnit(unit: string | undefined): unit is keyof typeof UNIT_MS {
  return unit !== undefined && Object.hasOwn(UNIT_MS, unit);
}
