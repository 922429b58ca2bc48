import path from "node:path";
import { feedsOf, REQUIRED_REPORTS } from "../evaluate/routing.js";
import { GATE_NAMES, type EnvironmentPolicy, type GateName } from "../policy/schema.js";
import type { ReportKind } from "../model/report.js";
import { gitleaks } from "../tools/gitleaks.js";
import { k6 } from "../tools/k6.js";
import { semgrep } from "../tools/semgrep.js";
import { trivy, TRIVY_NO_DB_LABEL, TRIVY_VULN_LABEL } from "../tools/trivy.js";
import { REPORT_KIND_SPECS } from "../tools/index.js";
import { exitCodeFileName, logFileName, reportFileName, type ReportStem } from "./reports-dir.js";

/**
 * The host runner's plan: which stages the environment's enabled gates need, and for each one what
 * to run, with the argv the tool adapters build (the Dagger module builds its containers from the
 * same builders). Pure: PATH lookups, files and processes are done by the caller from this plan.
 * (`node:path` only joins strings here.)
 */

/** The stages, in the order they are shown. */
export const STAGE_IDS = ["validate", "gitleaks", "trivy", "trivy-vuln", "semgrep", "sbom", "k6"] as const;
export type StageId = (typeof STAGE_IDS)[number];

/** The stages that run an external tool, and the executable each one looks for on PATH. */
export const STAGE_TOOLS = {
  gitleaks: "gitleaks",
  trivy: "trivy",
  "trivy-vuln": "trivy",
  semgrep: "semgrep",
  sbom: "trivy",
  k6: "k6",
} as const;
export type ToolStageId = keyof typeof STAGE_TOOLS;
/** The executables the host runner looks for. */
export type ToolCommand = (typeof STAGE_TOOLS)[ToolStageId];

/** The stages whose output is a report the gates read. */
export type ReportStageId = Exclude<StageId, "sbom">;

/** Where each stage's report goes in the reports directory (see reports-dir.ts). */
export const STAGE_REPORTS: Readonly<Record<ReportStageId, ReportStem>> = {
  validate: { kind: "validate" },
  gitleaks: { kind: "gitleaks" },
  trivy: { kind: "trivy", label: TRIVY_NO_DB_LABEL },
  // Vulnerabilities apart: offline there is no DB and this scan fails, without taking the secret,
  // misconfiguration and licence scan (and the gates it feeds) down with it.
  "trivy-vuln": { kind: "trivy", label: TRIVY_VULN_LABEL },
  semgrep: { kind: "semgrep" },
  k6: { kind: "k6" },
};

/** How long a tool may run before it is stopped (and its gates become `error`). */
export const STAGE_TIMEOUT_MS: Readonly<Record<ToolStageId, number>> = {
  gitleaks: 15 * 60_000,
  // The first run downloads trivy's vulnerability DB.
  trivy: 30 * 60_000,
  "trivy-vuln": 30 * 60_000,
  semgrep: 30 * 60_000,
  sbom: 15 * 60_000,
  // The soak scenario's default hour, k6's 30 s graceful stop and its summary fit with room to spare.
  k6: 90 * 60_000,
};

/**
 * The CycloneDX SBOM the sbom stage writes beside the reports (the Dagger module's name too). Not a
 * report kind: evidence for the compliance controls, never judged as findings.
 */
export const SBOM_FILE = "sbom.cdx.json";

/** What trivy scans without its vulnerability DB (the `trivy` stage; `trivy-vuln` does the rest). */
const SCAN_WITHOUT_DB = ["secret", "misconfig", "license"] as const;

/** Stages that must not share the machine: a load test measures latency, and scanners skew it. */
const EXCLUSIVE: ReadonlySet<StageId> = new Set(["k6"]);

/** Where to run the fix from: the Dagger module brings every tool in its pinned image. */
export const DAGGER_HINT = "run `dagger call ci`, which brings every tool in its pinned image";

export interface PlanInput {
  policy: EnvironmentPolicy;
  /** The folder to scan, absolute. Tools run with it as their working directory. */
  dir: string;
  /** The reports directory, absolute. */
  outDir: string;
  /** Executables found (PATH, then the tools cache) at a usable version; a stage whose tool is absent cannot run. */
  executables: Readonly<Partial<Record<ToolCommand, string>>>;
  /**
   * Tools found only at another major.minor than the adapter's pin: never run (a gitleaks 7 report is
   * not gitleaks 8's), their gates are `error` with this message naming both versions.
   */
  wrongVersions?: Readonly<Partial<Record<ToolCommand, { message: string; fix: string }>>>;
  /** Rules for semgrep (files, folders or registry packs). */
  semgrepConfigs: readonly string[];
  /** trivy's cache folder (vulnerability DB), kept between runs. */
  trivyCacheDir: string;
  /** `--target`: the base URL the load test hits. */
  target?: string | undefined;
  /** The k6 scenario: the resolved file, or the name that was not found and where it was looked for. */
  scenario: { file: string } | { name: string; searched: readonly string[] };
}

interface StageBase {
  id: StageId;
  /** The report kind whose adapter reads the tool's exit code (`trivy` for the SBOM). */
  kind: ReportKind;
  /** The stage's report in the reports directory; undefined for the SBOM, which is evidence only. */
  stem: ReportStem | undefined;
  /** The enabled gates that read this stage's output. */
  gates: GateName[];
  /** Whether one of them requires it (a missing tool makes that gate `error`). */
  required: boolean;
  /** File names in the reports directory. */
  reportFile: string;
  /** Undefined for the SBOM: an exit-code file would name no report. */
  exitCodeFile: string | undefined;
  /** Where the tool's stderr is kept, when its adapter reads it (see ToolAdapter.logProblems). */
  logFile: string | undefined;
}

export interface SpawnStage extends StageBase {
  action: "spawn";
  executable: string;
  args: string[];
  /** Extra environment variables for the tool. */
  env: Record<string, string>;
  /** Whether the tool may see one of the caller's environment variables (its adapter decides). */
  inheritsEnvironment: (name: string) => boolean;
  cwd: string;
  timeoutMs: number;
  /** Runs alone, after every other stage. */
  exclusive: boolean;
  /** What a failed run most likely means, when the argv tells (semgrep fetching registry rules). */
  failureHint?: { message: string; fix: string } | undefined;
}

export interface InProcessStage extends StageBase {
  action: "in-process";
}

export interface UnavailableStage extends StageBase {
  action: "unavailable";
  code: "TOOL_NOT_FOUND" | "TOOL_WRONG_VERSION" | "STAGE_UNAVAILABLE";
  message: string;
  fix: string;
  /** Written as the stage's exit code so that `evaluate --reports` sees the same failure (127: not found). */
  exitCode?: number | undefined;
}

export type PlannedStage = SpawnStage | InProcessStage | UnavailableStage;

export interface RunPlan {
  stages: PlannedStage[];
  /** Stages no enabled gate reads, and missing tools no enabled gate requires. */
  skipped: { id: StageId; reason: string }[];
}

/** Where the scenarios' handleSummary writes k6's summary data: evidence beside the reports, not a contract name. */
export const K6_SUMMARY_DATA_FILE = "k6-summary.json";

/** Exit code a shell gives for "command not found"; written for a tool that is not installed. */
export const NOT_FOUND_EXIT = 127;

/** Plans the run: one entry per stage an enabled gate needs, in STAGE_IDS order. */
export function planRun(input: PlanInput): RunPlan {
  const plan: RunPlan = { stages: [], skipped: [] };
  for (const id of STAGE_IDS) {
    const base = stageBase(id, input.policy);
    if (base.gates.length === 0) {
      plan.skipped.push({ id, reason: `no enabled gate reads it in ${input.policy.name}` });
      continue;
    }
    const stage = planStage(base, input);
    if (stage.action === "unavailable" && !base.required) {
      // No enabled gate requires this tool: its findings would only have added to theirs.
      plan.skipped.push({
        id,
        reason: `${stage.message}: its findings for ${base.gates.join(", ")} are not judged (${stage.fix})`,
      });
      continue;
    }
    plan.stages.push(stage);
  }
  return plan;
}

// --- internal ---

function stageBase(id: StageId, policy: EnvironmentPolicy): StageBase {
  if (id === "sbom") {
    // The compliance controls want an SBOM of the change (control sbom-present).
    const gates = GATE_NAMES.filter((gate) => gate === "compliance" && policy.gates[gate].enabled);
    return {
      id,
      kind: "trivy",
      stem: undefined,
      gates,
      required: true,
      reportFile: SBOM_FILE,
      exitCodeFile: undefined,
      logFile: undefined,
    };
  }
  const stem = STAGE_REPORTS[id];
  // A stage runs when an enabled gate reads its report (trivy's scan without the DB feeds secrets,
  // sast and compliance, beside the vulnerability scan): what a gate judges must not depend on which
  // other gates are switched on. A tool no enabled gate requires is left out, with a note, when it
  // is missing; one a gate requires makes that gate `error`.
  const required = GATE_NAMES.some((gate) => policy.gates[gate].enabled && REQUIRED_REPORTS[gate].includes(stem.kind));
  const gates = GATE_NAMES.filter(
    (gate) => policy.gates[gate].enabled && feedsOf(stem.kind, stem.label).includes(gate),
  );
  return {
    id,
    kind: stem.kind,
    stem,
    gates,
    required,
    reportFile: reportFileName(stem),
    exitCodeFile: exitCodeFileName(stem),
    logFile: REPORT_KIND_SPECS[stem.kind].readsLog ? logFileName(stem) : undefined,
  };
}

function planStage(base: StageBase, input: PlanInput): PlannedStage {
  if (base.id === "validate") return { ...base, action: "in-process" };
  const tool = STAGE_TOOLS[base.id];
  const executable = input.executables[tool];
  if (base.id === "k6" && (input.target === undefined || "name" in input.scenario)) {
    return { ...base, action: "unavailable", code: "STAGE_UNAVAILABLE", ...loadProblem(input) };
  }
  const wrongVersion = input.wrongVersions?.[tool];
  if (wrongVersion !== undefined)
    return { ...base, action: "unavailable", code: "TOOL_WRONG_VERSION", ...wrongVersion };
  if (executable === undefined) {
    return {
      ...base,
      action: "unavailable",
      code: "TOOL_NOT_FOUND",
      message: `${tool} not found on PATH or in the tools cache`,
      fix: `run \`npx portcullis tools install${tool === "k6" ? " k6" : ""}\`, or ${DAGGER_HINT}`,
      // The SBOM has no exit-code file; the compliance control reports the missing SBOM.
      exitCode: base.exitCodeFile === undefined ? undefined : NOT_FOUND_EXIT,
    };
  }
  const report = path.join(input.outDir, base.reportFile);
  return {
    ...base,
    action: "spawn",
    executable,
    cwd: input.dir,
    timeoutMs: STAGE_TIMEOUT_MS[base.id],
    exclusive: EXCLUSIVE.has(base.id),
    ...commandFor(base.id, report, input),
  };
}

function loadProblem(input: PlanInput): { message: string; fix: string } {
  if (input.target === undefined) {
    return {
      message: "no load target: the load test needs a running service",
      fix: "pass --target <base URL> (for example --target http://127.0.0.1:8080), or disable the performance gate for this environment",
    };
  }
  const searched = "name" in input.scenario ? input.scenario.searched.join(", ") : "";
  return {
    message: `k6 scenario not found (looked for ${searched})`,
    fix: "pass --scenario with the name of a file in scenarios/ (smoke, load, stress, soak) or the path of a k6 script",
  };
}

function commandFor(
  id: Exclude<StageId, "validate">,
  report: string,
  input: PlanInput,
): Pick<SpawnStage, "args" | "env" | "inheritsEnvironment" | "failureHint"> {
  const everything = (): boolean => true;
  switch (id) {
    case "gitleaks":
      return {
        args: gitleaks.argv.dir({ source: ".", reportPath: report }),
        env: {},
        inheritsEnvironment: gitleaks.inheritsEnvironment,
      };
    case "trivy":
      return {
        args: trivy.argv.fs({ dir: ".", output: report, cacheDir: input.trivyCacheDir, scanners: SCAN_WITHOUT_DB }),
        env: {},
        inheritsEnvironment: trivy.inheritsEnvironment,
      };
    case "trivy-vuln":
      return {
        args: trivy.argv.fs({ dir: ".", output: report, cacheDir: input.trivyCacheDir, scanners: ["vuln"] }),
        env: {},
        inheritsEnvironment: trivy.inheritsEnvironment,
      };
    case "semgrep":
      return {
        args: semgrep.argv.scan({ configs: input.semgrepConfigs, jsonOutput: report }),
        env: {},
        inheritsEnvironment: semgrep.inheritsEnvironment,
        failureHint: registryHint(input.semgrepConfigs),
      };
    case "sbom":
      return {
        args: trivy.argv.sbom({ dir: ".", output: report, cacheDir: input.trivyCacheDir }),
        env: {},
        inheritsEnvironment: trivy.inheritsEnvironment,
      };
    case "k6":
      return { ...k6Command(report, input), inheritsEnvironment: everything };
  }
}

/**
 * semgrep downloads registry rulesets (`p/default`, `r/…`, URLs) when it starts; offline that fails
 * and the sast gate is `error`. The run says which rulesets it needed: a local ruleset is the user's
 * explicit choice (`--semgrep-config ./.semgrep`), never a silent fallback.
 */
function registryHint(configs: readonly string[]): SpawnStage["failureHint"] {
  const registry = configs.filter((config) => /^(?:[prs]\/|https?:\/\/)/.test(config));
  if (registry.length === 0) return undefined;
  return {
    message: `semgrep failed; it fetches ${registry.join(", ")} from the semgrep registry, which needs the network`,
    fix: "check semgrep's output above; offline, give local rules explicitly with --semgrep-config <file or folder>",
  };
}

/**
 * `k6 run` with BASE_URL from --target, the scenario's handleSummary data beside the reports, and
 * the environment's performance policy as the scenario's SLA (scenarios/lib/sla.js), so k6's own
 * thresholds and the gate judge by the same numbers.
 */
function k6Command(report: string, input: PlanInput): { args: string[]; env: Record<string, string> } {
  const script = "file" in input.scenario ? input.scenario.file : "";
  return {
    args: k6.argv.run({ script, summaryExport: report }),
    env: k6.env({
      baseUrl: input.target ?? "",
      summaryPath: path.join(input.outDir, K6_SUMMARY_DATA_FILE),
      sla: input.policy.gates.performance,
    }),
  };
}
