import { describe, expect, it } from "vitest";
import type { FamilyCode } from "../../src/errors.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { FEEDS, REQUIRED_REPORTS } from "../../src/evaluate/routing.js";
import type { RunInput } from "../../src/evaluate/types.js";
import { GATE_NAMES, type GateName } from "../../src/policy/schema.js";
import type { ReportKind } from "../../src/model/report.js";
import { broken, cleanRuns, input, ok, policy, result } from "./helpers.js";

/**
 * The fail-closed matrix: for every report kind a gate needs, every way its report can be unusable
 * makes each gate it feeds `error`, blocked when the gate is mandatory and not when advisory.
 */

const KINDS = ["validate", "gitleaks", "trivy", "semgrep", "k6"] as const satisfies readonly ReportKind[];

interface Failure {
  name: string;
  /** The runs, given the kind under test (the other kinds stay clean). */
  runs: (kind: ReportKind) => RunInput[];
  /** The gates that must be in error. */
  gates: (kind: ReportKind) => readonly GateName[];
  reason: string;
}

const replaced = (kind: ReportKind, replacement: RunInput[]): RunInput[] => [
  ...cleanRuns().filter((run) => run.run.kind !== kind),
  ...replacement,
];

const unusable = (code: FamilyCode<"report"> | FamilyCode<"tool">, message: string): Failure => ({
  name: `${code}: ${message}`,
  runs: (kind) => replaced(kind, [broken(kind, code, message)]),
  gates: (kind) => FEEDS[kind],
  reason: message,
});

const FAILURES: Failure[] = [
  {
    name: "missing (no report given at all)",
    runs: (kind) => replaced(kind, []),
    gates: (kind) => GATE_NAMES.filter((gate) => REQUIRED_REPORTS[gate].includes(kind)),
    reason: "report was given, and no report is not the same as no findings",
  },
  unusable("REPORT_MISSING", "the report file does not exist"),
  unusable("REPORT_EMPTY", "the report is empty"),
  unusable("REPORT_MALFORMED", "not valid JSON: Unexpected end of JSON input (truncated?)"),
  unusable("REPORT_WRONG_TOOL", "this is not a report of the expected tool"),
  unusable("TOOL_NOT_FOUND", "not found on PATH: install it, or run `dagger call ci`"),
  unusable("STAGE_UNAVAILABLE", "no load target: pass --target"),
  {
    name: "another tool's parsed report given as this kind",
    runs: (kind) =>
      replaced(kind, [
        { run: { kind, file: `reports/${kind}.json` }, result: result(kind === "trivy" ? "semgrep" : "trivy") },
      ]),
    gates: (kind) => FEEDS[kind],
    reason: "report, but it is a",
  },
  {
    name: "crash exit code",
    runs: (kind) => replaced(kind, [ok(kind, [], {}, { exitCode: 2 })]),
    gates: (kind) => FEEDS[kind],
    reason: "exited with code 2, which means it failed",
  },
  {
    name: "the report says the tool failed",
    runs: (kind) => replaced(kind, [ok(kind, [], { toolErrors: [{ level: "error", message: "scan aborted" }] })]),
    gates: (kind) => FEEDS[kind],
    reason: "reported an error: scan aborted",
  },
];

const MATRIX = KINDS.flatMap((kind) =>
  FAILURES.map((failure) => ({ kind, failure, label: `${kind}: ${failure.name}` })),
);

describe("fail closed", () => {
  it.each(MATRIX)("$label -> gate error, blocked when mandatory", ({ kind, failure }) => {
    const gates = failure.gates(kind);
    expect(gates.length).toBeGreaterThan(0);
    const { report } = evaluate(input({ runs: failure.runs(kind) }));
    for (const gate of gates) {
      const verdict = report.verdicts.find((candidate) => candidate.gate === gate);
      expect(verdict, gate).toMatchObject({ status: "error", blocking: true });
      expect(verdict?.reason).toContain(failure.reason);
      expect(verdict?.fix).toBeDefined();
    }
    for (const verdict of report.verdicts.filter((candidate) => !gates.includes(candidate.gate))) {
      expect(verdict.status, verdict.gate).toBe("pass");
    }
    expect(report.passed).toBe(false);
  });

  it.each(MATRIX)("$label -> gate error, not blocked when advisory", ({ kind, failure }) => {
    const gates = failure.gates(kind);
    const advisory = policy({ gates: Object.fromEntries(gates.map((gate) => [gate, { mode: "advisory" }])) });
    const { report } = evaluate(input({ policy: advisory, runs: failure.runs(kind) }));
    for (const gate of gates) {
      expect(report.verdicts.find((candidate) => candidate.gate === gate)).toMatchObject({
        status: "error",
        blocking: false,
      });
    }
    expect(report.passed).toBe(true);
  });

  it("names the unusable report in report.tools with its code and fix", () => {
    const { report } = evaluate(
      input({ runs: replaced("gitleaks", [broken("gitleaks", "REPORT_EMPTY", "the report is empty")]) }),
    );
    expect(report.tools.find((tool) => tool.kind === "gitleaks")).toEqual({
      kind: "gitleaks",
      file: "reports/gitleaks.json",
      tool: "gitleaks",
      error: { code: "REPORT_EMPTY", message: "the report is empty", fix: "fix for REPORT_EMPTY" },
      toolErrors: [],
    });
  });

  it("one unusable report among several of a kind still makes its gates `error`", () => {
    const runs = [
      ...cleanRuns().filter((run) => run.run.kind !== "trivy"),
      ok("trivy", [], {}, { label: "fs" }),
      broken("trivy", "REPORT_MALFORMED", "truncated", { label: "image", file: "reports/trivy.image.json" }),
    ];
    const { report } = evaluate(input({ runs }));
    const verdict = report.verdicts.find((candidate) => candidate.gate === "vulnerabilities");
    expect(verdict?.status).toBe("error");
    expect(verdict?.reason).toBe("could not be evaluated: trivy.image report reports/trivy.image.json: truncated");
    expect(verdict?.evidence.sources).toEqual(["trivy.fs", "trivy.image"]);
  });

  it("a failed trivy.vuln report (vulnerabilities only) leaves the gates of trivy's other scan alone", () => {
    const runs = [
      ...cleanRuns().filter((run) => run.run.kind !== "trivy"),
      ok("trivy", [], {}, { label: "fs" }),
      broken("trivy", "TOOL_FAILED", "trivy exited 1: no vulnerability DB", {
        label: "vuln",
        file: "reports/trivy.vuln.json",
      }),
    ];
    const { report } = evaluate(input({ runs }));
    const status = (gate: GateName) => report.verdicts.find((candidate) => candidate.gate === gate)?.status;
    expect(status("vulnerabilities")).toBe("error");
    expect([status("secrets"), status("sast")]).toEqual(["pass", "pass"]);
    // The same failure under any other label answers for every gate trivy feeds.
    const fs = evaluate(
      input({ runs: [...runs.slice(0, -1), broken("trivy", "TOOL_FAILED", "crash", { label: "image" })] }),
    );
    expect(fs.report.verdicts.find((candidate) => candidate.gate === "secrets")?.status).toBe("error");
  });
});
