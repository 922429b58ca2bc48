/**
 * A count as en-US writes it, digits grouped by three (`1,234,567`). By hand: building an
 * Intl.NumberFormat initialises ICU, about 25 ms at every start of the CLI, for a job a regular
 * expression does. Counts are whole and not negative.
 */
export function formatCount(value: number): string {
  const digits = String(value);
  return digits.length <= 3 ? digits : digits.replace(THOUSANDS, ",");
}

/** Each place followed by a multiple of three digits up to the end, except the start. */
const THOUSANDS = /\B(?=(?:\d{3})+$)/g;
