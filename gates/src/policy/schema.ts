import { z } from "zod";

/**
 * Environment policy schema (`environments/<name>.yml`). Conventions for every key, here and in the
 * sections later issues add (`deploy:`, runner settings): snake_case keys, rates as fractions
 * (0.001, never percent), durations as strings (`200ms`, `30s`).
 */

export const GATE_NAMES = [
  "framework_integrity",
  "documentation",
  "secrets",
  "vulnerabilities",
  "sast",
  "performance",
  "compliance",
] as const;
export const GateName = z.enum(GATE_NAMES);
export type GateName = z.infer<typeof GateName>;

export const Duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'expected a duration such as "200ms", "30s", "5m"')
  .describe('A duration: a number and a unit, ms, s, m or h ("200ms", "30s")');

export const Fraction = z.number().min(0).max(1).describe("A rate as a fraction between 0 and 1 (0.001 is 0.1 %)");

export const GateMode = z
  .enum(["mandatory", "advisory"])
  .describe("mandatory: fail or error blocks the pipeline; advisory: it only warns");

const Count = z.number().int().min(0);

export const SeverityLimits = z
  .object({
    critical: Count.optional(),
    high: Count.optional(),
    medium: Count.optional(),
    low: Count.optional(),
    info: Count.optional(),
    unknown: Count.optional(),
  })
  .strict()
  .describe("Maximum number of counted findings per severity; a severity not listed is not limited");

export const FindingGatePolicy = z
  .object({
    enabled: z.boolean().default(true).describe("Switch the gate off for this environment (shown in the report)"),
    mode: GateMode.default("mandatory"),
    max_findings: Count.optional().describe("Maximum number of counted findings of any severity"),
    max: SeverityLimits.prefault({}),
    only_fixable: z
      .boolean()
      .default(false)
      .describe("vulnerabilities only: count only findings with a fixed version available"),
  })
  .strict();
export type FindingGatePolicy = z.infer<typeof FindingGatePolicy>;

export const PerformanceGatePolicy = z
  .object({
    enabled: z.boolean().default(true),
    mode: GateMode.default("mandatory"),
    max_p95: Duration.default("200ms").describe("Upper bound for http_req_duration p(95)"),
    max_p99: Duration.default("500ms").describe("Upper bound for http_req_duration p(99)"),
    max_error_rate: Fraction.default(0.001).describe("Upper bound for http_req_failed rate"),
    min_checks_rate: Fraction.default(0.99).describe("Lower bound for the checks pass rate"),
    min_requests: Count.default(100).describe("Fewer requests than this is `error`: no data never passes"),
    honour_k6_thresholds: z
      .boolean()
      .default(true)
      .describe("A threshold the k6 script itself failed also fails the gate"),
  })
  .strict();
export type PerformanceGatePolicy = z.infer<typeof PerformanceGatePolicy>;

export const GatesPolicy = z
  .object({
    framework_integrity: FindingGatePolicy.prefault({}),
    documentation: FindingGatePolicy.prefault({}),
    secrets: FindingGatePolicy.prefault({}),
    vulnerabilities: FindingGatePolicy.prefault({}),
    sast: FindingGatePolicy.prefault({}),
    performance: PerformanceGatePolicy.prefault({}),
    compliance: FindingGatePolicy.prefault({}),
  })
  .strict()
  .describe("One entry per gate. A gate left out is mandatory with default thresholds (fail closed)");
export type GatesPolicy = z.infer<typeof GatesPolicy>;

export const EnvironmentPolicy = z
  .object({
    name: z.string().min(1).describe("Environment name, as given to --env"),
    description: z.string().optional(),
    bypass: z
      .object({
        allow_mandatory: z
          .boolean()
          .default(false)
          .describe("Allow --bypass of mandatory gates (advisory gates can always be bypassed with a reason)"),
      })
      .strict()
      .prefault({}),
    waivers: z
      .object({
        max_days: Count.default(30).describe("Longest allowed waiver lifetime, from approval to expiry"),
      })
      .strict()
      .prefault({}),
    gates: GatesPolicy.prefault({}),
  })
  .strict();
export type EnvironmentPolicy = z.infer<typeof EnvironmentPolicy>;
