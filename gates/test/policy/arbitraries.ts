import fc from "fast-check";
import { GATE_NAMES, type EnvironmentPolicy, type FindingGateName } from "../../src/policy/schema.js";

/** Property-test generators for environment documents as people write them. */

const count = fc.integer({ min: 0, max: 10_000 });

const severityLimits = fc.record(
  { critical: count, high: count, medium: count, low: count, info: count, unknown: count },
  { requiredKeys: [] },
);

const mode = fc.constantFrom("mandatory", "advisory");

const findingGate = (gate: FindingGateName) =>
  fc.record(
    {
      enabled: fc.boolean(),
      mode,
      max_findings: count,
      max: severityLimits,
      ...(gate === "vulnerabilities" ? { only_fixable: fc.boolean() } : {}),
    },
    { requiredKeys: [] },
  );

/** A positive duration in one of the units, with its value in ms. */
const duration = fc.oneof(
  fc.integer({ min: 1, max: 600_000 }).map((ms) => `${ms}ms`),
  fc.integer({ min: 1, max: 600 }).map((s) => `${s}s`),
  fc.tuple(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 1, max: 9 })).map(([s, tenth]) => `${s}.${tenth}s`),
  fc.integer({ min: 1, max: 60 }).map((m) => `${m}m`),
);

const milliseconds = (text: string): number => {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (match === null) throw new Error(`test duration ${text}`);
  return Number(match[1]) * (match[2] === "ms" ? 1 : match[2] === "s" ? 1000 : 60_000);
};

/** p95 and p99 given together (p99 >= p95), or neither, so the defaults stay ordered. */
const latency = fc.option(
  fc
    .tuple(duration, duration)
    .map(([a, b]) => (milliseconds(a) <= milliseconds(b) ? { max_p95: a, max_p99: b } : { max_p95: b, max_p99: a })),
  { nil: undefined },
);

const performanceGate = fc
  .tuple(
    fc.record(
      {
        enabled: fc.boolean(),
        mode,
        max_error_rate: fc.double({ min: 0, max: 1, noNaN: true }),
        min_checks_rate: fc.double({ min: 0, max: 1, noNaN: true }),
        min_requests: fc.integer({ min: 1, max: 1_000_000 }),
        honour_k6_thresholds: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    latency,
  )
  .map(([gate, bounds]) => ({ ...gate, ...bounds }));

const gates = fc.record(
  {
    framework_integrity: findingGate("framework_integrity"),
    documentation: findingGate("documentation"),
    secrets: findingGate("secrets"),
    vulnerabilities: findingGate("vulnerabilities"),
    sast: findingGate("sast"),
    performance: performanceGate,
    compliance: findingGate("compliance"),
  },
  { requiredKeys: [] },
);

/** A valid environment document, with any subset of keys spelled out. */
export const validDocument = fc.record(
  {
    name: fc.string({ minLength: 1, maxLength: 20 }),
    description: fc.string({ maxLength: 40 }),
    bypass: fc.record({ allow_mandatory: fc.boolean() }, { requiredKeys: [] }),
    waivers: fc.record({ max_days: fc.integer({ min: 0, max: 365 }) }, { requiredKeys: [] }),
    gates,
  },
  { requiredKeys: ["name"] },
);

/**
 * One way of loosening a normalised policy: raising a limit, a latency bound or the error rate,
 * lowering a minimum, making a gate advisory or off, allowing bypass, longer waivers.
 */
export const loosening: fc.Arbitrary<{ label: string; apply: (policy: EnvironmentPolicy) => EnvironmentPolicy }> =
  fc.oneof(
    fc.tuple(fc.constantFrom(...findingGates()), fc.integer({ min: 0, max: 1000 })).map(([gate, more]) => ({
      label: `${gate} limits +${more}`,
      apply: (policy: EnvironmentPolicy) => {
        const current = policy.gates[gate];
        const max = Object.fromEntries(
          Object.entries(current.max).map(([severity, limit]) => [severity, (limit ?? 0) + more]),
        );
        return withGates(policy, {
          [gate]: {
            ...current,
            max,
            ...(current.max_findings === undefined ? {} : { max_findings: current.max_findings + more }),
          },
        });
      },
    })),
    fc.constantFrom(...GATE_NAMES).map((gate) => ({
      label: `${gate} advisory`,
      apply: (policy: EnvironmentPolicy) => withGates(policy, { [gate]: { ...policy.gates[gate], mode: "advisory" } }),
    })),
    fc.constantFrom(...GATE_NAMES).map((gate) => ({
      label: `${gate} disabled`,
      apply: (policy: EnvironmentPolicy) => withGates(policy, { [gate]: { ...policy.gates[gate], enabled: false } }),
    })),
    fc.integer({ min: 0, max: 100_000 }).map((extra) => ({
      label: `p99 +${extra}ms`,
      apply: (policy: EnvironmentPolicy) =>
        withPerformance(policy, (gate) => ({ max_p99: `${milliseconds(gate.max_p99) + extra}ms` })),
    })),
    fc.integer({ min: 0, max: 100_000 }).map((extra) => ({
      label: `p95 and p99 +${extra}ms`,
      apply: (policy: EnvironmentPolicy) =>
        withPerformance(policy, (gate) => ({
          max_p95: `${milliseconds(gate.max_p95) + extra}ms`,
          max_p99: `${milliseconds(gate.max_p99) + extra}ms`,
        })),
    })),
    fc.double({ min: 0, max: 1, noNaN: true }).map((toward) => ({
      label: `error rate toward 1 by ${toward}`,
      apply: (policy: EnvironmentPolicy) =>
        withPerformance(policy, (gate) => ({
          max_error_rate: gate.max_error_rate + (1 - gate.max_error_rate) * toward,
        })),
    })),
    fc.double({ min: 0, max: 1, noNaN: true }).map((keep) => ({
      label: `checks rate x${keep}`,
      apply: (policy: EnvironmentPolicy) =>
        withPerformance(policy, (gate) => ({ min_checks_rate: gate.min_checks_rate * keep })),
    })),
    fc.integer({ min: 0, max: 1_000_000 }).map((fewer) => ({
      label: `min_requests -${fewer}`,
      apply: (policy: EnvironmentPolicy) =>
        withPerformance(policy, (gate) => ({ min_requests: Math.max(1, gate.min_requests - fewer) })),
    })),
    fc.constant({
      label: "ignore k6 thresholds",
      apply: (policy: EnvironmentPolicy) => withPerformance(policy, () => ({ honour_k6_thresholds: false })),
    }),
    fc.constant({
      label: "allow mandatory bypass",
      apply: (policy: EnvironmentPolicy) => ({ ...policy, bypass: { allow_mandatory: true } }),
    }),
    fc.integer({ min: 0, max: 365 }).map((more) => ({
      label: `waivers +${more} days`,
      apply: (policy: EnvironmentPolicy) => ({ ...policy, waivers: { max_days: policy.waivers.max_days + more } }),
    })),
  );

// --- internal ---

function findingGates(): FindingGateName[] {
  return GATE_NAMES.filter((gate): gate is FindingGateName => gate !== "performance");
}

function withGates(policy: EnvironmentPolicy, gates: Partial<EnvironmentPolicy["gates"]>): EnvironmentPolicy {
  return { ...policy, gates: { ...policy.gates, ...gates } };
}

function withPerformance(
  policy: EnvironmentPolicy,
  change: (gate: EnvironmentPolicy["gates"]["performance"]) => Partial<EnvironmentPolicy["gates"]["performance"]>,
): EnvironmentPolicy {
  return withGates(policy, { performance: { ...policy.gates.performance, ...change(policy.gates.performance) } });
}
