import { ConfigError } from "../../src/errors.js";
import { evaluate, type EvaluateOutput } from "../../src/evaluate/evaluate.js";
import { withSarifNotices } from "../../src/report/sarif.js";
import type { Report } from "../../src/model/report.js";
import {
  NOW,
  broken,
  cleanRuns,
  finding,
  goodPerformance,
  input,
  ok,
  policy,
  waivers,
  type TestWaiver,
} from "../evaluate/helpers.js";

/**
 * A realistic, fully deterministic report for renderer tests: every gate status (pass, warn, fail,
 * error, disabled), waived, baseline and suppressed findings, an expired waiver, a bypass, tool
 * warnings, an unusable report, k6 metrics and a commit. Built through evaluate() so it is exactly
 * what the renderers receive in production.
 */
export function realisticEvaluation(): EvaluateOutput {
  const secret = finding("gitleaks", {
    ruleId: "aws-access-token",
    severity: "high",
    title: "AWS access token",
    message: "AWS access token found in a committed configuration file",
    location: { path: "config/deploy.env", startLine: 12, endLine: 12, startColumn: 5, endColumn: 45 },
    snippet: "AWS_KEY=REDACTED",
    fingerprint: "fp-secret-1",
  });
  const critical = finding("trivy", {
    ruleId: "CVE-2024-21538",
    severity: "critical",
    title: "cross-spawn: regular expression denial of service",
    message: "cross-spawn 7.0.3 is vulnerable; fixed in 7.0.5",
    location: { path: "package-lock.json" },
    package: { name: "cross-spawn", installed: "7.0.3", fixed: ["7.0.5", "6.0.6"], ecosystem: "npm" },
    references: ["CVE-2024-21538", "CWE-1333", "https://avd.aquasec.com/nvd/cve-2024-21538"],
    helpUri: "https://avd.aquasec.com/nvd/cve-2024-21538",
    fingerprint: "fp-vuln-critical",
  });
  const baselined = finding("trivy", {
    ruleId: "CVE-2023-26136",
    severity: "high",
    title: "tough-cookie: prototype pollution",
    message: "tough-cookie 4.1.2 is vulnerable; fixed in 4.1.3",
    location: { path: "package-lock.json" },
    package: { name: "tough-cookie", installed: "4.1.2", fixed: ["4.1.3"], ecosystem: "npm" },
    fingerprint: "fp-vuln-baseline",
  });
  const misconfig = finding("trivy", {
    kind: "misconfiguration",
    ruleId: "DS-0002",
    severity: "medium",
    title: "Image user should not be 'root'",
    message: "Specify at least 1 USER command in Dockerfile with non-root user as argument",
    location: { path: "Dockerfile", startLine: 1, endLine: 20 },
    fingerprint: "fp-misconfig",
  });
  const eval_ = finding("semgrep", {
    ruleId: "javascript.lang.security.audit.code-string-concat",
    severity: "medium",
    title: "code-string-concat",
    message: "Found data from an Express or Next web request flowing to `eval`. <script> | and *stars*",
    location: { path: "routes/search.ts", startLine: 23, startColumn: 7, endLine: 23, endColumn: 41 },
    references: ["CWE-95"],
    snippet: "eval(req.query.q)",
    fingerprint: "fp-sast-eval",
  });
  const waived = finding("semgrep", {
    ruleId: "javascript.express.security.audit.xss.direct-response-write",
    severity: "high",
    title: "direct-response-write",
    message: "Detected directly writing to a Response object from user-defined input.",
    location: { path: "routes/legacy.ts", startLine: 40 },
    fingerprint: "fp-sast-waived",
  });
  const nosemgrep = finding("semgrep", {
    ruleId: "javascript.lang.security.detect-child-process",
    severity: "high",
    title: "detect-child-process",
    message: "Detected calls to child_process from a function argument.",
    location: { path: "scripts/build.ts", startLine: 8 },
    suppression: { kind: "inSource", reason: "nosemgrep" },
    fingerprint: "fp-sast-suppressed",
  });
  const broken_ = finding("validate", {
    ruleId: "broken-reference",
    severity: "high",
    title: "Broken reference",
    message: "agents/reviewer.md links to skills/missing.md, which does not exist",
    location: { path: "agents/reviewer.md", startLine: 14 },
    fingerprint: "fp-validate-ref",
  });
  const lint = finding("validate", {
    ruleId: "markdownlint/MD013",
    severity: "low",
    title: "Line length",
    message: "Expected: 120; Actual: 164",
    location: { path: "docs/guide.md", startLine: 3 },
    fingerprint: "fp-validate-md013",
  });
  const waiver: TestWaiver = {
    id: "W-12",
    fingerprint: "fp-sast-waived",
    reason: "legacy route, removed in the next sprint",
    approver: "security@example.org",
    expires: "2026-05-20",
  };
  const expired: TestWaiver = {
    id: "W-3",
    rule: "DS-0002",
    reason: "base image",
    approver: "ops",
    expires: "2026-04-01",
  };
  const expiredProblem = Object.assign(
    new ConfigError("WAIVER_EXPIRED", "waivers[1] (id W-3): expired on 2026-04-01 (today is 2026-05-04)", {
      path: "waivers.1.expires",
      fix: "fix the finding and remove the waiver, or renew it",
    }),
    { waiver: expired },
  );
  const performance = goodPerformance();
  const runs = cleanRuns().map((run) => {
    switch (run.run.kind) {
      case "validate":
        return ok("validate", [broken_, lint], {}, { durationMs: 812 });
      case "gitleaks":
        return ok("gitleaks", [secret], { toolVersion: "8.30.1" }, { exitCode: 1, durationMs: 1500 });
      case "trivy":
        return ok(
          "trivy",
          [critical, baselined, misconfig],
          { toolVersion: "0.74.0" },
          { label: "fs", file: "reports/trivy.fs.json", durationMs: 9000 },
        );
      case "semgrep":
        return ok(
          "semgrep",
          [eval_, waived, nosemgrep],
          {
            toolVersion: "1.163.0",
            toolErrors: [{ level: "warning", message: "Syntax error at line 3", path: "vendor/old.js", code: "3" }],
          },
          { exitCode: 1, durationMs: 21000 },
        );
      default:
        return ok("k6", [], { toolVersion: "1.2.0", performance }, { durationMs: 60000 });
    }
  });
  runs.push(
    broken("sarif", "REPORT_MALFORMED", "not valid JSON: Unexpected end of JSON input (truncated?)", {
      label: "codeql",
      file: "reports/sarif.codeql.sarif",
    }),
  );
  const environment = policy({
    name: "development",
    bypass: { allow_mandatory: true },
    gates: {
      documentation: { mode: "advisory" },
      vulnerabilities: { mode: "mandatory" },
      sast: { mode: "advisory" },
      compliance: { enabled: false },
    },
  });
  return evaluate(
    input({
      policy: environment,
      environment: "development",
      policyHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      runs,
      waivers: waivers([waiver], [expiredProblem]),
      baseline: new Set(["fp-vuln-baseline"]),
      bypasses: [
        {
          gate: "vulnerabilities",
          reason: "hotfix for incident 4711",
          approver: "cto@example.org",
          at: NOW.toISOString(),
        },
      ],
      commit: "3f2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",
      timings: { validate_ms: 812, gitleaks_ms: 1500, trivy_ms: 9000, semgrep_ms: 21000, k6_ms: 60000 },
    }),
  );
}

/**
 * The realistic report as the CLI writes it (with the SARIF notices), normalised for file
 * snapshots: the Portcullis version is a placeholder.
 */
export function realisticReport(): Report {
  return { ...withSarifNotices(realisticEvaluation().report), portcullisVersion: "0.0.0-snapshot" };
}
