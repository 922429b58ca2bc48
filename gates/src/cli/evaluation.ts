import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { CollectedCompliance } from "../compliance/checks.js";
import { DEFAULT_CONTROLS_FILE } from "../compliance/controls.js";
import { UsageError, quote, ConfigError } from "../errors.js";
import { evaluate } from "../evaluate/evaluate.js";
import type { RunInput, ToolVersionInput, WaiverInput } from "../evaluate/types.js";
import { parseBypassFlags, resolveBypasses } from "../policy/bypass.js";
import { resolveEnvironmentRef } from "../policy/environment-ref.js";
import {
  loadBaseline,
  loadBaselineInBackground,
  loadEnvironment,
  loadWaivers,
  type LoadedPolicy,
} from "../policy/load-files.js";
import { findWaiver, type Waiver } from "../policy/waivers.js";
import { GATE_NAMES, type GateName } from "../model/gates.js";
import type { Bypass } from "../model/report.js";
import { renderJsonChunks } from "../report/json.js";
import { withSarifNotices } from "../report/sarif.js";
import { oneLine } from "../findings/one-line.js";
import { renderText } from "../report/text.js";
import { reportParsers } from "../tools/index.js";
import { PORTCULLIS_VERSION } from "../version.js";
import { EXIT, useColor, type CliIo } from "./io.js";
import { makeDirectory } from "./out-path.js";
import { publishToGithub, reportOutputs, writeOutputs } from "./write-outputs.js";
import { treeFiles, unreadSecretsNote, withGitleaksSuppressions, withMaskedSecrets } from "./masked-secrets.js";
import { isPlainRevision } from "../git-revision.js";

/**
 * What `evaluate` and `ci` share: load the policy, waivers, baseline and bypasses first (a
 * configuration problem is exit 2 before any tool runs), then judge the reports, print, write the
 * outputs and decide the exit code.
 */

export const OUTPUT_FORMATS = ["text", "json"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The flags both commands take, as commander hands them over. */
export interface EvaluationFlags {
  env: string;
  baseline?: string | undefined;
  waivers?: string | undefined;
  bypass?: string[] | undefined;
  /** `--gate`: judge only these gates. */
  gate?: string[] | undefined;
  reason?: string | undefined;
  approver?: string | undefined;
  out?: string | undefined;
  format?: string | undefined;
  commit?: string | undefined;
  /**
   * The repository the reports are about (`evaluate --source`; `ci` uses its folder): the compliance
   * controls inspect it, and the secrets gitleaks masked are read back from it.
   */
  source?: string | undefined;
  base?: string | undefined;
  controls?: string | undefined;
  ledger?: string | undefined;
}

/** Where the compliance controls' evidence is gathered from; absolute paths. */
export interface ComplianceSources {
  source: string;
  base: string | undefined;
  controlsFile: string | undefined;
  ledgerFile: string | undefined;
}

export interface PreparedEvaluation {
  loaded: LoadedPolicy;
  environment: string;
  /** `--gate`: the gates judged, when narrowed. */
  onlyGates: readonly GateName[] | undefined;
  waivers: WaiverInput<Waiver>;
  /** Waits for the baseline's fingerprints: a large one is read while the reports are (see baselineOf). */
  baseline: (() => Promise<ReadonlySet<string>>) | undefined;
  bypasses: Bypass[];
  format: OutputFormat;
  /** `--out`, absolute. */
  outDir: string | undefined;
  commit: string | undefined;
  now: Date;
  /** The repository the reports are about, absolute (`--source`, else the root). */
  tree: string;
  /** Undefined when the compliance gate is disabled: no control runs, nothing is collected. */
  compliance: ComplianceSources | undefined;
}

/** Things to show next to the verdicts: files skipped in a reports dir, stage notes. */
export interface EvaluationNotes {
  ignored: { file: string; reason: string }[];
  notes: string[];
  timings: Record<string, number>;
  /** The reports directory, absolute, when there is one: the compliance controls look for the SBOM there. */
  reportsDir?: string | undefined;
  /** Why the SBOM in the reports directory cannot be trusted (`ci`: its stage failed). */
  sbomProblem?: { file: string; problem: string } | undefined;
}

/**
 * Loads everything the evaluation needs. Flag paths resolve against `cwd`; the environments folder
 * and the default waivers file against `root` (the repository: the cwd for `evaluate`, the scanned
 * folder for `ci`).
 */
export function prepareEvaluation(
  flags: EvaluationFlags,
  where: { cwd: string; root: string },
  io: CliIo,
  now: Date,
): PreparedEvaluation {
  const format = OUTPUT_FORMATS.find((candidate) => candidate === (flags.format ?? "text"));
  if (format === undefined) {
    throw new UsageError("USAGE", `--format ${quote(flags.format)}: unknown output format`, {
      fix: "use --format text or --format json",
    });
  }
  // An empty path would name the current folder: `--out ""` wrote every output there.
  for (const [name, value] of [
    ["--out", flags.out],
    ["--waivers", flags.waivers],
    ["--baseline", flags.baseline],
    ["--source", flags.source],
  ] as const) {
    if (value?.trim() === "")
      throw new UsageError("USAGE", `${name} is empty`, { fix: `give ${name} a path, or leave the flag out` });
  }
  const ref = resolveEnvironmentRef(flags.env, where.cwd);
  const named = gateNames(flags.gate);
  const loaded = onlyGates(loadEnvironment(ref.kind === "path" ? ref.file : flags.env, where.root), named);
  const bypasses = resolveBypasses(parseBypassFlags(flags), loaded.policy, now);
  const parsed = loadWaivers({
    now,
    maxDays: loaded.policy.waivers.max_days,
    root: where.root,
    file: flags.waivers === undefined ? undefined : path.resolve(where.cwd, flags.waivers),
  });
  const commit = flags.commit ?? nonEmpty(io.env["GITHUB_SHA"]);
  const outDir = flags.out === undefined ? undefined : path.resolve(where.cwd, flags.out);
  // A --out that cannot be created is refused now, not after the reports were judged.
  if (outDir !== undefined) makeDirectory(outDir, "--out");
  const tree = flags.source === undefined ? where.root : path.resolve(where.cwd, flags.source);
  // The compliance controls and the read-back of masked secrets look there: nothing is no source.
  if (flags.source !== undefined && statSync(tree, { throwIfNoEntry: false })?.isDirectory() !== true) {
    throw new UsageError("USAGE", `--source ${quote(flags.source)} is not a folder`, {
      fix: "give the checkout the reports are about (the repository's root folder)",
    });
  }
  const compliance = loaded.policy.gates.compliance.enabled ? complianceSources(flags, where, tree) : undefined;
  // Last, so that nothing above fails while a thread is already reading it.
  const baseline =
    flags.baseline === undefined ? undefined : baselineOf(path.resolve(where.cwd, flags.baseline), where.root);
  return {
    loaded,
    onlyGates: named,
    // A policy given by path is shown by its `name`, not by where the file happens to be.
    environment: ref.kind === "name" ? ref.name : loaded.policy.name,
    waivers: { waivers: parsed.waivers, problems: parsed.problems, find: findWaiver },
    baseline,
    bypasses,
    format,
    outDir,
    commit,
    now,
    tree,
    compliance,
  };
}

/** What the compliance controls found, when its gate is enabled. */
export type ComplianceEvidence = { collected: CollectedCompliance; controlsFile: string | undefined } | undefined;

/** Judges, prints, writes the outputs; returns the exit code. `pending`: evidence started early. */
export async function finishEvaluation(
  prepared: PreparedEvaluation,
  runs: readonly RunInput[],
  notes: EvaluationNotes,
  io: CliIo,
  pending: Promise<ComplianceEvidence> = collectEvidence(prepared, notes.reportsDir, io, notes.sbomProblem),
): Promise<number> {
  const evidence = await pending;
  const collected = evidence?.collected;
  const files = treeFiles(prepared.tree);
  const masked = await withMaskedSecrets(await withGitleaksSuppressions(runs, files), files);
  const started = performance.now();
  const evaluated = evaluate({
    policy: prepared.loaded.policy,
    policyHash: prepared.loaded.hash,
    policySource: prepared.loaded.source,
    environment: prepared.environment,
    onlyGates: prepared.onlyGates,
    runs: masked.runs,
    waivers: prepared.waivers,
    baseline: await prepared.baseline?.(),
    bypasses: prepared.bypasses,
    commit: prepared.commit,
    now: prepared.now,
    timings: notes.timings,
    exitMeaning: reportParsers.exitMeaning,
    compliance: collected,
    toolVersions: { trivy: readVersionFile(notes.reportsDir, "trivy", io.cwd) },
  });
  const report = withSarifNotices(evaluated.report);
  report.timings["evaluate_ms"] = Math.round(performance.now() - started);
  const extra = extraLines({
    ...notes,
    notes: [
      ...notes.notes,
      ...(evidence === undefined ? [] : [controlsNote(evidence.controlsFile, io.cwd)]),
      ...(masked.unread === 0 ? [] : [unreadSecretsNote(masked.unread, prepared.tree, io.cwd)]),
    ],
  });
  if (prepared.format === "json") {
    for (const chunk of renderJsonChunks(report)) io.stdout(chunk);
    if (extra !== "") io.stderr(extra);
  } else {
    io.stdout(renderText(report, { color: useColor(io) }));
    if (extra !== "") io.stdout(`\n${extra}`);
  }
  const outputs = reportOutputs(report);
  if (prepared.outDir !== undefined) {
    const written = writeOutputs(prepared.outDir, outputs);
    const shown = written.map((file) => path.relative(io.cwd, file) || file);
    if (prepared.format === "json") io.stderr(`Wrote ${shown.join(", ")}\n`);
    else io.stdout(`\nWrote ${shown.join(", ")}\n`);
  }
  publishToGithub(io, outputs, prepared.format === "json" ? "stderr" : "stdout");
  return report.passed ? EXIT.ok : EXIT.blocked;
}

// --- internal ---

/** Below this size a baseline is read at once: reading it takes less than starting a thread. */
const BASELINE_WORKER_BYTES = 16_000_000;

/**
 * The baseline's fingerprints. A large one (a report.json of tens of thousands of findings) is read
 * in a worker thread while the reports are; a small one, or one that cannot be read, at once, so
 * that its problem is an exit 2 before anything else runs.
 */
function baselineOf(file: string, root: string): () => Promise<ReadonlySet<string>> {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    // Missing or unreadable: loadBaseline names the problem.
  }
  if (size >= BASELINE_WORKER_BYTES) return loadBaselineInBackground(file, root);
  const fingerprints = loadBaseline(file, root);
  return () => Promise.resolve(fingerprints);
}

/**
 * `--gate`: the policy with every gate not named disabled, so one gate can be judged on its own
 * (a check per gate) by the same policy and thresholds.
 */
function onlyGates(loaded: LoadedPolicy, named: readonly GateName[] | undefined): LoadedPolicy {
  if (named === undefined) return loaded;
  const gates = loaded.policy.gates;
  const keep = <Gate extends GateName>(gate: Gate) => ({
    ...gates[gate],
    enabled: gates[gate].enabled && named.includes(gate),
  });
  return {
    ...loaded,
    policy: {
      ...loaded.policy,
      gates: {
        framework_integrity: keep("framework_integrity"),
        documentation: keep("documentation"),
        secrets: keep("secrets"),
        vulnerabilities: keep("vulnerabilities"),
        sast: keep("sast"),
        performance: keep("performance"),
        compliance: keep("compliance"),
      },
    },
  };
}

/** The gates `--gate` names (comma-separated, repeatable); undefined when it is not given. */
function gateNames(flags: readonly string[] | undefined): GateName[] | undefined {
  const named = (flags ?? []).flatMap((flag) => flag.split(",")).map((name) => name.trim());
  if (named.length === 0) return undefined;
  const unknown = named.filter((name) => !GATE_NAMES.some((gate) => gate === name));
  if (unknown.length > 0) {
    throw new UsageError("USAGE", `--gate ${quote(unknown.join(","))}: no such gate`, {
      fix: `name one of ${GATE_NAMES.join(", ")}`,
    });
  }
  return GATE_NAMES.filter((gate) => named.includes(gate));
}

/** Checked before anything runs, so that `ci` does not scan for minutes and then stop on a typo. */
function complianceSources(
  flags: EvaluationFlags,
  where: { cwd: string; root: string },
  tree: string,
): ComplianceSources {
  const file = (flag: "--controls" | "--ledger", value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const absolute = path.resolve(where.cwd, value);
    if (!existsSync(absolute)) {
      throw new ConfigError("CONFIG_INVALID", `${flag} ${quote(value)}: file not found`, {
        file: value,
        fix: `check the path given to ${flag}`,
      });
    }
    return absolute;
  };
  if (flags.base !== undefined && !isPlainRevision(flags.base)) {
    throw new UsageError("USAGE", `--base ${quote(flags.base)} is not a plain git revision`, {
      fix: "pass a commit SHA or a branch name (letters, digits, . _ / - ^ ~ @), such as main or origin/main",
    });
  }
  return {
    source: tree,
    base: flags.base,
    controlsFile: file("--controls", flags.controls),
    ledgerFile: file("--ledger", flags.ledger),
  };
}

/**
 * The compliance controls' evidence: repository files, workflows, the change's files, the SBOM
 * among the reports, the deployment ledger. Loaded on use: only an enabled compliance gate needs it.
 */
export async function collectEvidence(
  prepared: PreparedEvaluation,
  reportsDir: string | undefined,
  io: CliIo,
  sbomProblem?: EvaluationNotes["sbomProblem"],
): Promise<ComplianceEvidence> {
  if (prepared.compliance === undefined) return undefined;
  const { collectCompliance } = await import("../compliance/collect.js");
  const { collected, sources } = await collectCompliance({
    source: prepared.compliance.source,
    reportsDir,
    environment: prepared.environment,
    base: prepared.compliance.base,
    env: io.env,
    controlsFile: prepared.compliance.controlsFile,
    ledgerFile: prepared.compliance.ledgerFile,
    deploy: prepared.loaded.policy.deploy,
    sbomProblem,
  });
  return { collected, controlsFile: sources.controlsFile };
}

/** Which control set judged the compliance gate: the repository's file, or the built-in one. */
function controlsNote(controlsFile: string | undefined, cwd: string): string {
  return controlsFile === undefined
    ? `compliance controls: the built-in set of portcullis ${PORTCULLIS_VERSION} (no ${DEFAULT_CONTROLS_FILE} in this repository)`
    : `compliance controls: ${path.relative(cwd, controlsFile) || controlsFile}`;
}

/**
 * `versions/<tool>.txt` of the reports directory: the raw output of the tool's version command,
 * recorded by whoever ran it. Absent: undefined. Unreadable: empty text, which evaluate refuses
 * (fail closed), naming the file.
 */
function readVersionFile(reportsDir: string | undefined, tool: string, cwd: string): ToolVersionInput | undefined {
  if (reportsDir === undefined) return undefined;
  const absolute = path.join(reportsDir, "versions", `${tool}.txt`);
  const file = path.relative(cwd, absolute) || absolute;
  if (!existsSync(absolute)) return undefined;
  try {
    return { file, raw: readFileSync(absolute, "utf8") };
  } catch {
    return { file, raw: "" };
  }
}

function extraLines(notes: EvaluationNotes): string {
  const lines = [
    ...notes.notes.map((note) => `Note: ${oneLine(note)}`),
    ...notes.ignored.map((entry) => `Ignored: ${oneLine(entry.file)} (${entry.reason})`),
  ];
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
