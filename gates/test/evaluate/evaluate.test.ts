import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import type { FindingInput } from "../../src/findings/finding.js";
import type { GateName } from "../../src/policy/schema.js";
import { Report, type GateStatus, type GateVerdict, type ReportKind } from "../../src/model/report.js";
import { NOW, cleanRuns, finding, input, ok, policy, waivers, type TestWaiver } from "./helpers.js";
import { checkLabel, checkLimitText, checkMeasuredText } from "../../src/model/check-text.js";

function verdictOf(report: Report, gate: GateName): GateVerdict {
  const verdict = report.verdicts.find((candidate) => candidate.gate === gate);
  if (verdict === undefined) throw new Error(`no verdict for ${gate}`);
  return verdict;
}

/** Clean runs of every kind, with `extra` findings added to the run of `kind`. */
function runsWith(kind: ReportKind, ...findings: ReturnType<typeof finding>[]) {
  return cleanRuns().map((run) => (run.run.kind === kind && "result" in run ? ok(kind, findings) : run));
}

describe("evaluate: clean reports", () => {
  it("passes every gate, validates against the report schema and blocks nothing", () => {
    const { report } = evaluate(input());
    expect(report.verdicts.map((verdict) => [verdict.gate, verdict.status])).toEqual([
      ["framework_integrity", "pass"],
      ["documentation", "pass"],
      ["secrets", "pass"],
      ["vulnerabilities", "pass"],
      ["sast", "pass"],
      ["performance", "pass"],
      ["compliance", "pass"],
    ]);
    expect(report.passed).toBe(true);
    expect(Report.parse(report)).toEqual(report);
    expect(report.generatedAt).toBe(NOW.toISOString());
    expect(verdictOf(report, "secrets").evidence.sources).toEqual(["gitleaks", "trivy"]);
    expect(verdictOf(report, "sast").evidence.sources).toEqual(["trivy", "semgrep"]);
    expect(verdictOf(report, "performance").reason).toBe("all 6 checks within limits");
  });
});

describe("evaluate: which gate a finding counts against", () => {
  const cases: {
    name: string;
    kind: ReportKind;
    finding: Partial<FindingInput>;
    gate: GateName;
    status: GateStatus;
  }[] = [
    {
      name: "validate: broken reference",
      kind: "validate",
      finding: { ruleId: "broken-reference" },
      gate: "framework_integrity",
      status: "fail",
    },
    {
      name: "validate: markdownlint",
      kind: "validate",
      finding: { ruleId: "markdownlint/MD013", severity: "low" },
      gate: "documentation",
      status: "fail",
    },
    {
      name: "validate: orphan module",
      kind: "validate",
      finding: { ruleId: "orphan-module", severity: "low" },
      gate: "documentation",
      status: "fail",
    },
    { name: "gitleaks secret", kind: "gitleaks", finding: {}, gate: "secrets", status: "fail" },
    {
      name: "trivy critical vulnerability",
      kind: "trivy",
      finding: { severity: "critical" },
      gate: "vulnerabilities",
      status: "fail",
    },
    {
      name: "trivy medium vulnerability",
      kind: "trivy",
      finding: { severity: "medium" },
      gate: "vulnerabilities",
      status: "warn",
    },
    {
      name: "trivy unknown severity",
      kind: "trivy",
      finding: { severity: "unknown" },
      gate: "vulnerabilities",
      status: "warn",
    },
    { name: "trivy secret", kind: "trivy", finding: { kind: "secret" }, gate: "secrets", status: "fail" },
    {
      name: "trivy high misconfiguration",
      kind: "trivy",
      finding: { kind: "misconfiguration" },
      gate: "sast",
      status: "fail",
    },
    {
      name: "trivy restricted licence (high)",
      kind: "trivy",
      finding: { kind: "license", severity: "high" },
      gate: "compliance",
      status: "fail",
    },
    {
      name: "trivy permissive licence (low)",
      kind: "trivy",
      finding: { kind: "license", severity: "low" },
      gate: "compliance",
      status: "warn",
    },
    { name: "semgrep ERROR (high)", kind: "semgrep", finding: { severity: "high" }, gate: "sast", status: "fail" },
    {
      name: "semgrep WARNING (medium)",
      kind: "semgrep",
      finding: { severity: "medium" },
      gate: "sast",
      status: "warn",
    },
  ];

  it.each(cases)("$name -> $gate $status", ({ kind, finding: overrides, gate, status }) => {
    const { report } = evaluate(input({ runs: runsWith(kind, finding(kind, overrides)) }));
    const verdict = verdictOf(report, gate);
    expect(verdict.status).toBe(status);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ gate, status: "new" });
    expect(report.verdicts.filter((other) => other.gate !== gate).every((other) => other.status === "pass")).toBe(true);
    expect(report.passed).toBe(status !== "fail");
  });

  it("counts unknown severity under its own key, never as low", () => {
    const unknown = finding("trivy", { severity: "unknown" });
    const limited = policy({ gates: { vulnerabilities: { max: { critical: 0, high: 0, unknown: 0 } } } });
    const { report } = evaluate(input({ policy: limited, runs: runsWith("trivy", unknown) }));
    const verdict = verdictOf(report, "vulnerabilities");
    expect(verdict.evidence.counted).toEqual({ critical: 0, high: 0, medium: 0, low: 0, info: 0, unknown: 1 });
    expect(verdict.status).toBe("fail");
    expect(verdict.reason).toBe("max.unknown 1 (limit ≤ 0)");
  });

  it("lists every threshold comparison and the worst fingerprints, worst first, at most 10", () => {
    const findings = [
      ...Array.from({ length: 12 }, () => finding("trivy", { severity: "medium" })),
      finding("trivy", { severity: "critical" }),
      finding("trivy", { severity: "high" }),
    ];
    const { report } = evaluate(input({ runs: runsWith("trivy", ...findings) }));
    const verdict = verdictOf(report, "vulnerabilities");
    expect(verdict.evidence.checks).toEqual([
      { kind: "limit", name: "max.critical", bound: "max", limit: 0, measured: 1, unit: "count", ok: false },
      { kind: "limit", name: "max.high", bound: "max", limit: 0, measured: 1, unit: "count", ok: false },
    ]);
    expect(verdict.evidence.worst).toHaveLength(10);
    expect(verdict.evidence.worst[0]).toBe(findings[12]?.fingerprint);
    expect(verdict.evidence.worst[1]).toBe(findings[13]?.fingerprint);
    expect(verdict.fix).toContain("upgrade");
  });
});

describe("evaluate: counting (suppressed, waived, baseline, new)", () => {
  it("does not count a finding the tool suppressed in source", () => {
    const suppressed = finding("semgrep", { suppression: { kind: "inSource", reason: "nosemgrep" } });
    const { report } = evaluate(input({ runs: runsWith("semgrep", suppressed) }));
    expect(report.findings[0]?.status).toBe("suppressed");
    expect(verdictOf(report, "sast")).toMatchObject({
      status: "pass",
      reason: "no new findings in 2 reports (1 suppressed)",
    });
  });

  it("keeps a waived finding visible, marks it waived and counts the waiver's matches", () => {
    const waived = finding("gitleaks", { ruleId: "generic-api-key" });
    const waiver: TestWaiver = {
      id: "W-1",
      rule: "generic-api-key",
      reason: "test fixture",
      approver: "ana",
      expires: "2026-05-30",
    };
    const { report } = evaluate(input({ runs: runsWith("gitleaks", waived), waivers: waivers([waiver]) }));
    expect(report.findings[0]).toMatchObject({
      status: "waived",
      suppression: { kind: "waiver", reason: "test fixture", approver: "ana", expires: "2026-05-30" },
    });
    expect(verdictOf(report, "secrets")).toMatchObject({ status: "pass", evidence: { waived: 1 } });
    expect(report.waivers).toEqual([
      { id: "W-1", reason: "test fixture", approver: "ana", expires: "2026-05-30", matched: 1 },
    ]);
  });

  it("does not count findings already in the baseline, and counts new ones", () => {
    const old = finding("trivy", { severity: "critical" });
    const fresh = finding("trivy", { severity: "critical" });
    const { report } = evaluate(input({ runs: runsWith("trivy", old, fresh), baseline: new Set([old.fingerprint]) }));
    const verdict = verdictOf(report, "vulnerabilities");
    expect(report.findings.map((reported) => [reported.fingerprint, reported.status])).toEqual(
      expect.arrayContaining([
        [old.fingerprint, "baseline"],
        [fresh.fingerprint, "new"],
      ]),
    );
    expect(verdict.evidence).toMatchObject({ baseline: 1, counted: { critical: 1 } });
    expect(verdict.status).toBe("fail");
  });

  it("makes the gate of a finding an expired waiver would match `error` naming it, and counts the finding", () => {
    const matched = finding("semgrep", { ruleId: "js.eval", severity: "low" });
    const expired: TestWaiver = { id: "W-7", rule: "js.eval", reason: "legacy", approver: "bo", expires: "2026-01-01" };
    const problem = new ConfigError(
      "WAIVER_EXPIRED",
      "waivers[0] (id W-7): expired on 2026-01-01 (today is 2026-05-04)",
      {
        path: "waivers.0.expires",
        fix: "renew it or remove it",
      },
    );
    const { report } = evaluate(
      input({
        runs: runsWith("semgrep", matched),
        waivers: waivers([], [Object.assign(problem, { waiver: expired })]),
        baseline: new Set([matched.fingerprint]),
      }),
    );
    const verdict = verdictOf(report, "sast");
    expect(verdict.status).toBe("error");
    expect(verdict.reason).toBe(
      "could not be evaluated: unusable waiver: waivers[0] (id W-7): expired on 2026-01-01 (today is 2026-05-04)",
    );
    expect(verdict.fix).toBe("renew it or remove it");
    expect(verdict.blocking).toBe(true);
    expect(report.findings[0]?.status).toBe("new");
    expect(report.waiverProblems).toEqual([
      { id: "W-7", code: "WAIVER_EXPIRED", message: problem.message, fix: "renew it or remove it", matched: 1 },
    ]);
    expect(report.verdicts.filter((other) => other.gate !== "sast").every((other) => other.status === "pass")).toBe(
      true,
    );
  });

  it("makes every finding gate `error` for a malformed waiver nobody can match", () => {
    const problem = new ConfigError("WAIVER_INVALID", "waivers[3]: reason: required", {
      path: "waivers.3.reason",
      fix: "add a reason",
    });
    const { report } = evaluate(input({ waivers: waivers([], [problem]) }));
    expect(report.verdicts.map((verdict) => [verdict.gate, verdict.status])).toEqual([
      ["framework_integrity", "error"],
      ["documentation", "error"],
      ["secrets", "error"],
      ["vulnerabilities", "error"],
      ["sast", "error"],
      ["performance", "pass"],
      ["compliance", "error"],
    ]);
    expect(report.waiverProblems[0]).toMatchObject({ id: "waivers.3", matched: 0 });
  });

  it("with only_fixable, leaves vulnerabilities without a fixed version uncounted", () => {
    const fixable = finding("trivy", {
      severity: "high",
      package: { name: "lodash", installed: "4.17.20", fixed: ["4.17.21"] },
    });
    const unfixable = finding("trivy", { severity: "critical", package: { name: "openssl", installed: "3.0.0" } });
    const onlyFixable = policy({ gates: { vulnerabilities: { max: { critical: 0, high: 1 }, only_fixable: true } } });
    const { report } = evaluate(input({ policy: onlyFixable, runs: runsWith("trivy", fixable, unfixable) }));
    const verdict = verdictOf(report, "vulnerabilities");
    expect(verdict.evidence).toMatchObject({ unfixable: 1, counted: { critical: 0, high: 1 } });
    expect(verdict.status).toBe("warn");
  });
});

describe("evaluate: secrets reported by gitleaks and trivy", () => {
  it("keeps one finding per file and line (gitleaks'), and says so", () => {
    const place = { path: "config/.env", startLine: 4 };
    const fromGitleaks = finding("gitleaks", { location: place });
    const fromTrivy = finding("trivy", { kind: "secret", location: place });
    const elsewhere = finding("trivy", { kind: "secret", location: { path: "config/.env", startLine: 9 } });
    const runs = cleanRuns().map((run) =>
      run.run.kind === "gitleaks"
        ? ok("gitleaks", [fromGitleaks])
        : run.run.kind === "trivy"
          ? ok("trivy", [fromTrivy, elsewhere])
          : run,
    );
    const { report } = evaluate(input({ runs }));
    expect(report.findings.map((reported) => reported.fingerprint).sort()).toEqual(
      [fromGitleaks.fingerprint, elsewhere.fingerprint].sort(),
    );
    expect(verdictOf(report, "secrets").evidence.counted.high).toBe(2);
    expect(report.notices).toContain(
      "1 secret finding of other scanners merged into gitleaks' findings on the same lines of the same file",
    );
  });
});

describe("evaluate: modes, bypasses, disabled gates", () => {
  it("an advisory gate that fails warns but never blocks", () => {
    const advisory = policy({ gates: { sast: { mode: "advisory" } } });
    const { report } = evaluate(input({ policy: advisory, runs: runsWith("semgrep", finding("semgrep")) }));
    expect(verdictOf(report, "sast")).toMatchObject({ status: "fail", blocking: false });
    expect(report.passed).toBe(true);
  });

  it("a bypass lifts a mandatory block where the environment allows it, and is recorded", () => {
    const allowing = policy({ bypass: { allow_mandatory: true } });
    const bypass = { gate: "secrets" as const, reason: "rotating today", approver: "cy", at: NOW.toISOString() };
    const { report } = evaluate(
      input({ policy: allowing, runs: runsWith("gitleaks", finding("gitleaks")), bypasses: [bypass] }),
    );
    const verdict = verdictOf(report, "secrets");
    expect(verdict).toMatchObject({ status: "fail", blocking: false, bypass });
    expect(verdict.reason).toContain("bypassed by cy: rotating today");
    expect(report.bypasses).toEqual([bypass]);
    expect(report.passed).toBe(true);
  });

  it("a bypass of a mandatory gate is refused where the environment does not allow it", () => {
    const bypass = { gate: "secrets" as const, reason: "please", approver: "cy", at: NOW.toISOString() };
    const { report } = evaluate(input({ runs: runsWith("gitleaks", finding("gitleaks")), bypasses: [bypass] }));
    const verdict = verdictOf(report, "secrets");
    expect(verdict.blocking).toBe(true);
    expect(verdict.bypass).toBeUndefined();
    expect(verdict.reason).toContain("bypass by cy refused");
    expect(report.bypasses).toEqual([]);
    expect(report.passed).toBe(false);
  });

  it("a disabled gate is shown as disabled, needs no report and never blocks", () => {
    const off = policy({ gates: { performance: { enabled: false } } });
    const runs = cleanRuns().filter((run) => run.run.kind !== "k6");
    const { report } = evaluate(input({ policy: off, runs }));
    expect(verdictOf(report, "performance")).toMatchObject({
      status: "disabled",
      blocking: false,
      reason: "switched off for staging (gates.performance.enabled: false)",
    });
    expect(report.passed).toBe(true);
  });
});

describe("evaluate: what the tools say about themselves", () => {
  it("a tool error of level error makes every gate the report feeds `error`", () => {
    const runs = cleanRuns().map((run) =>
      run.run.kind === "semgrep"
        ? ok("semgrep", [], { toolErrors: [{ level: "error", message: "File not found", path: "src/x.py" }] })
        : run,
    );
    const { report } = evaluate(input({ runs }));
    expect(verdictOf(report, "sast")).toMatchObject({ status: "error", blocking: true });
    expect(verdictOf(report, "sast").reason).toBe(
      "could not be evaluated: semgrep report reports/semgrep.json: semgrep reported an error: File not found (src/x.py)",
    );
    expect(report.tools.find((tool) => tool.kind === "semgrep")?.error?.code).toBe("TOOL_FAILED");
  });

  it("tool warnings (partial results) make a clean gate warn", () => {
    const runs = cleanRuns().map((run) =>
      run.run.kind === "semgrep"
        ? ok("semgrep", [], { toolErrors: [{ level: "warning", message: "Syntax error", path: "a.js" }] })
        : run,
    );
    const { report } = evaluate(input({ runs }));
    expect(verdictOf(report, "sast")).toMatchObject({ status: "warn", reason: "1 tool warning (partial results)" });
  });

  it("an exit code meaning findings is fine; one meaning a crash is `error`", () => {
    const findingsExit = evaluate(
      input({
        runs: cleanRuns().map((run) => (run.run.kind === "trivy" ? ok("trivy", [], {}, { exitCode: 1 }) : run)),
      }),
    );
    expect(verdictOf(findingsExit.report, "vulnerabilities").status).toBe("pass");
    const crash = evaluate(
      input({
        runs: cleanRuns().map((run) => (run.run.kind === "trivy" ? ok("trivy", [], {}, { exitCode: 2 }) : run)),
      }),
    );
    expect(verdictOf(crash.report, "vulnerabilities").reason).toContain(
      "trivy exited with code 2, which means it failed",
    );
    expect(
      ["secrets", "vulnerabilities", "sast", "compliance"].map(
        (gate) => verdictOf(crash.report, gate as GateName).status,
      ),
    ).toEqual(["error", "error", "error", "error"]);
  });
});

describe("evaluate: performance", () => {
  const cases: {
    name: string;
    policy?: Record<string, unknown>;
    change: (
      metrics: Record<string, { type: "trend" | "rate" | "counter" | "gauge"; values: Record<string, number> }>,
    ) => void;
    status: GateStatus;
    reason: string;
  }[] = [
    {
      name: "p95 over the limit",
      change: (m) => void (m["http_req_duration"]!.values["p(95)"] = 250),
      status: "fail",
      reason: "http_req_duration p(95) 250ms (limit ≤ 200ms)",
    },
    {
      name: "p99 over the limit",
      change: (m) => void (m["http_req_duration"]!.values["p(99)"] = 501),
      status: "fail",
      reason: "http_req_duration p(99) 501ms (limit ≤ 500ms)",
    },
    {
      name: "p95 exactly at the limit",
      change: (m) => void (m["http_req_duration"]!.values["p(95)"] = 200),
      status: "pass",
      reason: "all 6 checks within limits",
    },
    {
      name: "error rate over",
      change: (m) => void (m["http_req_failed"]!.values["rate"] = 0.02),
      status: "fail",
      reason: "http_req_failed rate 0.02 (limit ≤ 0.001)",
    },
    {
      name: "checks rate under",
      change: (m) => void (m["checks"]!.values["rate"] = 0.9),
      status: "fail",
      reason: "checks rate 0.9 (limit ≥ 0.99)",
    },
    {
      name: "p99 not in the summary",
      change: (m) => void delete m["http_req_duration"]!.values["p(99)"],
      status: "error",
      reason: "no http_req_duration p(99) in the k6 summary",
    },
    {
      name: "95 % failed requests and no p(99): every other bound judged, the failure wins",
      change: (m) => {
        delete m["http_req_duration"]!.values["p(99)"];
        m["http_req_failed"]!.values["rate"] = 0.95;
      },
      status: "fail",
      reason:
        "http_req_failed rate 0.95 (limit ≤ 0.001); also not judged: k6 (reports/k6.json): no http_req_duration p(99) in the k6 summary",
    },
    {
      name: "too few requests and 95 % failed: too little data to judge",
      change: (m) => {
        m["http_reqs"]!.values["count"] = 12;
        m["http_req_failed"]!.values["rate"] = 0.95;
      },
      status: "error",
      reason: "only 12 requests, fewer than min_requests 100",
    },
    {
      name: "too few requests",
      change: (m) => void (m["http_reqs"]!.values["count"] = 12),
      status: "error",
      reason: "only 12 requests, fewer than min_requests 100",
    },
    {
      name: "no requests at all",
      change: (m) => void delete m["http_reqs"],
      status: "error",
      reason: "no http_reqs count in the k6 summary",
    },
    {
      name: "no checks metric",
      change: (m) => void delete m["checks"],
      status: "error",
      reason: "no checks rate in the k6 summary",
    },
    {
      name: "no checks metric, none required",
      policy: { min_checks_rate: 0 },
      change: (m) => void delete m["checks"],
      status: "pass",
      reason: "all 5 checks within limits",
    },
  ];

  it.each(cases)("$name -> $status", ({ policy: gate, change, status, reason }) => {
    const k6 = ok("k6");
    if (!("result" in k6) || k6.result.performance === undefined) throw new Error("k6 fixture has metrics");
    change(k6.result.performance.metrics);
    const runs = cleanRuns().map((run) => (run.run.kind === "k6" ? k6 : run));
    const { report } = evaluate(input({ runs, policy: policy({ gates: { performance: gate ?? {} } }) }));
    const verdict = verdictOf(report, "performance");
    expect(verdict.status).toBe(status);
    expect(verdict.reason).toContain(reason);
  });

  it("a threshold k6 itself failed fails the gate when honoured, and is listed", () => {
    const failedThreshold = ok("k6", [], {
      performance: {
        ...goodMetrics(),
        thresholds: [{ metric: "http_req_duration", expression: "p(95)<100", ok: false }],
      },
    });
    const runs = cleanRuns().map((run) => (run.run.kind === "k6" ? failedThreshold : run));
    const honoured = verdictOf(evaluate(input({ runs })).report, "performance");
    expect(honoured.status).toBe("fail");
    expect(honoured.evidence.checks.at(-1)).toEqual({
      kind: "k6_threshold",
      metric: "http_req_duration",
      expression: "p(95)<100",
      ok: false,
    });
    const ignored = verdictOf(
      evaluate(input({ runs, policy: policy({ gates: { performance: { honour_k6_thresholds: false } } }) })).report,
      "performance",
    );
    expect(ignored.status).toBe("pass");
  });

  it("a k6 report without metrics is `error`, and every comparison is named in the evidence", () => {
    const runs = cleanRuns().map((run) => (run.run.kind === "k6" ? ok("k6", [], { performance: undefined }) : run));
    expect(verdictOf(evaluate(input({ runs })).report, "performance")).toMatchObject({
      status: "error",
      blocking: true,
    });
    const clean = verdictOf(evaluate(input()).report, "performance");
    expect(
      clean.evidence.checks.map((check) => [checkLabel(check), checkLimitText(check), checkMeasuredText(check)]),
    ).toEqual([
      ["http_reqs count", "≥ 100", "1000"],
      ["http_req_duration p(95)", "≤ 200ms", "120ms"],
      ["http_req_duration p(99)", "≤ 500ms", "300ms"],
      ["http_req_failed rate", "≤ 0.001", "0"],
      ["checks rate", "≥ 0.99", "1"],
      ["k6 threshold http_req_duration: p(95)<200", "passes in k6", "passed"],
    ]);
    expect(clean.evidence.checks[1]).toEqual({
      kind: "limit",
      name: "http_req_duration p(95)",
      bound: "max",
      limit: 200,
      measured: 120,
      unit: "ms",
      ok: true,
    });
    expect(clean.evidence.checks[5]).toEqual({
      kind: "k6_threshold",
      metric: "http_req_duration",
      expression: "p(95)<200",
      ok: true,
    });
  });

  it("a failed bound with a missing percentile: the fix says both what to do about the service and the percentile", () => {
    const k6 = ok("k6");
    if (!("result" in k6) || k6.result.performance === undefined) throw new Error("k6 fixture has metrics");
    delete k6.result.performance.metrics["http_req_duration"]!.values["p(99)"];
    k6.result.performance.metrics["http_req_failed"]!.values["rate"] = 0.95;
    const runs = cleanRuns().map((run) => (run.run.kind === "k6" ? k6 : run));
    const verdict = verdictOf(evaluate(input({ runs })).report, "performance");
    expect(verdict).toMatchObject({ status: "fail", blocking: true });
    expect(verdict.fix).toMatch(/^make the service meet the limits.*; add the percentile to the k6 options/);
    expect(verdict.evidence.checks.map(checkLabel)).not.toContain("http_req_duration p(99)");
  });

  it("judges every k6 report, naming each in its checks", () => {
    const runs = [
      ...cleanRuns().filter((run) => run.run.kind !== "k6"),
      ok("k6", [], {}, { label: "smoke" }),
      ok("k6", [], {}, { label: "load" }),
    ];
    const verdict = verdictOf(evaluate(input({ runs })).report, "performance");
    expect(verdict.evidence.sources).toEqual(["k6.smoke", "k6.load"]);
    expect(verdict.evidence.checks.map(checkLabel)).toContain("k6.load: http_req_duration p(95)");
    expect(verdict.evidence.checks).toContainEqual(
      expect.objectContaining({ kind: "limit", source: "k6.load", name: "http_req_duration p(95)" }),
    );
  });
});

describe("evaluate: redaction", () => {
  it("scrubs every secret value the parsers saw from the whole report, and no value a tool masked", () => {
    const secret = "AKIAIOSFODNN7EXAMPLE";
    const leaky = finding("gitleaks", { message: `found ${secret} in config`, snippet: `key = ${secret}` });
    const runs = cleanRuns().map((run) =>
      run.run.kind === "gitleaks"
        ? ok("gitleaks", [leaky], {
            secrets: [secret, "***"],
            toolErrors: [{ level: "warning", message: `cannot read ${secret} (***)` }],
          })
        : run,
    );
    const { report } = evaluate(input({ runs }));
    expect(JSON.stringify(report)).not.toContain(secret);
    expect(report.findings[0]?.message).toBe("found REDACTED in config");
    expect(report.tools.find((tool) => tool.kind === "gitleaks")?.toolErrors[0]?.message).toBe(
      "cannot read REDACTED (***)",
    );
  });

  it("scrubs a prediction's words too: they name the user's files", () => {
    const secret = "AKIAIOSFODNN7EXAMPLE";
    const runs = cleanRuns().map((run) =>
      run.run.kind === "gitleaks" ? ok("gitleaks", [finding("gitleaks")], { secrets: [secret] }) : run,
    );
    const prediction = { basis: `trivy report ${secret}/trivy.json judged against the new lockfile`, limits: "none" };
    const { report } = evaluate(input({ runs, prediction }));
    expect(report.prediction).toEqual({
      ...prediction,
      basis: "trivy report REDACTED/trivy.json judged against the new lockfile",
    });
  });
});

function goodMetrics() {
  const run = ok("k6");
  if (!("result" in run) || run.result.performance === undefined) throw new Error("k6 fixture has metrics");
  return run.result.performance;
}
