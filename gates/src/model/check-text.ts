import type { CheckUnit, GateCheck } from "./checks.js";

/**
 * The one place a typed gate check becomes text: the verdict's reason sentence and every
 * renderer (terminal, Markdown, JUnit, HTML) use these, so they all say the same thing.
 */

/** What was compared: `max.high`, `k6.smoke: http_req_duration p(95)`, `control CTRL-SEC-01`. */
export function checkLabel(check: GateCheck): string {
  switch (check.kind) {
    case "limit":
      return `${sourcePrefix(check.source)}${check.name}`;
    case "k6_threshold":
      return `${sourcePrefix(check.source)}k6 threshold ${check.metric}: ${check.expression}`;
    case "control":
      return `control ${check.control}`;
  }
}

/** The limit: `≤ 0`, `≤ 500ms`, `≥ 100`, `passes in k6`, `pass`. */
export function checkLimitText(check: GateCheck): string {
  switch (check.kind) {
    case "limit":
      return `${check.bound === "max" ? "≤" : "≥"} ${formatValue(check.limit, check.unit)}`;
    case "k6_threshold":
      return "passes in k6";
    case "control":
      return "pass";
  }
}

/** What was measured: `2`, `612.5ms`, `0.0125`, `passed`/`failed`, the control's status. */
export function checkMeasuredText(check: GateCheck): string {
  switch (check.kind) {
    case "limit":
      return formatValue(check.measured, check.unit);
    case "k6_threshold":
      return check.ok ? "passed" : "failed";
    case "control":
      return check.status;
  }
}

/** A number in its unit: milliseconds to two decimals with `ms`, ratios to six decimals. */
export function formatValue(value: number, unit: CheckUnit): string {
  switch (unit) {
    case "ms":
      return `${Math.round(value * 100) / 100}ms`;
    case "ratio":
      return String(Math.round(value * 1e6) / 1e6);
    case "count":
      return String(value);
  }
}

// --- internal ---

function sourcePrefix(source: string | undefined): string {
  return source === undefined ? "" : `${source}: `;
}
