import { z } from "zod";
import { GateMode, type FindingGateName } from "../model/gates.js";
import { DeploySettings } from "./deploy-settings.js";
import { Duration, Fraction } from "./units.js";

/**
 * Environment policy schema (`environments/<name>.yml`). Conventions for every key, here and in the
 * sections later issues add (`deploy:`, runner settings): snake_case keys, rates as fractions
 * (0.001, never percent), durations as strings (`200ms`, `30s`). Every object is `.strict()` so a
 * typo is an error, never a silently ignored setting; every key `.describe()`s itself because the
 * committed `environments/schema.json` (editor completion) is generated from these schemas.
 *
 * Load policies with `parsePolicy`/`validatePolicy` (parse-policy.ts): they add the named
 * cross-field rules (rules.ts) that a JSON Schema cannot express.
 */

export { GATE_NAMES, GateMode, GateName, type FindingGateName } from "../model/gates.js";
export { DURATION_PATTERN, Duration, Fraction } from "./units.js";

const Count = z.number().int().min(0);

export const SeverityLimits = z
  .object({
    critical: Count.optional().describe("Most critical findings allowed"),
    high: Count.optional().describe("Most high findings allowed"),
    medium: Count.optional().describe("Most medium findings allowed"),
    low: Count.optional().describe("Most low findings allowed"),
    info: Count.optional().describe("Most info findings allowed"),
    unknown: Count.optional().describe("Most findings of unknown severity allowed"),
  })
  .strict()
  .describe("Maximum number of counted findings per severity; a severity not listed is not limited");
export type SeverityLimits = z.infer<typeof SeverityLimits>;

/** Keys of a finding gate that only the vulnerabilities gate reads (rules.ts refuses them elsewhere). */
export const VULNERABILITIES_ONLY_KEYS = ["only_fixable", "max_db_age"] as const;

export const FindingGatePolicy = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("false switches the gate off for this environment (shown as disabled in the report)"),
    mode: GateMode.default("mandatory"),
    max_findings: Count.optional().describe("Maximum number of counted findings of any severity"),
    max: SeverityLimits.prefault({}),
    only_fixable: z
      .boolean()
      .default(false)
      .describe("vulnerabilities only: count only findings with a fixed version available"),
    max_db_age: Duration.optional().describe(
      "vulnerabilities only: the oldest trivy vulnerability DB a scan may use (versions/trivy.txt beside the reports); older, unreadable or unnamed is `error`. Default 168h",
    ),
  })
  .strict()
  .describe(
    "A gate judged by counting findings (new, not waived). Limits are all-or-nothing: set any of " +
      "max_findings / max.<severity> and only those apply; set none and the gate's default limits apply",
  );
export type FindingGatePolicy = z.infer<typeof FindingGatePolicy>;

/** Limits of a finding gate whose entry sets none: the pipeline design's thresholds (fail closed). */
export const DEFAULT_GATE_LIMITS: Readonly<Record<FindingGateName, Pick<FindingGatePolicy, "max_findings" | "max">>> = {
  framework_integrity: { max_findings: 0, max: {} },
  documentation: { max_findings: 0, max: {} },
  secrets: { max_findings: 0, max: {} },
  vulnerabilities: { max: { critical: 0, high: 0 } },
  sast: { max: { critical: 0, high: 0 } },
  // trivy rates forbidden licences critical and restricted ones high; permissive ones are only listed.
  compliance: { max: { critical: 0, high: 0 } },
};

export const PerformanceGatePolicy = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("false switches the gate off for this environment (shown as disabled in the report)"),
    mode: GateMode.default("mandatory"),
    max_p95: Duration.default("200ms").describe("Upper bound for http_req_duration p(95)"),
    max_p99: Duration.default("500ms").describe("Upper bound for http_req_duration p(99); at least max_p95"),
    max_error_rate: Fraction.default(0.001).describe("Upper bound for the http_req_failed rate (0.001 is 0.1 %)"),
    min_checks_rate: Fraction.default(0.99).describe("Lower bound for the rate of k6 checks that passed"),
    min_requests: Count.min(1)
      .default(100)
      .describe("Fewer requests than this makes the gate `error`: no data never passes"),
    honour_k6_thresholds: z
      .boolean()
      .default(true)
      .describe("A threshold the k6 script itself failed also fails the gate"),
  })
  .strict()
  .describe("The load-test gate, judged on k6 metrics");
export type PerformanceGatePolicy = z.infer<typeof PerformanceGatePolicy>;

export const GatesPolicy = z
  .object({
    framework_integrity: findingGate(
      "framework_integrity",
      "Agent-framework integrity (references, cycles, XML, frontmatter, token budgets, fences). Default max_findings 0",
    ),
    documentation: findingGate("documentation", "markdownlint and orphan findings. Default max_findings 0"),
    secrets: findingGate("secrets", "gitleaks and trivy secret findings. Default max_findings 0"),
    vulnerabilities: findingGate("vulnerabilities", "trivy vulnerabilities. Default max.critical 0, max.high 0"),
    sast: findingGate("sast", "semgrep (ERROR maps to high), trivy misconfigurations, other SARIF. Default max.high 0"),
    performance: PerformanceGatePolicy.prefault({}),
    compliance: findingGate(
      "compliance",
      "Compliance controls and licence findings. Default max critical 0, high 0 (forbidden and restricted licences)",
    ),
  })
  .strict()
  .describe("One entry per gate. A gate left out is mandatory with its default limits (fail closed)");
export type GatesPolicy = z.infer<typeof GatesPolicy>;

export const BypassPolicy = z
  .object({
    allow_mandatory: z
      .boolean()
      .default(false)
      .describe("Allow --bypass of mandatory gates (advisory gates can always be bypassed with a reason and approver)"),
  })
  .strict()
  .describe("Who may override a gate verdict with --bypass");
export type BypassPolicy = z.infer<typeof BypassPolicy>;

export const WaiverPolicy = z
  .object({
    max_days: Count.default(30).describe(
      "Longest allowed waiver lifetime in days, from its approved date (or today) to its expires date",
    ),
  })
  .strict()
  .describe("Limits on waivers (.portcullis/waivers.yml)");
export type WaiverPolicy = z.infer<typeof WaiverPolicy>;

export const EnvironmentPolicy = z
  .object({
    name: z.string().min(1).describe("Environment name, shown in reports"),
    description: z.string().optional().describe("What this environment is for, for people reading the file"),
    bypass: BypassPolicy.prefault({}),
    waivers: WaiverPolicy.prefault({}),
    gates: GatesPolicy.prefault({}),
    deploy: DeploySettings.optional(),
  })
  .strict()
  .meta({ title: "Portcullis environment policy" })
  .describe("Quality-gate policy of one environment (environments/<name>.yml)");
export type EnvironmentPolicy = z.infer<typeof EnvironmentPolicy>;

// --- internal ---

/** A finding gate's schema whose missing limits are filled from DEFAULT_GATE_LIMITS. */
function findingGate(gate: FindingGateName, description: string) {
  return FindingGatePolicy.transform((policy): FindingGatePolicy => {
    const hasLimit =
      policy.max_findings !== undefined || Object.values(policy.max).some((value) => value !== undefined);
    return hasLimit ? policy : { ...policy, ...DEFAULT_GATE_LIMITS[gate] };
  })
    .prefault({})
    .describe(description);
}
