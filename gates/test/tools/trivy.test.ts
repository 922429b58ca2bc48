import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isPortcullisError } from "../../src/errors.js";
import { Finding, type ToolResult } from "../../src/findings/finding.js";
import { fingerprintOf } from "../../src/findings/fingerprint.js";
import {
  normaliseCheckId,
  parseTrivyVersion,
  splitFixedVersions,
  trivy,
  TRIVY_EXIT,
  TRIVY_IMAGE,
} from "../../src/tools/trivy.js";
import { failure } from "./failure.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/trivy/${name}`, import.meta.url), "utf8");

/** The mixed fs fixture as a mutable object tree. */
function mixed(): { Results: Array<Record<string, unknown>> } & Record<string, unknown> {
  const parsed: unknown = JSON.parse(fixture("fs.mixed.json"));
  if (typeof parsed !== "object" || parsed === null || !("Results" in parsed) || !Array.isArray(parsed.Results)) {
    throw new Error("fixture has no Results");
  }
  return { ...parsed, Results: parsed.Results.map((entry: Record<string, unknown>) => ({ ...entry })) };
}

const byRule = (result: ToolResult, ruleId: string) => result.findings.filter((finding) => finding.ruleId === ruleId);

describe("trivy image and exit codes", () => {
  it("pins a 0.x release tag whose version matches", () => {
    expect(TRIVY_IMAGE.ref).toMatch(/^aquasec\/trivy:0\.\d+\.\d+$/);
    expect(TRIVY_IMAGE.ref.endsWith(`:${TRIVY_IMAGE.version}`)).toBe(true);
  });

  it.each([
    [0, "clean"],
    [1, "error"],
    [2, "error"],
    [124, "error"],
    [137, "error"],
  ])("exit code %s means %s (no --exit-code is ever passed)", (code, meaning) => {
    expect(trivy.exitMeaning(code)).toBe(meaning);
    expect(trivy.exitCodes).toBe(TRIVY_EXIT);
  });
});

describe("trivy argv", () => {
  const common = ["--cache-dir", "/cache"];

  it("scans a folder with every scanner into a JSON report", () => {
    expect(trivy.argv.fs({ dir: "/src", output: "/out/trivy.json", cacheDir: "/cache" })).toEqual([
      "fs",
      "--format",
      "json",
      "--output",
      "/out/trivy.json",
      "--scanners",
      "vuln,secret,misconfig,license",
      ...common,
      "--config",
      "/dev/null",
      "--secret-config",
      "/out/.portcullis-no-secret-config.yaml",
      "--no-progress",
      "--",
      "/src",
    ]);
  });

  it("scans a saved image with mirrors, offline DBs, unfixed vulnerabilities left out and its own ignore file", () => {
    expect(
      trivy.argv.image({
        input: "/scan/app.tar",
        output: "/out/image.json",
        cacheDir: "/cache",
        ignoreFile: "/src/.trivyignore.yaml",
        scanners: ["vuln", "secret", "vuln"],
        ignoreUnfixed: true,
        skipDbUpdate: true,
        dbRepository: "mirror.example/trivy-db:2",
        javaDbRepository: "mirror.example/trivy-java-db:1",
      }),
    ).toEqual([
      "image",
      "--format",
      "json",
      "--output",
      "/out/image.json",
      "--scanners",
      "vuln,secret",
      "--cache-dir",
      "/cache",
      "--ignorefile",
      "/src/.trivyignore.yaml",
      "--ignore-unfixed",
      "--skip-db-update",
      "--skip-java-db-update",
      "--db-repository",
      "mirror.example/trivy-db:2",
      "--java-db-repository",
      "mirror.example/trivy-java-db:1",
      "--config",
      "/dev/null",
      "--secret-config",
      "/out/.portcullis-no-secret-config.yaml",
      "--no-progress",
      "--input",
      "/scan/app.tar",
    ]);
  });

  it.each([
    [
      { dir: "/src" },
      [
        "fs",
        "--format",
        "cyclonedx",
        "--output",
        "/out/sbom.cdx.json",
        "--cache-dir",
        "/cache",
        "--config",
        "/dev/null",
        "--quiet",
        "--",
        "/src",
      ],
    ],
    [
      { input: "/scan/app.tar" },
      [
        "image",
        "--format",
        "cyclonedx",
        "--output",
        "/out/sbom.cdx.json",
        "--cache-dir",
        "/cache",
        "--config",
        "/dev/null",
        "--quiet",
        "--input",
        "/scan/app.tar",
      ],
    ],
  ])("generates a CycloneDX SBOM from %o", (source, expected) => {
    expect(trivy.argv.sbom({ ...source, output: "/out/sbom.cdx.json", cacheDir: "/cache" })).toEqual(expected);
  });

  it("scans an existing SBOM for vulnerabilities and licences only", () => {
    expect(
      trivy.argv.scanSbom({ sbom: "/out/sbom.cdx.json", output: "/out/sbom-scan.json", cacheDir: "/cache" }),
    ).toEqual([
      "sbom",
      "--format",
      "json",
      "--output",
      "/out/sbom-scan.json",
      "--scanners",
      "vuln,license",
      ...common,
      "--config",
      "/dev/null",
      "--no-progress",
      "--",
      "/out/sbom.cdx.json",
    ]);
  });

  it("asks for the version and DB metadata as JSON, in the scan's cache", () => {
    expect(trivy.argv.version()).toEqual(["version", "--format", "json"]);
    expect(trivy.argv.version("/cache")).toEqual(["version", "--format", "json", "--cache-dir", "/cache"]);
  });

  it("refuses operands trivy would read as flags, and an empty scanner list", () => {
    expect(failure(() => trivy.argv.fs({ dir: "--help", output: "o.json", cacheDir: "/c" }))).toMatchInlineSnapshot(
      `"[USAGE] dir: trivy dir must be a non-empty path or reference not starting with "-" — fix: prefix a relative path with ./ (for example ./help)"`,
    );
    expect(failure(() => trivy.argv.image({ input: "", output: "o.json", cacheDir: "/c" }))).toMatchInlineSnapshot(
      `"[USAGE] input: trivy input must be a non-empty path or reference not starting with "-" — fix: prefix a relative path with ./ (for example ./dir)"`,
    );
    expect(
      failure(() => trivy.argv.fs({ dir: ".", output: "o.json", cacheDir: "/c", scanners: [] })),
    ).toMatchInlineSnapshot(
      `"[USAGE] trivy needs at least one scanner — fix: name one or more of vuln, secret, misconfig, license"`,
    );
  });
});

describe("trivy JSON parsing", () => {
  const result = trivy.parse(fixture("fs.mixed.json"), { file: "trivy.json" });

  it("reads every finding kind, skipping PASS checks and results without finding lists", () => {
    expect(result).toMatchObject({
      tool: "trivy",
      format: "trivy-json",
      toolVersion: "0.74.0",
      toolErrors: [],
      secrets: [],
    });
    expect(result.findings.map((finding) => `${finding.kind} ${finding.ruleId} ${finding.severity}`)).toEqual([
      "vulnerability CVE-2024-21538 high",
      "vulnerability GHSA-3h5v-q93c-6h6q unknown",
      "vulnerability CVE-2025-27789 medium",
      "vulnerability CVE-2025-27789 medium",
      "misconfiguration DS-0002 high",
      "misconfiguration DS-0026 low",
      "misconfiguration DS-0029 high",
      "misconfiguration AWS-0086 high",
      "secret aws-access-key-id critical",
      "secret github-pat critical",
      "license GPL-3.0-only high",
    ]);
    for (const finding of result.findings) expect(Finding.parse(finding)).toEqual(finding);
  });

  it.each([
    ["CVE-2024-21538", ["7.0.5", "6.0.6"]],
    ["GHSA-3h5v-q93c-6h6q", []],
    ["CVE-2025-27789", ["7.26.10", "8.0.0-alpha.17"]],
  ])("splits %s's FixedVersion into %o", (ruleId, fixed) => {
    expect(byRule(result, ruleId)[0]?.package?.fixed).toEqual(fixed);
  });

  it("describes a vulnerability with its package, references and help link", () => {
    expect(byRule(result, "CVE-2024-21538")[0]).toEqual({
      tool: "trivy",
      kind: "vulnerability",
      ruleId: "CVE-2024-21538",
      severity: "high",
      title: "cross-spawn: regular expression denial of service",
      message: "CVE-2024-21538 in cross-spawn 7.0.3: fixed in 7.0.5, 6.0.6",
      location: { path: "package-lock.json" },
      fingerprint: fingerprintOf(["trivy", "CVE-2024-21538", "cross-spawn", "7.0.3", "package-lock.json"]),
      package: { name: "cross-spawn", installed: "7.0.3", fixed: ["7.0.5", "6.0.6"], ecosystem: "npm" },
      references: [
        "CVE-2024-21538",
        "CWE-1333",
        "https://github.com/moxystudio/node-cross-spawn/issues/165",
        "https://nvd.nist.gov/vuln/detail/CVE-2024-21538",
      ],
      helpUri: "https://avd.aquasec.com/nvd/cve-2024-21538",
    });
  });

  it("tells apart one vulnerable package installed twice under the same target, and locates each copy", () => {
    const [first, second] = byRule(result, "CVE-2025-27789");
    expect(first?.location?.path).toBe("node_modules/@babel/runtime/package.json");
    expect(second?.location?.path).toBe("node_modules/jest/node_modules/@babel/runtime/package.json");
    expect(first?.fingerprint).toBe(
      fingerprintOf(["trivy", "CVE-2025-27789", "@babel/runtime", "7.20.0", "package-lock.json"]),
    );
    expect(second?.fingerprint).not.toBe(first?.fingerprint);
  });

  it("normalises check ids, keeps EXCEPTION as an external suppression and takes lines and code from CauseMetadata", () => {
    expect(byRule(result, "DS-0002")[0]).toMatchObject({
      location: { path: "Dockerfile" },
      title: "Image user should not be 'root'",
    });
    expect(byRule(result, "DS-0002")[0]?.snippet).toBeUndefined();
    expect(byRule(result, "DS-0026")[0]?.suppression).toEqual({
      kind: "external",
      reason: "trivy check exception (Status EXCEPTION)",
    });
    expect(byRule(result, "DS-0029")[0]).toMatchObject({
      location: { path: "Dockerfile", startLine: 4, endLine: 4 },
      snippet: "RUN apt-get update && apt-get install -y curl",
      message: "'--no-install-recommends' flag is missed: 'apt-get update && apt-get install -y curl'",
    });
    expect(byRule(result, "AWS-0086")[0]).toMatchObject({
      location: { path: "infra/main.tf", startLine: 12, endLine: 15 },
      snippet: 'resource "aws_s3_bucket" "logs" {\n  bucket = "portcullis-logs"',
      fingerprint: fingerprintOf(["trivy", "misconfiguration", "AWS-0086", "infra/main.tf", "aws_s3_bucket.logs"]),
    });
  });

  it("shows secrets only as trivy's masked line, with the mask made explicit, ordered by line", () => {
    const secrets = result.findings.filter((finding) => finding.kind === "secret");
    expect(secrets.map((finding) => [finding.location, finding.snippet])).toEqual([
      [{ path: "deploy/env.sh", startLine: 3, endLine: 3 }, "AWS_ACCESS_KEY_ID=REDACTED"],
      [{ path: "deploy/env.sh", startLine: 9, endLine: 9 }, "export GH_TOKEN=REDACTED"],
    ]);
    expect(JSON.stringify(result.findings)).not.toContain("deploy token");
  });

  it("reports licences as licence findings on their package", () => {
    expect(byRule(result, "GPL-3.0-only")[0]).toMatchObject({
      kind: "license",
      title: "License GPL-3.0-only",
      message: "left-pad is licensed under GPL-3.0-only (category restricted)",
      location: { path: "node_modules/left-pad/package.json" },
      package: { name: "left-pad", fixed: [] },
      references: [],
    });
  });

  it("reads a clean scan, which has no Results at all, as no findings", () => {
    expect(trivy.parse(fixture("clean.fs.json"))).toEqual({
      tool: "trivy",
      format: "trivy-json",
      toolVersion: "0.74.0",
      findings: [],
      toolErrors: [],
      secrets: [],
    });
  });

  it("collects an unmasked secret for the final scrub and shows neither it nor its code line", () => {
    const unmasked = trivy.parse(fixture("secret.unmasked.json"));
    const planted = "SLACK_HOOK=https://hooks.slack.com/services/T0PLANTED/B0PLANTED/plantedplantedplanted";
    expect(unmasked.secrets).toEqual([planted, planted]);
    expect(unmasked.findings[0]?.snippet).toBeUndefined();
    expect(JSON.stringify(unmasked.findings)).not.toMatch(/planted/i);
  });
});

describe("trivy fingerprints", () => {
  const fingerprints = (report: unknown): string[] =>
    trivy.parse(JSON.stringify(report)).findings.map((finding) => `${finding.ruleId} ${finding.fingerprint}`);

  it("survive line moves, changed code and unrelated results added in front", () => {
    const moved = mixed();
    const text = JSON.stringify(moved)
      .replaceAll('"StartLine":4,"EndLine":4', '"StartLine":40,"EndLine":41')
      .replaceAll('"StartLine":12,"EndLine":15', '"StartLine":112,"EndLine":115')
      .replaceAll('"StartLine":9,"EndLine":9', '"StartLine":19,"EndLine":19')
      .replaceAll("apt-get install -y curl", "apt-get install -y curl wget");
    const shifted: unknown = JSON.parse(text);
    expect(fingerprints(shifted)).toEqual(fingerprints(mixed()));
    const extended = mixed();
    extended.Results.unshift({ Target: "go.mod", Class: "lang-pkgs", Type: "gomod", Vulnerabilities: [] });
    expect(fingerprints(extended)).toEqual(fingerprints(mixed()));
  });

  it("never come from the secret: another secret value in the same place keeps the fingerprint", () => {
    const original = trivy.parse(fixture("secret.unmasked.json")).findings[0]?.fingerprint;
    const rotated = trivy.parse(
      fixture("secret.unmasked.json").replaceAll("plantedplantedplanted", "rotatedrotatedrotated"),
    );
    expect(rotated.findings[0]?.fingerprint).toBe(original);
    expect(original).toBe(fingerprintOf(["trivy", "secret", "slack-web-hook", "/app/.env"]));
  });

  it("are unique within a report", () => {
    const all = trivy.parse(fixture("fs.mixed.json")).findings.map((finding) => finding.fingerprint);
    expect(new Set(all).size).toBe(all.length);
  });

  it("number an identity's later occurrences in document order: the first keeps the plain hash", () => {
    const vulnerability = {
      VulnerabilityID: "CVE-2025-0001",
      PkgName: "left-pad",
      InstalledVersion: "1.0.0",
      Severity: "HIGH",
    };
    const entry = { Target: "package-lock.json", Type: "npm", Vulnerabilities: [vulnerability] };
    const other = { ...entry, Vulnerabilities: [{ ...vulnerability, PkgName: "right-pad" }] };
    const report = { SchemaVersion: 2, Results: [entry, other, entry, entry] };
    const key = fingerprintOf(["trivy", "CVE-2025-0001", "left-pad", "1.0.0", "package-lock.json"]);
    expect(trivy.parse(JSON.stringify(report)).findings.map((finding) => finding.fingerprint)).toEqual([
      key,
      fingerprintOf(["trivy", "CVE-2025-0001", "right-pad", "1.0.0", "package-lock.json"]),
      fingerprintOf([key, 1]),
      fingerprintOf([key, 2]),
    ]);
  });
});

describe("trivy SARIF", () => {
  it("is detected by content and read by the SARIF parser as trivy findings", () => {
    const result = trivy.parse(fixture("image.sarif"), { file: "trivy.json" });
    expect(result).toMatchObject({ tool: "trivy", format: "trivy-sarif", toolVersion: "0.74.0", toolErrors: [] });
    expect(result.findings.map((finding) => [finding.kind, finding.ruleId, finding.severity])).toEqual([
      ["vulnerability", "CVE-2024-21538", "high"],
    ]);
  });

  it("refuses SARIF from another tool", () => {
    const other = fixture("image.sarif").replace('"name": "Trivy"', '"name": "CodeQL"');
    expect(failure(() => trivy.parse(other, { file: "codeql.sarif" }))).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] codeql.sarif: expected a trivy JSON (schema v2) or SARIF report, got a SARIF log from CodeQL — fix: this looks like a sarif report: pass it as --report sarif=<file>, or give the trivy report here"`,
    );
  });
});

describe("trivy report errors", () => {
  const vulnerabilityOf = (patch: Record<string, unknown>): string => {
    const report = mixed();
    const first = report.Results[0];
    const list = first?.["Vulnerabilities"];
    if (!Array.isArray(list)) throw new Error("fixture changed");
    report.Results[0] = { ...first, Vulnerabilities: [{ ...list[0], ...patch }] };
    return JSON.stringify(report);
  };

  it.each([
    ["empty", ""],
    ["blank", " \n\t "],
    ["truncated", fixture("fs.mixed.json").slice(0, 400)],
    ["an HTML error page", "<html><body>502 Bad Gateway</body></html>"],
  ])("%s -> REPORT_EMPTY or REPORT_MALFORMED", (_name, raw) => {
    expect(failure(() => trivy.parse(raw, { file: "trivy.json" }))).toMatch(
      /^\[REPORT_(EMPTY|MALFORMED)\] trivy\.json: /,
    );
  });

  it("pins the empty and truncated messages", () => {
    expect(failure(() => trivy.parse("", { file: "trivy.json" }))).toMatchInlineSnapshot(
      `"[REPORT_EMPTY] trivy.json: the trivy report is empty; expected a trivy JSON (schema v2) or SARIF report — fix: check that trivy 0.74.0 with --format json ran to completion and wrote its report; a clean run still writes one"`,
    );
    expect(
      failure(() => trivy.parse('{"SchemaVersion": 2, "Results": [', { file: "trivy.json" })),
    ).toMatchInlineSnapshot(
      `"[REPORT_MALFORMED] trivy.json: the trivy report is not valid JSON (Unexpected end of JSON input); starts with "{\\"SchemaVersion\\": 2, \\"Results\\": [" — fix: the file is truncated or is not a trivy JSON (schema v2) or SARIF report: re-run trivy 0.74.0 with --format json and let it finish writing"`,
    );
  });

  it.each([
    [
      "{}",
      `"[REPORT_WRONG_TOOL] t.json: expected a trivy JSON (schema v2) or SARIF report, got an empty JSON object — fix: pass a trivy JSON (schema v2) or SARIF report here"`,
    ],
    [
      '[{"RuleID":"aws-access-token","File":"a.env","StartLine":1}]',
      `"[REPORT_WRONG_TOOL] t.json: expected a trivy JSON (schema v2) or SARIF report, got a gitleaks JSON report — fix: this looks like a gitleaks report: pass it as --report gitleaks=<file>, or give the trivy report here"`,
    ],
    [
      '{"results":[],"errors":[],"version":"1.163.0"}',
      `"[REPORT_WRONG_TOOL] t.json: expected a trivy JSON (schema v2) or SARIF report, got a semgrep JSON report — fix: this looks like a semgrep report: pass it as --report semgrep=<file>, or give the trivy report here"`,
    ],
  ])("another tool's JSON %s -> REPORT_WRONG_TOOL with the right kind", (raw, message) => {
    expect(failure(() => trivy.parse(raw, { file: "t.json" }))).toBe(JSON.parse(message));
  });

  it("names the JSON path of a wrong type", () => {
    expect(failure(() => trivy.parse(vulnerabilityOf({ Severity: 4 }), { file: "t.json" }))).toMatchInlineSnapshot(
      `"[REPORT_INVALID] t.json: Results.0.Vulnerabilities.0.Severity: the trivy report does not match the trivy JSON (schema v2) or SARIF report layout: Results.0.Vulnerabilities.0.Severity: Invalid input: expected string, received number — fix: re-generate the report with trivy 0.74.0 with --format json; do not edit reports by hand"`,
    );
  });

  it.each([
    [vulnerabilityOf({ FixedVersion: ["1.0"] }), "Results.0.Vulnerabilities.0.FixedVersion"],
    [vulnerabilityOf({ References: "https://example.com" }), "Results.0.Vulnerabilities.0.References"],
    [vulnerabilityOf({ VulnerabilityID: undefined }), "Results.0.Vulnerabilities.0.VulnerabilityID"],
    [
      fixture("fs.mixed.json").replace('"Status": "EXCEPTION"', '"Status": "MAYBE"'),
      "Results.2.Misconfigurations.1.Status",
    ],
    [fixture("fs.mixed.json").replace('"StartLine": 3,', '"StartLine": "3",'), "Results.4.Secrets.1.StartLine"],
    [fixture("fs.mixed.json").replace('"Target": "Dockerfile"', '"Target": null'), "Results.2.Target"],
    [fixture("fs.mixed.json").replace('"SchemaVersion": 2', '"SchemaVersion": 1'), "SchemaVersion"],
    [fixture("clean.fs.json").replace('"Version": "0.74.0"', '"Version": 74'), "Trivy.Version"],
    ['{"SchemaVersion": 2, "ArtifactName": ".", "Results": {"Target": "x"}}', "Results"],
  ])("a wrong type is REPORT_INVALID at %#", (raw, path) => {
    try {
      trivy.parse(raw);
      expect.unreachable("should have thrown");
    } catch (error) {
      expect(isPortcullisError(error) && { code: error.code, path: error.path }).toEqual({
        code: "REPORT_INVALID",
        path,
      });
    }
  });

  it("accepts unknown keys trivy may add in later versions", () => {
    const report = mixed();
    report["ExperimentalFutureField"] = { any: ["thing"] };
    const text = JSON.stringify(report).replaceAll('"VulnerabilityID"', '"NewField":[1,2],"VulnerabilityID"');
    expect(trivy.parse(text).findings).toEqual(trivy.parse(fixture("fs.mixed.json")).findings);
  });
});

describe("trivy version --format json", () => {
  it("reads the version and the vulnerability DB's age", () => {
    expect(parseTrivyVersion(fixture("version.json"))).toEqual({
      version: "0.74.0",
      vulnerabilityDb: {
        version: 2,
        updatedAt: "2026-11-20T00:47:12.409331347Z",
        nextUpdate: "2026-11-21T00:47:12.409331027Z",
      },
    });
  });

  it("has no DB before trivy downloaded one", () => {
    expect(parseTrivyVersion(fixture("version.no-db.json"))).toEqual({ version: "0.74.0" });
  });

  it("refuses an unreadable timestamp and output that is not trivy's", () => {
    const bad = fixture("version.json").replace("2026-11-20T00:47:12.409331347Z", "yesterday");
    expect(failure(() => parseTrivyVersion(bad, { file: "trivy-version.json" }))).toMatchInlineSnapshot(
      `"[REPORT_INVALID] trivy-version.json: VulnerabilityDB.UpdatedAt: the trivy report does not match the \`trivy version --format json\` output layout: VulnerabilityDB.UpdatedAt: expected an RFC 3339 timestamp — fix: re-generate the report with \`trivy version --format json\`; do not edit reports by hand"`,
    );
    expect(failure(() => parseTrivyVersion(fixture("clean.fs.json")))).toMatch(/^\[REPORT_WRONG_TOOL\]/);
  });
});

describe("trivy helpers", () => {
  it.each([
    ["DS002", "AVD-DS-0002", "DS-0002"],
    ["DS002", undefined, "DS-0002"],
    ["AVD-DS-0002", undefined, "DS-0002"],
    ["KSV001", "AVD-KSV-0001", "KSV-0001"],
    ["KSV-0001", undefined, "KSV-0001"],
    ["AVD-AWS-0086", undefined, "AWS-0086"],
    ["AWS-0086", undefined, "AWS-0086"],
    ["custom-check", undefined, "custom-check"],
  ])("check id %s (AVDID %s) -> %s", (id, avdId, expected) => {
    expect(normaliseCheckId(id, avdId)).toBe(expected);
  });

  it.each([
    ["7.0.5, 6.0.6", ["7.0.5", "6.0.6"]],
    ["1.2.3", ["1.2.3"]],
    ["", []],
    [" , ", []],
    [undefined, []],
  ])("FixedVersion %o -> %o", (value, expected) => {
    expect(splitFixedVersions(value)).toEqual(expected);
  });
});
