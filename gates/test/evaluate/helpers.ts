import type { CollectedCompliance } from "../../src/compliance/checks.js";
import { defaultControls } from "../../src/compliance/controls.js";
import { ReportError, ToolRunError, type FamilyCode } from "../../src/errors.js";
import type {
  EvaluateInput,
  RunInput,
  RunMeta,
  ToolVersionInput,
  WaiverInput,
  WaiverView,
} from "../../src/evaluate/evaluate.js";
import {
  Finding,
  type FindingInput,
  type PerformanceResult,
  type ReportFormat,
  type ToolResult,
} from "../../src/findings/finding.js";
import { fingerprintOf } from "../../src/findings/fingerprint.js";
import { EnvironmentPolicy } from "../../src/policy/schema.js";
import type { ReportKind } from "../../src/model/report.js";
import type { ExitMeaning } from "../../src/tools/types.js";

/** Builders for evaluation tests: small, explicit, valid by construction (parsed by the real schemas). */

export const NOW = new Date("2026-05-04T10:00:00.000Z");

/** A policy as an environment file would give it (defaults applied by the real schema). */
export function policy(document: Record<string, unknown> = {}): EnvironmentPolicy {
  return EnvironmentPolicy.parse({ name: "staging", ...document });
}

const FORMAT_OF: Readonly<Record<ReportKind, ReportFormat>> = {
  gitleaks: "gitleaks-json",
  trivy: "trivy-json",
  semgrep: "semgrep-json",
  k6: "k6-summary-export",
  sarif: "sarif",
  validate: "portcullis-findings",
  findings: "portcullis-findings",
};

const TOOL_OF: Readonly<Record<ReportKind, string>> = {
  gitleaks: "gitleaks",
  trivy: "trivy",
  semgrep: "semgrep",
  k6: "k6",
  sarif: "codeql",
  validate: "portcullis-validate",
  findings: "custom-scanner",
};

const KIND_OF_FINDING: Readonly<Record<ReportKind, Finding["kind"]>> = {
  gitleaks: "secret",
  trivy: "vulnerability",
  semgrep: "sast",
  k6: "sast",
  sarif: "sast",
  validate: "validation",
  findings: "sast",
};

let counter = 0;

/** A finding of the tool behind `kind`; every field can be overridden. */
export function finding(kind: ReportKind, overrides: Partial<FindingInput> = {}): Finding {
  counter += 1;
  const ruleId = overrides.ruleId ?? `rule-${counter}`;
  const path = overrides.location?.path ?? `src/file-${counter}.ts`;
  return Finding.parse({
    tool: TOOL_OF[kind],
    kind: KIND_OF_FINDING[kind],
    ruleId,
    severity: "high",
    title: `Title of ${ruleId}`,
    message: `Message of ${ruleId}`,
    location: { path, startLine: 3 },
    fingerprint: fingerprintOf([TOOL_OF[kind], ruleId, path, counter]),
    ...overrides,
  });
}

/** The k6 metrics of a healthy run: 1,000 requests, p95 120 ms, p99 300 ms, no failures, all checks. */
export function goodPerformance(): PerformanceResult {
  return {
    metrics: {
      http_reqs: { type: "counter", values: { count: 1000, rate: 100 } },
      http_req_duration: {
        type: "trend",
        values: { avg: 80, med: 70, "p(90)": 110, "p(95)": 120, "p(99)": 300, max: 900 },
      },
      http_req_failed: { type: "rate", values: { rate: 0, passes: 0, fails: 1000 } },
      checks: { type: "rate", values: { rate: 1, passes: 1000, fails: 0 } },
    },
    thresholds: [{ metric: "http_req_duration", expression: "p(95)<200", ok: true }],
  };
}

/** A parsed result for `kind`. */
export function result(kind: ReportKind, findings: Finding[] = [], extra: Partial<ToolResult> = {}): ToolResult {
  return {
    tool: TOOL_OF[kind],
    format: FORMAT_OF[kind],
    toolVersion: "1.0.0",
    findings,
    toolErrors: [],
    secrets: [],
    ...(kind === "k6" ? { performance: goodPerformance() } : {}),
    ...extra,
  };
}

export function ok(
  kind: ReportKind,
  findings: Finding[] = [],
  extra: Partial<ToolResult> = {},
  meta: Partial<RunMeta> = {},
): RunInput {
  return { run: { kind, file: `reports/${kind}.json`, ...meta }, result: result(kind, findings, extra) };
}

/** A report that could not be used, with the error the parser or runner would have raised. */
export function broken(
  kind: ReportKind,
  code: FamilyCode<"report"> | FamilyCode<"tool">,
  message: string,
  meta: Partial<RunMeta> = {},
): RunInput {
  const options = { file: `reports/${kind}.json`, tool: kind, fix: `fix for ${code}` };
  const error =
    code === "TOOL_NOT_FOUND" || code === "TOOL_WRONG_VERSION" || code === "TOOL_FAILED" || code === "STAGE_UNAVAILABLE"
      ? new ToolRunError(code, message, options)
      : new ReportError(code, message, options);
  return { run: { kind, file: `reports/${kind}.json`, ...meta }, error };
}

/** A clean report of every kind a gate requires. */
export function cleanRuns(): RunInput[] {
  return [ok("validate"), ok("gitleaks"), ok("trivy"), ok("semgrep"), ok("k6")];
}

/** Exit codes as the tests use them: 0 clean, 1 findings, anything else a crash. */
export function exitMeaning(_kind: ReportKind, code: number): ExitMeaning {
  return code === 0 ? "clean" : code === 1 ? "findings" : "error";
}

export interface TestWaiver extends WaiverView {
  fingerprint?: string | undefined;
  rule?: string | undefined;
}

/** Matches by fingerprint, else by rule id (the policy layer's findWaiver does the same and more). */
export function findTestWaiver(candidate: Finding, waivers: readonly TestWaiver[]): TestWaiver | undefined {
  return (
    waivers.find((waiver) => waiver.fingerprint === candidate.fingerprint) ??
    waivers.find((waiver) => waiver.rule !== undefined && waiver.rule === candidate.ruleId)
  );
}

export function waivers(
  list: TestWaiver[] = [],
  problems: WaiverInput<TestWaiver>["problems"] = [],
): WaiverInput<TestWaiver> {
  return { waivers: list, problems, find: findTestWaiver };
}

/**
 * Compliance evidence under a control set with every control switched off: the compliance gate is
 * judged on its licence limits alone, as before controls existed. compliance-gate.test.ts judges
 * the controls themselves.
 */
export function noControls(): CollectedCompliance {
  return {
    controls: { ...defaultControls(), controls: [] },
    repository: { files: new Set(), changedFiles: [] },
    workflows: [],
  };
}

export function input(overrides: Partial<EvaluateInput<TestWaiver>> = {}): EvaluateInput<TestWaiver> {
  return {
    policy: policy(),
    policyHash: "0".repeat(64),
    environment: "staging",
    runs: cleanRuns(),
    waivers: waivers(),
    bypasses: [],
    now: NOW,
    timings: {},
    exitMeaning,
    compliance: noControls(),
    toolVersions: { trivy: trivyVersion("2026-05-04T06:12:31Z") },
    ...overrides,
  };
}

/** `versions/trivy.txt` as `trivy version --format json` writes it, with the DB updated at `updatedAt`. */
export function trivyVersion(updatedAt: string, file = "reports/versions/trivy.txt"): ToolVersionInput {
  const raw = JSON.stringify({
    Version: "0.58.1",
    VulnerabilityDB: {
      Version: 2,
      NextUpdate: "2026-05-05T06:12:31Z",
      UpdatedAt: updatedAt,
      DownloadedAt: "2026-05-04T07:01:10Z",
    },
  });
  return { file, raw };
}
