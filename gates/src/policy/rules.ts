import { parseDuration } from "./duration.js";
import type { PolicyProblem } from "./problems.js";
import { GATE_NAMES, type EnvironmentPolicy } from "./schema.js";

/**
 * A cross-field rule the schema cannot express. Each has a stable kebab-case name, shown with its
 * problems, so a message can be traced back here. A section added later (`deploy:`…) adds its rules
 * to POLICY_RULES.
 */
export interface PolicyRule {
  readonly name: string;
  /** One sentence, for the documentation. */
  readonly description: string;
  check(policy: EnvironmentPolicy): PolicyProblem[];
}

const onlyFixableOnVulnerabilities: PolicyRule = {
  name: "only-fixable-on-vulnerabilities",
  description: "only_fixable is meaningful for vulnerabilities only (other findings have no fixed version)",
  check: (policy) =>
    GATE_NAMES.flatMap((gate) => {
      if (gate === "vulnerabilities" || gate === "performance" || !policy.gates[gate].only_fixable) return [];
      return [
        {
          path: `gates.${gate}.only_fixable`,
          message: `only_fixable applies to vulnerabilities only; ${gate} findings have no fixed version`,
          fix: "remove it",
        },
      ];
    }),
};

const dbAgeOnVulnerabilities: PolicyRule = {
  name: "max-db-age-on-vulnerabilities",
  description: "max_db_age is meaningful for vulnerabilities only (the age of trivy's vulnerability DB)",
  check: (policy) =>
    GATE_NAMES.flatMap((gate) => {
      if (gate === "vulnerabilities" || gate === "performance" || policy.gates[gate].max_db_age === undefined)
        return [];
      return [
        {
          path: `gates.${gate}.max_db_age`,
          message: `max_db_age applies to vulnerabilities only; ${gate} is not judged against trivy's vulnerability DB`,
          fix: "move it to gates.vulnerabilities, or remove it",
        },
      ];
    }),
};

const latencyBoundsPositive: PolicyRule = {
  name: "latency-bounds-positive",
  description: "max_p95 and max_p99 are above zero (a zero bound can never pass; usually a missing unit)",
  check: (policy) =>
    (["max_p95", "max_p99"] as const).flatMap((key) => {
      const value = policy.gates.performance[key];
      if (parseDuration(value) > 0) return [];
      return [
        {
          path: `gates.performance.${key}`,
          message: `${key} is ${value}: no request can be faster than zero, so the gate could never pass`,
          fix: 'set a positive duration such as "200ms"',
        },
      ];
    }),
};

const p99AtLeastP95: PolicyRule = {
  name: "p99-at-least-p95",
  description: "max_p99 is at least max_p95 (p(99) is never below p(95), so a lower bound contradicts it)",
  check: (policy) => {
    const { max_p95, max_p99 } = policy.gates.performance;
    if (parseDuration(max_p99) >= parseDuration(max_p95)) return [];
    return [
      {
        path: "gates.performance.max_p99",
        message: `max_p99 (${max_p99}) is below max_p95 (${max_p95}); p(99) is never below p(95)`,
        fix: `raise max_p99 to at least ${max_p95}, or lower max_p95`,
      },
    ];
  },
};

/** Every cross-field rule, applied in order after the schema accepted the document. */
export const POLICY_RULES: readonly PolicyRule[] = [
  onlyFixableOnVulnerabilities,
  dbAgeOnVulnerabilities,
  latencyBoundsPositive,
  p99AtLeastP95,
];

/** The problems every rule finds, each tagged with its rule's name. */
export function checkPolicyRules(
  policy: EnvironmentPolicy,
  rules: readonly PolicyRule[] = POLICY_RULES,
): PolicyProblem[] {
  return rules.flatMap((rule) => rule.check(policy).map((problem) => ({ ...problem, rule: rule.name })));
}
