import { describe, expect, it } from "vitest";
import { FEEDS, feedsOf, REQUIRED_REPORTS } from "../../src/evaluate/routing.js";
import { isPortcullisError } from "../../src/errors.js";
import { REPORT_FORMATS, type ReportFormat } from "../../src/findings/finding.js";
import { GATE_NAMES } from "../../src/model/gates.js";
import { REPORT_KINDS, type ReportKind } from "../../src/model/report.js";
import { buildRegistry, KIND_FORMATS, REPORT_KIND_SPECS, TOOLS } from "../../src/tools/index.js";
import type { RegistryVocabulary } from "../../src/tools/registry.js";
import type { ToolAdapter } from "../../src/tools/types.js";
import { VALIDATE_TOOL } from "../../src/validate/rule-ids.js";
import { failure } from "./failure.js";

const ADAPTERS: readonly ToolAdapter[] = Object.values(TOOLS);
const VOCABULARY: RegistryVocabulary = { kinds: REPORT_KINDS, formats: REPORT_FORMATS };

/** Every kind as its adapter declares it, read straight from the adapters. */
const DECLARED = ADAPTERS.flatMap((adapter) =>
  Object.entries(adapter.kinds).map(([kind, declared]) => ({
    kind: kind as ReportKind,
    adapter,
    declared,
  })),
);

/** A tool Portcullis has no adapter for, added the way docs/adapters.md says: one adapter, one list entry. */
const OSV_KIND = "osv" as ReportKind;
const OSV_JSON = "osv-scanner-json" as ReportFormat;
const osvScanner: ToolAdapter = {
  name: "osv-scanner",
  image: { ref: "ghcr.io/google/osv-scanner:v2.0.0", version: "2.0.0" },
  formats: [OSV_JSON],
  formatLabels: { [OSV_JSON]: "an osv-scanner JSON report" },
  kinds: { [OSV_KIND]: { label: "an osv-scanner report", feeds: ["vulnerabilities"], requiredBy: [] } },
  detect: (document) =>
    typeof document === "object" && document !== null && "experimental_config" in document ? OSV_JSON : undefined,
  parse: () => ({ tool: "osv-scanner", format: OSV_JSON, findings: [], toolErrors: [], secrets: [] }),
  parseDocument: () => ({ tool: "osv-scanner", format: OSV_JSON, findings: [], toolErrors: [], secrets: [] }),
  exitMeaning: (code) => (code === 0 ? "clean" : code === 1 ? "findings" : "error"),
  findingsExitHasFindings: true,
};
const OSV_REPORT = JSON.stringify({ results: [], experimental_config: { licenses: { summary: false } } });
const WITH_OSV: RegistryVocabulary = { kinds: [...REPORT_KINDS, OSV_KIND], formats: [...REPORT_FORMATS, OSV_JSON] };

describe("buildRegistry", () => {
  it("derives every kind table from what the adapters declare, and nothing else", () => {
    expect(DECLARED.map(({ kind }) => kind).sort()).toEqual([...REPORT_KINDS].sort());
    // Written out by hand, not by the registry's own formula: trivy's kind uses every field.
    expect(REPORT_KIND_SPECS.trivy).toEqual({
      adapter: "trivy",
      label: "a trivy report (JSON or SARIF)",
      formats: ["trivy-json", "trivy-sarif"],
      feeds: ["secrets", "vulnerabilities", "sast", "compliance"],
      requiredBy: ["vulnerabilities", "compliance"],
      feedsByLabel: { vuln: ["vulnerabilities"], nodb: ["secrets", "sast", "compliance"] },
      tool: "trivy",
      findingsExitHasFindings: false,
      readsLog: true,
    });
    for (const { kind, adapter, declared } of DECLARED) {
      expect(REPORT_KIND_SPECS[kind]).toMatchObject({ adapter: adapter.name, label: declared.label });
      expect(KIND_FORMATS[kind]).toEqual(adapter.formats);
      expect(FEEDS[kind]).toEqual(declared.feeds);
    }
    for (const gate of GATE_NAMES) {
      const requiring = DECLARED.filter(({ declared }) => declared.requiredBy.includes(gate)).map(({ kind }) => kind);
      expect([...REQUIRED_REPORTS[gate]].sort()).toEqual(requiring.sort());
    }
  });

  it("has every format labelled by exactly one adapter, which parses it", () => {
    const labelled = ADAPTERS.flatMap((adapter) => Object.keys(adapter.formatLabels));
    expect([...labelled].sort()).toEqual([...REPORT_FORMATS].sort());
    for (const adapter of ADAPTERS) {
      for (const format of Object.keys(adapter.formatLabels)) expect(adapter.formats).toContain(format);
    }
  });

  it("routes a labelled report by its adapter's label declarations, its kind's feeds otherwise", () => {
    expect(feedsOf("trivy", "vuln")).toEqual(["vulnerabilities"]);
    for (const label of [undefined, "fs", "image", "constructor", "__proto__"]) {
      expect(feedsOf("trivy", label)).toEqual(TOOLS.trivy.kinds.trivy.feeds);
    }
    expect(feedsOf("gitleaks", "vuln")).toEqual(["secrets"]);
  });

  it("files an unreadable validate report under the validate command's tool name", () => {
    expect(REPORT_KIND_SPECS.validate.tool).toBe(VALIDATE_TOOL);
  });

  it("takes a new tool from its adapter alone: kinds, formats, detection, wrong-kind errors, exit codes", () => {
    const registry = buildRegistry([...ADAPTERS, osvScanner], WITH_OSV);
    expect(registry.kinds[OSV_KIND]).toEqual({
      adapter: "osv-scanner",
      label: "an osv-scanner report",
      formats: [OSV_JSON],
      feeds: ["vulnerabilities"],
      requiredBy: [],
      feedsByLabel: {},
      tool: "osv-scanner",
      findingsExitHasFindings: true,
      readsLog: false,
    });
    expect(registry.formats[OSV_JSON]).toEqual({
      adapter: "osv-scanner",
      kind: OSV_KIND,
      label: "an osv-scanner JSON report",
    });
    for (const kind of REPORT_KINDS) expect(registry.kinds[kind]).toEqual(REPORT_KIND_SPECS[kind]);

    expect(registry.detectReport(OSV_REPORT)).toEqual({ tool: "osv-scanner", format: OSV_JSON });
    expect(registry.parseReport(OSV_KIND, OSV_REPORT).format).toBe(OSV_JSON);
    expect(failure(() => registry.parseReport("gitleaks", OSV_REPORT, { file: "in.json" }))).toBe(
      "[REPORT_WRONG_TOOL] in.json: --report gitleaks: this is an osv-scanner JSON report, not a gitleaks report (JSON or SARIF) — fix: pass it as --report osv=in.json",
    );
    expect(failure(() => registry.parseReport(OSV_KIND, "[]", { file: "in.json" }))).toBe(
      "[REPORT_WRONG_TOOL] in.json: --report osv: this is a gitleaks JSON report, not an osv-scanner report — fix: pass it as --report gitleaks=in.json",
    );
    expect(failure(() => registry.detectReport("{}"))).toMatch(
      / a Portcullis findings document or an osv-scanner report$/,
    );
    expect([0, 1, 2].map((code) => registry.exitMeaning(OSV_KIND, code))).toEqual(["clean", "findings", "error"]);
  });

  it("asks the adapters to explain text that is not JSON", () => {
    const registry = buildRegistry(ADAPTERS, VOCABULARY);
    const sampleStream = [
      '{"type":"Metric","data":{"name":"http_reqs","type":"counter"},"metric":"http_reqs"}',
      '{"type":"Point","data":{"time":"2026-05-04T10:00:00Z","value":1},"metric":"http_reqs"}',
    ].join("\n");
    expect(failure(() => registry.detectReport(sampleStream))).toMatch(
      /^\[REPORT_WRONG_TOOL\] this is a k6 --out json/,
    );
    expect(failure(() => registry.detectReport("<html>"))).toMatch(/^\[REPORT_MALFORMED\] /);
  });

  const misdeclared: [string, readonly ToolAdapter[], RegistryVocabulary, RegExp][] = [
    ["two adapters of one name", [...ADAPTERS, { ...osvScanner, name: "k6" }], WITH_OSV, /two adapters are named "k6"/],
    [
      "a kind declared twice",
      [...ADAPTERS, { ...osvScanner, kinds: { ...osvScanner.kinds, ...TOOLS.k6.kinds } }],
      WITH_OSV,
      /report kind "k6" is declared by both k6 and osv-scanner/,
    ],
    [
      "a format labelled twice",
      [
        ...ADAPTERS,
        { ...osvScanner, formats: [OSV_JSON, "sarif"], formatLabels: { ...osvScanner.formatLabels, sarif: "SARIF" } },
      ],
      WITH_OSV,
      /format "sarif" is labelled by both sarif and osv-scanner/,
    ],
    [
      "a format labelled but not parsed",
      [...ADAPTERS, { ...osvScanner, formats: [] }],
      WITH_OSV,
      /osv-scanner labels format "osv-scanner-json", which it does not parse/,
    ],
    ["a kind outside report.json's vocabulary", [...ADAPTERS, osvScanner], VOCABULARY, /report kind "osv" is not in/],
    [
      "a format outside the vocabulary",
      [...ADAPTERS, osvScanner],
      { ...WITH_OSV, formats: REPORT_FORMATS },
      /osv-scanner parses unknown format "osv-scanner-json"/,
    ],
    [
      "a kind no adapter declares",
      ADAPTERS.filter((adapter) => adapter.name !== "k6"),
      VOCABULARY,
      /report kind "k6" is declared by no adapter/,
    ],
  ];
  it.each(misdeclared)("refuses %s (an internal error, exit 70)", (_, adapters, vocabulary, message) => {
    let thrown: unknown;
    try {
      buildRegistry(adapters, vocabulary);
    } catch (error) {
      thrown = error;
    }
    expect(isPortcullisError(thrown) && thrown.code).toBe("INTERNAL");
    expect(String((thrown as Error).message)).toMatch(message);
  });
});
