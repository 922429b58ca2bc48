import { SEVERITIES } from "../../src/findings/finding.js";
import { type Report, REPORT_SCHEMA_ID, Report as ReportSchema } from "../../src/model/report.js";
import type { DeployTimeline, TimePoint } from "../../src/report/html.js";
import type { CheckUnit, GateCheck } from "../../src/model/checks.js";

const GATE_ROUTES = [
  { gate: "secrets", tool: "gitleaks", kind: "secret", rule: "aws-access-token" },
  { gate: "vulnerabilities", tool: "trivy", kind: "vulnerability", rule: "CVE-2024-" },
  { gate: "sast", tool: "semgrep", kind: "sast", rule: "javascript.express.security.injection" },
  { gate: "framework_integrity", tool: "portcullis-validate", kind: "validation", rule: "missing-reference" },
  { gate: "documentation", tool: "portcullis-validate", kind: "validation", rule: "markdownlint/MD025" },
] as const;

/**
 * A realistic report: every gate state (pass, warn, fail, error, disabled), `count` findings spread
 * over gates, severities and statuses, a k6 run and hostile text in places a page must escape.
 */
export function realisticReport(count: number): Report {
  const findings = Array.from({ length: count }, (_, index) => {
    const route = GATE_ROUTES[index % GATE_ROUTES.length] ?? GATE_ROUTES[0];
    // Real tools repeat a rule's severity, title and message for each occurrence (semgrep rules,
    // CVEs across packages): about five findings per rule here.
    const ruleNumber = index % 211;
    const severity = SEVERITIES[ruleNumber % SEVERITIES.length] ?? "high";
    return {
      tool: route.tool,
      kind: route.kind,
      ruleId: `${route.rule}${ruleNumber}`,
      severity,
      title:
        index === 3
          ? `<script>alert("x")</script> title ${index}`
          : `${route.gate} rule ${ruleNumber}: ${route.kind} in a component`,
      message: `Rule ${ruleNumber} of ${route.tool}: ${"a realistic explanation of what is wrong and why it matters; ".repeat(3)}`,
      location: { path: `src/module-${index % 40}/file-${index}.ts`, startLine: (index % 300) + 1 },
      fingerprint: `fp-${index.toString(16).padStart(8, "0")}`,
      references: [],
      ...(route.kind === "vulnerability"
        ? {
            package: {
              name: `pkg-${index % 50}`,
              installed: "1.0.0",
              fixed: index % 3 === 0 ? [] : ["1.0.1", "2.0.0"],
            },
            helpUri: `https://avd.aquasec.com/nvd/cve-2024-${1000 + ruleNumber}`,
          }
        : {}),
      ...(index === 7 ? { helpUri: "javascript:alert(1)" } : {}),
      gate: route.gate,
      status: (["new", "new", "new", "baseline", "waived", "suppressed"] as const)[index % 6] ?? "new",
    };
  });
  const verdict = (gate: string, status: string, mode: string, extra: object = {}) => ({
    gate,
    mode,
    enabled: status !== "disabled",
    status,
    blocking: mode === "mandatory" && (status === "fail" || status === "error"),
    reason: `${gate} is ${status}`,
    evidence: {
      counted: counts(status === "fail" ? 3 : 0),
      waived: 1,
      baseline: 2,
      suppressed: 0,
      checks: [],
      worst: [],
      sources: ["tool.json"],
    },
    ...extra,
  });
  return ReportSchema.parse({
    schema: REPORT_SCHEMA_ID,
    portcullisVersion: "0.1.0",
    generatedAt: "2026-11-24T08:00:00.000Z",
    environment: "staging",
    policyHash: "0".repeat(64),
    commit: "4f2a9c1e",
    passed: false,
    verdicts: [
      verdict("framework_integrity", "pass", "mandatory"),
      verdict("documentation", "warn", "advisory"),
      verdict("secrets", "fail", "mandatory", { fix: "Rotate the secret, then remove it from history" }),
      verdict("vulnerabilities", "error", "mandatory", { fix: "Install trivy or run `dagger call ci`" }),
      verdict("sast", "warn", "advisory", {
        bypass: { gate: "sast", reason: "hotfix <b>now</b>", approver: "lead@example.com", at: "2026-11-24T07:00:00Z" },
      }),
      verdict("performance", "fail", "mandatory", {
        evidence: {
          counted: counts(0),
          waived: 0,
          baseline: 0,
          suppressed: 0,
          worst: [],
          sources: ["k6.json"],
          checks: [
            limit("http_req_duration p(95)", 200, 231.4, "ms", false),
            limit("http_req_duration p(99)", 500, 410, "ms", true),
            limit("http_req_failed rate", 0.001, 0.0004, "ratio", true),
          ],
        },
      }),
      verdict("compliance", "disabled", "advisory"),
    ],
    findings,
    waivers: [
      {
        id: "W-1",
        reason: "false positive in test data",
        approver: "sec@example.com",
        expires: "2026-12-01",
        matched: 3,
      },
    ],
    waiverProblems: [
      {
        id: "W-9",
        code: "WAIVER_EXPIRED",
        message: "waiver W-9 expired on 2026-11-01",
        fix: "renew or remove it",
        matched: 1,
      },
    ],
    bypasses: [],
    tools: [
      { kind: "gitleaks", file: "reports/gitleaks.json", tool: "gitleaks", version: "8.28.0", toolErrors: [] },
      {
        kind: "trivy",
        file: "reports/trivy.json",
        tool: "trivy",
        toolErrors: [],
        error: {
          code: "TOOL_NOT_FOUND",
          message: "trivy not found on PATH",
          fix: "install it, or run `dagger call ci`",
        },
      },
    ],
    performance: {
      metrics: {
        http_req_duration: {
          type: "trend",
          values: { min: 2.1, med: 80.5, "p(90)": 190.2, "p(95)": 231.4, "p(99)": 410, max: 950.3, avg: 95.2 },
        },
        http_req_failed: { type: "rate", values: { rate: 0.0004, passes: 4, fails: 9996 } },
        http_reqs: { type: "counter", values: { count: 10000, rate: 166.6 } },
      },
      thresholds: [{ metric: "http_req_duration", expression: "p(95)<200", ok: false }],
    },
    notices: ["SARIF run for trivy truncated to 5,000 results"],
    timings: { total: 1234 },
  });
}

function counts(high: number): Record<(typeof SEVERITIES)[number], number> {
  return { critical: 0, high, medium: 0, low: 0, info: 0, unknown: 0 };
}

/** A minute of k6 seconds with a latency bump in the middle. */
export function k6Series(): TimePoint[] {
  return Array.from({ length: 60 }, (_, t) => ({
    t,
    requestsPerSecond: 150 + 20 * Math.sin(t / 6),
    errorRate: t > 30 && t < 40 ? 0.01 : 0,
    p95Ms: 150 + (t > 25 && t < 45 ? 120 : 0),
  }));
}

/** A deploy that failed analysis at 25 % and rolled back. */
export function rolledBackDeploy(): DeployTimeline {
  return {
    id: "d-20261124-1",
    version: "v1.4.2",
    outcome: "rolled_back",
    steps: [
      { atMs: 0, weight: 10, analysis: "pass" },
      { atMs: 30_000, weight: 25, analysis: "fail", note: "error rate 4.1% > 0.1%" },
      { atMs: 31_000, weight: 0, note: "rollback" },
    ],
  };
}

function limit(name: string, max: number, measured: number, unit: CheckUnit, ok: boolean): GateCheck {
  return { kind: "limit", name, bound: "max", limit: max, measured, unit, ok };
}
