import { createReadStream, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Finding, type ReportFormat, type Severity, type ToolResult } from "../../src/findings/finding.js";
import { trivy } from "../../src/tools/trivy.js";
import { parseTrivyStream } from "../../src/tools/trivy-stream.js";
import { conformanceDir } from "./fixtures-dir.js";

/*
 * Real trivy reports (../shared/fixtures/trivy). The figures below were counted by hand from the
 * files; each test also recounts them from the raw JSON, without the parser, so that the parser is
 * checked against the file and not against itself.
 */

const root = conformanceDir();
const dir = path.join(root ?? "", "trivy");
const raw = (name: string): string => readFileSync(path.join(dir, name), "utf8");
const parse = (name: string): ToolResult => trivy.parse(raw(name), { file: name });

type Counts = Partial<Record<`${Finding["kind"]}:${Severity}`, number>>;

/** Every file in the folder: the format detected by content, and findings by kind and severity. */
const FILES: Readonly<Record<string, { format: ReportFormat; version?: string; counts: Counts }>> = {
  "image.node-app.json": {
    format: "trivy-json",
    counts: { "vulnerability:critical": 1, "vulnerability:high": 4, "vulnerability:medium": 2 },
  },
  "fs.misconfig-license.vulnerable-node.json": {
    format: "trivy-json",
    counts: { "misconfiguration:high": 5, "misconfiguration:low": 3 },
  },
  "repo.secrets.golden.json": {
    format: "trivy-json",
    version: "dev",
    counts: { "secret:critical": 1, "secret:high": 1 },
  },
  "config.helm-testchart.golden.json": {
    format: "trivy-json",
    version: "dev",
    counts: { "misconfiguration:medium": 3, "misconfiguration:low": 2, "misconfiguration:high": 1 },
  },
  "repo.gomod-unknown-severity.golden.json": {
    format: "trivy-json",
    version: "dev",
    counts: { "vulnerability:unknown": 4, "vulnerability:medium": 1 },
  },
  "image.alpine-310.golden.sarif": { format: "trivy-sarif", version: "dev", counts: { "vulnerability:medium": 4 } },
  "fs.npm.v0.65.0.sarif": { format: "trivy-sarif", version: "0.65.0", counts: { "vulnerability:high": 2 } },
};

function counts(result: ToolResult): Counts {
  const tally: Counts = {};
  for (const finding of result.findings) {
    const key = `${finding.kind}:${finding.severity}` as const;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}

/** The objects in a JSON list (anything else: none). */
function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value)
    ? value.filter(
        (item): item is Record<string, unknown> => typeof item === "object" && item !== null && !Array.isArray(item),
      )
    : [];
}

/** The raw `Results[]` entries of a report. */
function rawResults(name: string): Record<string, unknown>[] {
  const document: unknown = JSON.parse(raw(name));
  return typeof document === "object" && document !== null && "Results" in document ? records(document.Results) : [];
}

/** Counted straight from the raw JSON: trivy's own lists, failures only for checks, by trivy's severity word. */
function rawCounts(name: string): Counts {
  const tally: Counts = {};
  const lists = {
    Vulnerabilities: "vulnerability",
    Misconfigurations: "misconfiguration",
    Secrets: "secret",
    Licenses: "license",
  } as const;
  for (const result of rawResults(name)) {
    for (const [key, kind] of Object.entries(lists)) {
      for (const item of records(result[key])) {
        if (item["Status"] === "PASS") continue;
        const tallyKey = `${kind}:${String(item["Severity"]).toLowerCase()}` as keyof Counts;
        tally[tallyKey] = (tally[tallyKey] ?? 0) + 1;
      }
    }
  }
  return tally;
}

async function* chunks(name: string): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(path.join(dir, name), { highWaterMark: 1_000 })) {
    if (Buffer.isBuffer(chunk)) yield chunk;
  }
}

describe.skipIf(root === undefined)("trivy conformance", () => {
  it("knows every file in the folder", () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(FILES).sort());
  });

  it.each(Object.entries(FILES))("%s: detected by content, counted right, valid findings", async (name, expected) => {
    expect(trivy.detect(JSON.parse(raw(name)))).toBe(expected.format);
    const result = parse(name);
    expect(result).toMatchObject({ tool: "trivy", format: expected.format, toolErrors: [] });
    expect(result.toolVersion).toBe(expected.version);
    expect(counts(result)).toEqual(expected.counts);
    if (expected.format === "trivy-json") expect(counts(result)).toEqual(rawCounts(name));
    for (const finding of result.findings) expect(Finding.parse(finding)).toEqual(finding);
    expect(new Set(result.findings.map((finding) => finding.fingerprint)).size).toBe(result.findings.length);
    expect(await parseTrivyStream(chunks(name), { file: name })).toEqual(result);
  });

  it("image.node-app.json: the os-pkgs result has no Vulnerabilities key; comma-separated fixes are split", () => {
    expect(rawResults("image.node-app.json").map((result) => [result["Class"], "Vulnerabilities" in result])).toEqual([
      ["os-pkgs", false],
      ["lang-pkgs", true],
    ]);
    const result = parse("image.node-app.json");
    expect(result.findings.every((finding) => finding.package?.ecosystem === "node-pkg")).toBe(true);
    const fixes = Object.fromEntries(
      result.findings.map((finding) => [`${finding.ruleId} ${finding.package?.name}`, finding.package?.fixed]),
    );
    expect(fixes["CVE-2024-21538 cross-spawn"]).toEqual(["7.0.5", "6.0.6"]);
    expect(fixes["CVE-2025-29927 next"]).toEqual(["13.5.9", "14.2.25", "15.2.3", "12.3.5"]);
    expect(fixes["CVE-2024-34351 next"]).toEqual(["14.1.1"]);
  });

  it("fs.misconfig-license: old DS ids with AVDIDs become DS-00NN, lines and code from the cause, licence results silent", () => {
    const result = parse("fs.misconfig-license.vulnerable-node.json");
    expect(result.findings.map((finding) => `${finding.location?.path} ${finding.ruleId}`)).toEqual([
      "Dockerfile DS-0002",
      "Dockerfile DS-0022",
      "Dockerfile DS-0026",
      "Dockerfile DS-0029",
      "services/postgresql/Dockerfile DS-0002",
      "services/postgresql/Dockerfile DS-0005",
      "services/postgresql/Dockerfile DS-0022",
      "services/postgresql/Dockerfile DS-0026",
    ]);
    // Checks of the whole file (DS-0002, DS-0026) have no lines and `Code.Lines: null`: no snippet.
    expect(result.findings.map((finding) => [finding.location?.startLine, finding.snippet])).toEqual([
      [undefined, undefined],
      [3, 'MAINTAINER "Daniel Garcia aka (cr0hn)" <cr0hn@cr0hn.com>'],
      [undefined, undefined],
      [7, "RUN apt-get update && apt-get install -y netcat"],
      [undefined, undefined],
      [5, "ADD init.sql /docker-entrypoint-initdb.d/"],
      [3, 'MAINTAINER "Daniel Garcia aka (cr0hn)" <cr0hn@cr0hn.com>'],
      [undefined, undefined],
    ]);
  });

  it("repo.secrets: masked matches shown as REDACTED; the context line with a token never appears", () => {
    const result = parse("repo.secrets.golden.json");
    expect(result.findings.map((finding) => [finding.ruleId, finding.location, finding.snippet])).toEqual([
      ["aws-access-key-id", { path: "deploy.sh", startLine: 3, endLine: 3 }, "export AWS_ACCESS_KEY_ID=REDACTED"],
      ["mysecret", { path: "deploy.sh", startLine: 7, endLine: 7 }, "echo REDACTED"],
    ]);
    expect(raw("repo.secrets.golden.json")).toContain("ghp_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    expect(JSON.stringify(result)).not.toContain("ghp_");
    expect(result.secrets).toEqual([]);
  });

  it("config.helm-testchart: six failures with new-style ids, lines from CauseMetadata, clean targets silent", () => {
    const result = parse("config.helm-testchart.golden.json");
    expect(result.findings.map((finding) => [finding.ruleId, finding.location])).toEqual([
      ["KSV-0001", { path: "templates/deployment.yaml", startLine: 28, endLine: 57 }],
      ["KSV-0030", { path: "templates/deployment.yaml", startLine: 28, endLine: 57 }],
      ["KSV-0104", { path: "templates/deployment.yaml", startLine: 28, endLine: 57 }],
      ["KSV-0110", { path: "templates/deployment.yaml", startLine: 4, endLine: 11 }],
      ["KSV-0117", { path: "templates/deployment.yaml" }],
      ["KSV-0118", { path: "templates/deployment.yaml", startLine: 23, endLine: 57 }],
    ]);
    expect(result.findings[0]?.snippet?.split("\n")[0]).toBe("        - name: testchart");
    expect(JSON.stringify(result.findings)).not.toContain("\u001b[");
  });

  it("repo.gomod: UNKNOWN severity stays unknown; one advisory in three go.mod files gives three findings", () => {
    const result = parse("repo.gomod-unknown-severity.golden.json");
    const advisory = result.findings.filter((finding) => finding.ruleId === "GMS-2022-20");
    expect(advisory.map((finding) => [finding.location?.path, finding.severity])).toEqual([
      ["go.mod", "unknown"],
      ["submod/go.mod", "unknown"],
      ["submod2/go.mod", "unknown"],
    ]);
    expect(new Set(advisory.map((finding) => finding.fingerprint)).size).toBe(3);
    expect(result.findings.find((finding) => finding.ruleId === "CVE-2022-23628")?.severity).toBe("medium");
  });

  it("fs.npm.v0.65.0.sarif: SARIF content behind a .json name in its source is still trivy SARIF", () => {
    const result = parse("fs.npm.v0.65.0.sarif");
    expect(result.findings.map((finding) => [finding.ruleId, finding.kind, finding.severity])).toEqual([
      ["CVE-2025-15284", "vulnerability", "high"],
      ["CVE-2025-12345", "vulnerability", "high"],
    ]);
  });
});
