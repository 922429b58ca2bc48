import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { ToolRunError, UsageError, quote, IoError, ReportError, isFsError, messageOf } from "../errors.js";
import type { RunInput } from "../evaluate/types.js";
import { reportParsers } from "../tools/index.js";
import { SEMGREP_DEFAULT_RULES } from "../tools/semgrep.js";
import {
  K6_SUMMARY_DATA_FILE,
  planRun,
  SBOM_FILE,
  STAGE_TOOLS,
  type PlanInput,
  type RunPlan,
  type ToolCommand,
  type ToolStageId,
} from "../runner/plan.js";
import { PlainProgress, TtyProgress, type ProgressSink } from "../runner/progress.js";
import { parseReportFileName, stemOf } from "../runner/reports-dir.js";
import { withoutOwnOutput } from "../runner/own-output.js";
import { runStages, type StageOutcome } from "../runner/run-stages.js";
import { runProcess } from "../runner/spawn.js";
import { describeMismatch, lookupTool, runVersionCommand, type ToolLookup } from "../runner/tool-lookup.js";
import { trivy } from "../tools/trivy.js";
import type { RegisterCommand } from "./commands.js";
import { addEvaluationOptions, collect } from "./evaluate.js";
import { finishEvaluation, prepareEvaluation, type EvaluationFlags, type EvaluationNotes } from "./evaluation.js";
import { EXIT, liveProgress, useColor, type CliIo } from "./io.js";
import { checkTarget, gitHead, nonEmpty } from "./ci-inputs.js";
import { makeDirectory } from "./out-path.js";
import { listReportDir, readReports } from "./read-reports.js";
import { describeScenario, findScenario } from "./scenario.js";
import { OUTPUT_FILES } from "./write-outputs.js";
import { referenceLine } from "./docs-page.js";
import { insideRelative } from "../paths.js";

interface CiFlags extends EvaluationFlags {
  target?: string | undefined;
  scenario: string;
  semgrepConfig?: string[] | undefined;
}

/** Default reports directory, relative to the scanned folder (gitignored in this repository). */
export const DEFAULT_OUT_DIR = "reports";
/** semgrep rules when --semgrep-config is not given (the repository's own rules are added when present). */
export const DEFAULT_SEMGREP_CONFIG = SEMGREP_DEFAULT_RULES.pack;

/** `portcullis ci`: the host runner. Every stage the environment needs, then `evaluate`. */
export const registerCi: RegisterCommand = (program, io, setExit) => {
  const command = program
    .command("ci")
    .description(
      "Run every stage the environment's gates need on this machine, then evaluate. Exit 0 passed, 1 blocked, 2 usage",
    )
    .argument("[dir]", "the folder to check (a repository checkout)", ".")
    .requiredOption("--env <name|path>", "environment name (environments/<name>.yml in dir) or a policy file")
    .option(
      "--target <url>",
      "base URL of the running service the load test hits (without it the performance gate is `error`)",
    )
    .option(
      "--scenario <name|file>",
      "k6 scenario: a name in dir/scenarios/ (smoke, load, stress, soak) or a script path",
      "smoke",
    )
    .option(
      "--semgrep-config <rules>",
      `semgrep rules, repeatable (default: ${DEFAULT_SEMGREP_CONFIG} plus dir/.semgrep.yml or dir/.semgrep/ when present)`,
      collect,
    );
  addEvaluationOptions(command)
    .addHelpText(
      "after",
      [
        "",
        `Reports go to --out (default: dir/${DEFAULT_OUT_DIR}/), named <kind>[.<label>].json with a .exitcode file each,`,
        "then they are judged exactly as `portcullis evaluate --reports <out>` would, and the report files",
        `are written there too (${OUTPUT_FILES.join(", ")}).`,
        "With the compliance gate enabled, trivy also writes sbom.cdx.json there, and versions/<tool>.txt",
        "holds each tool's version output. Each tool is taken from PATH, then from the tools cache",
        "(`portcullis tools install`); one that is missing, or at another major.minor than its pin, makes",
        "its gates `error` (see `portcullis tools`). Other stages still run.",
        "",
        "Examples:",
        "  portcullis ci --env development",
        "  portcullis ci . --env staging --target http://127.0.0.1:8080 --scenario load",
        "",
        referenceLine("cli"),
        "",
      ].join("\n"),
    )
    .action(async (dir: string, flags: CiFlags) => {
      setExit(await runCi(dir, flags, io));
    });
};

// --- internal ---

/** The real path of `file`, or of its nearest existing folder with the rest appended (--out may not exist yet). */
function realPathOf(file: string): string {
  const parent = path.dirname(file);
  if (existsSync(file) || parent === file) return realpathSync(file);
  return path.join(realPathOf(parent), path.basename(file));
}

async function runCi(dir: string, flags: CiFlags, io: CliIo): Promise<number> {
  const root = path.resolve(io.cwd, dir);
  if (!isDirectory(root)) {
    throw new UsageError("USAGE", `${quote(dir)} is not a folder`, {
      fix: "give the folder to check, or run from inside it",
    });
  }
  if (flags.target !== undefined) checkTarget(flags.target);
  for (const config of flags.semgrepConfig ?? []) checkSemgrepConfig(config, root);
  // A mistyped scenario would cost a whole run, then block it as a failed load test.
  const scenario = findScenario(flags.scenario, { root, cwd: io.cwd });
  if ("name" in scenario) {
    throw new UsageError("USAGE", `--scenario ${quote(flags.scenario)}: no such k6 scenario`, {
      fix: `looked for ${scenario.searched.join(", ")}: give a built-in scenario (smoke, load, stress, soak), one in scenarios/, or a script's path`,
    });
  }
  const outDir = path.resolve(io.cwd, flags.out ?? path.join(dir, DEFAULT_OUT_DIR));
  // The reports folder is cleared of contract-named files (k6.json, sbom.cdx.json…) before each run:
  // compared as the file system resolves them, so a link to the checked folder is refused too.
  const realOut = realPathOf(outDir);
  const realRoot = realPathOf(root);
  if (realOut === realRoot || insideRelative(realOut, realRoot) !== undefined) {
    throw new UsageError("USAGE", `--out ${quote(flags.out ?? ".")} holds the folder being checked`, {
      fix: `give the reports a folder of their own (the default is ${DEFAULT_OUT_DIR}/ in the checked folder): ci replaces its report files there`,
    });
  }
  const now = new Date();
  // Outside GitHub Actions the checked folder's own HEAD names the commit judged.
  const commit = flags.commit ?? nonEmpty(io.env["GITHUB_SHA"]) ?? (await gitHead(root, io.env));
  const prepared = prepareEvaluation({ ...flags, out: outDir, commit }, { cwd: io.cwd, root }, io, now);
  // A baseline that cannot be used stops the run before any tool spends minutes on it.
  await prepared.baseline?.();
  const lookups = await lookupTools(flags.target !== undefined, io);
  const cacheDir = trivyCacheDir(io);
  const plan = planRun({
    policy: prepared.loaded.policy,
    dir: root,
    outDir,
    ...usableTools(lookups),
    semgrepConfigs: flags.semgrepConfig ?? defaultSemgrepConfigs(root),
    trivyCacheDir: cacheDir,
    target: flags.target,
    scenario,
  });
  makeDirectory(outDir, "--out");
  const release = lockReports(outDir, io.cwd);
  try {
    clearReports(outDir);

    const progress = progressFor(io, plan);
    io.stderr(
      `portcullis ci: ${prepared.environment}, ${plan.stages.length} stages, reports in ${path.relative(io.cwd, outDir) || "."}\n`,
    );
    io.stderr(`policy: ${prepared.loaded.source}\n`);
    if (plan.stages.some((stage) => stage.id === "k6") && "file" in scenario) {
      io.stderr(`k6 scenario: ${describeScenario(scenario.file, root)}\n`);
    }
    // A cancelled run (Ctrl-C, a CI job cancelled with SIGTERM) stops the tools and judges nothing: a
    // verdict on the stages that happened to finish would pass what was never checked.
    const controller = new AbortController();
    let received: "SIGINT" | "SIGTERM" | undefined;
    const interrupt = (signal: "SIGINT" | "SIGTERM"): void => {
      received ??= signal;
      controller.abort();
    };
    process.once("SIGINT", interrupt);
    process.once("SIGTERM", interrupt);
    let outcomes: StageOutcome[];
    try {
      outcomes = await runStages(plan, {
        spawn: runProcess,
        writeFile: (file, text) => writeReport(file, text),
        validate: (folder) => runValidate(folder, outDir),
        exitMeaning: reportParsers.exitMeaning,
        progress,
        env: io.env,
        dir: root,
        outDir,
        concurrency: Math.min(2, availableParallelism()),
        signal: controller.signal,
      });
    } finally {
      process.removeListener("SIGINT", interrupt);
      process.removeListener("SIGTERM", interrupt);
      progress.close();
    }
    if (received !== undefined) return interrupted(received, outDir, io);

    await recordVersions(plan, lookups, { outDir, cacheDir, env: io.env });

    const shownOut = path.relative(io.cwd, outDir) || ".";
    const listing = listReportDir(shownOut, io.cwd);
    const read = withoutOwnOutput(await readReports(listing.sources, reportParsers), ownFolder(root, outDir));
    const runs = overlay(read.runs, plan, outcomes, shownOut);
    const notes: EvaluationNotes = {
      ignored: listing.ignored.filter(
        (entry) => entry.file !== RUN_LOCK && !OUTPUT_FILES.some((name) => name === entry.file),
      ),
      notes: [
        ...plan.skipped.map((skip) => `stage ${skip.id} not run: ${skip.reason}`),
        ...(listing.problem === undefined ? [] : [listing.problem]),
        ...(read.dropped === 0
          ? []
          : [`${read.dropped} finding(s) in the reports folder ${shownOut} not judged (Portcullis' own output)`]),
      ],
      reportsDir: outDir,
      sbomProblem: sbomProblemOf(outcomes),
      timings: Object.fromEntries(
        outcomes.flatMap((outcome) =>
          outcome.durationMs === undefined ? [] : [[`stage_${outcome.id}_ms`, Math.round(outcome.durationMs)]],
        ),
      ),
    };
    return finishEvaluation(prepared, runs, notes, io);
  } finally {
    release();
  }
}

/**
 * A failed sbom stage (no exit-code file, being no report): a tool killed after writing a complete
 * sbom.cdx.json must not pass the control that wants it.
 */
function sbomProblemOf(outcomes: readonly StageOutcome[]): EvaluationNotes["sbomProblem"] {
  const sbom = outcomes.find((outcome) => outcome.id === "sbom");
  if (sbom === undefined || sbom.status !== "failed") return undefined;
  const why = sbom.problem?.message ?? (sbom.exitCode === undefined ? "it did not finish" : `exit ${sbom.exitCode}`);
  return { file: SBOM_FILE, problem: `the sbom stage failed (${why}): whatever it wrote is not trusted` };
}

/** Ends a cancelled run: no verdict, and no output of an earlier run left looking like this one's. */
function interrupted(signal: "SIGINT" | "SIGTERM", outDir: string, io: CliIo): number {
  for (const name of OUTPUT_FILES) rmSync(path.join(outDir, name), { force: true });
  const shown = path.relative(io.cwd, outDir) || ".";
  io.stderr(
    `portcullis ci: interrupted (${signal}): the tools were stopped and nothing was judged; the reports in ${shown} are partial\n`,
  );
  return signal === "SIGINT" ? EXIT.interrupted : EXIT.terminated;
}

/**
 * The reports as `evaluate --reports` reads them, plus what only the runner knows: why a stage did
 * not run or finish (its fix replaces the bare "report missing"), and how long each tool ran.
 */
function overlay(runs: RunInput[], plan: RunPlan, outcomes: readonly StageOutcome[], shownOut: string): RunInput[] {
  const result = [...runs];
  for (const outcome of outcomes) {
    const stage = plan.stages.find((candidate) => candidate.id === outcome.id);
    // The SBOM is no report: the compliance control that wants it says when it is missing.
    const stem = stage?.stem;
    if (stage === undefined || stem === undefined) continue;
    const index = result.findIndex((input) => stemOf(input.run) === stemOf(stem));
    const existing = result[index];
    const run = {
      kind: stem.kind,
      label: stem.label,
      file: existing?.run.file ?? path.join(shownOut, stage.reportFile),
      exitCode: outcome.exitCode,
      durationMs: outcome.durationMs,
    };
    let replacement: RunInput;
    if (outcome.problem !== undefined) {
      const { code, message, fix } = outcome.problem;
      replacement = { run, error: new ToolRunError(code, message, { fix, tool: stage.id }) };
    } else if (existing !== undefined) {
      replacement = { ...existing, run: { ...existing.run, durationMs: outcome.durationMs } };
    } else {
      replacement = { run, error: missingReport(stage.id) };
    }
    if (index >= 0) result[index] = replacement;
    else result.push(replacement);
  }
  return result;
}

/**
 * The validate stage, in-process, never judging the reports folder (a rerun would judge the last
 * run's summary.md). Loaded on use: markdownlint is heavy, and every other command would pay for it.
 */
async function runValidate(folder: string, outDir: string): Promise<string> {
  const { toFindingsDocument, validateRepository } = await import("../validate/index.js");
  const out = ownFolder(folder, outDir);
  const skipFolders = out === "" ? [] : [out];
  return `${JSON.stringify(toFindingsDocument(await validateRepository(folder, { skipFolders })), null, 2)}\n`;
}

/** The reports folder relative to the scanned tree, with forward slashes; "" when it is not inside it. */
function ownFolder(root: string, outDir: string): string {
  return insideRelative(root, outDir) ?? "";
}

function missingReport(id: string): ToolRunError {
  return new ReportError("REPORT_MISSING", `${id} ran but its report is not in the reports directory`, {
    tool: id,
    fix: "run again; if it persists, check that nothing else writes to the reports directory at the same time",
  });
}

/** The tools the stages use (k6 only with a load target), each looked up and version-checked once. */
async function lookupTools(withLoad: boolean, io: CliIo): Promise<ToolLookup[]> {
  const tools = [...new Set(Object.values(STAGE_TOOLS))].filter((tool) => withLoad || tool !== "k6");
  return Promise.all(tools.map((tool) => lookupTool(tool, io.env)));
}

function usableTools(lookups: readonly ToolLookup[]): Pick<PlanInput, "executables" | "wrongVersions"> {
  const executables: Partial<Record<ToolCommand, string>> = {};
  const wrongVersions: Partial<Record<ToolCommand, { message: string; fix: string }>> = {};
  for (const lookup of lookups) {
    if (lookup.status === "ok" && lookup.chosen !== undefined) executables[lookup.tool] = lookup.chosen.file;
    if (lookup.status === "wrong-version")
      wrongVersions[lookup.tool] = { message: describeMismatch(lookup), fix: lookup.fix ?? "" };
  }
  return { executables, wrongVersions };
}

/**
 * `versions/<tool>.txt`: the raw stdout of each tool's version command, as the Dagger module records
 * it. trivy's is taken after the scan, with the scan's cache, so it describes the DB the scan used.
 */
async function recordVersions(
  plan: RunPlan,
  lookups: readonly ToolLookup[],
  where: { outDir: string; cacheDir: string; env: CliIo["env"] },
): Promise<void> {
  const ran = new Set(
    plan.stages.flatMap((stage) => (stage.action === "spawn" ? [STAGE_TOOLS[stage.id as ToolStageId]] : [])),
  );
  const dir = path.join(where.outDir, VERSIONS_DIR);
  for (const lookup of lookups) {
    const chosen = lookup.chosen;
    if (chosen === undefined || lookup.status !== "ok" || !ran.has(lookup.tool)) continue;
    const output =
      lookup.tool === "trivy"
        ? await runVersionCommand(chosen.file, trivy.argv.version(where.cacheDir), where.env)
        : chosen.versionOutput;
    mkdirSync(dir, { recursive: true });
    writeReport(path.join(dir, `${lookup.tool}.txt`), output);
  }
}

/** As the Dagger module: the registry's default pack, plus the repository's own rules when present. */
/**
 * A `--semgrep-config` that is no registry name (`p/ci`, `r/…`, `auto`) nor URL is a rules file
 * or folder, which semgrep reads from the checked folder: one that is not there is said now, not
 * after the other stages ran, and not as a failed stage that does not name it.
 */
function checkSemgrepConfig(config: string, root: string): void {
  if (/^(?:[prs]\/|auto$|https?:\/\/)/.test(config)) return;
  if (existsSync(path.resolve(root, config))) return;
  throw new UsageError("USAGE", `--semgrep-config ${quote(config)}: no such rules file or folder`, {
    fix: "give a path to a rules file or folder (relative to the checked folder), or a registry name such as p/ci",
  });
}

function defaultSemgrepConfigs(root: string): string[] {
  const own = SEMGREP_DEFAULT_RULES.ownRules
    .map((rules) => rules.path)
    .filter((local) => existsSync(path.join(root, local)));
  return [DEFAULT_SEMGREP_CONFIG, ...own.map((local) => `./${local}`)];
}

/** trivy's own default cache, so a DB already downloaded by hand is reused. */
/** trivy's cache: $TRIVY_CACHE_DIR, else the XDG cache folder; shared by every command that runs trivy. */
export function trivyCacheDir(io: CliIo): string {
  const configured = io.env["TRIVY_CACHE_DIR"];
  if (configured !== undefined && configured !== "") return path.resolve(io.cwd, configured);
  const base = io.env["XDG_CACHE_HOME"] ?? path.join(io.env["HOME"] ?? io.cwd, ".cache");
  return path.resolve(io.cwd, base, "trivy");
}

/** Beside the reports: `<tool>.txt`, each tool's version output (the shared contract with the Dagger module). */
export const VERSIONS_DIR = "versions";

/** Files beside the reports that a stage writes and the controls read: a stale SBOM must not pass sbom-present. */
const EVIDENCE_FILES: readonly string[] = [SBOM_FILE, K6_SUMMARY_DATA_FILE];

/**
 * Removes the previous run's reports (contract names) and evidence, so a stage that does not run now
 * cannot leave a stale one. Anything else in the folder stays.
 */
/** Held in the reports folder while a run writes and judges it. */
const RUN_LOCK = ".portcullis-ci.lock";

/**
 * Takes the reports folder for this run: two runs with one `--out` would clear and judge each
 * other's reports (a dirty tree passed on a clean one's). A lock whose process is gone is taken over.
 * Returns its release.
 */
function lockReports(outDir: string, cwd: string): () => void {
  const file = path.join(outDir, RUN_LOCK);
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if (!isFsError(error) || error.code !== "EEXIST") {
        throw new IoError(`cannot lock the reports directory: ${messageOf(error)}`, {
          file: outDir,
          fix: "check that --out names a writable folder",
          cause: error,
        });
      }
    }
    const holder = Number.parseInt(readFileSync(file, "utf8"), 10);
    if (holder > 0 && holder !== process.pid && isRunning(holder)) {
      throw new UsageError(
        "USAGE",
        `another portcullis ci (pid ${holder}) is writing to ${path.relative(cwd, outDir) || "."}`,
        {
          fix: "wait for it to finish, or give this run another --out",
        },
      );
    }
    rmSync(file, { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return isFsError(error) && error.code === "EPERM";
  }
}

function clearReports(outDir: string): void {
  try {
    rmSync(path.join(outDir, VERSIONS_DIR), { recursive: true, force: true });
    for (const name of readdirSync(outDir)) {
      if (parseReportFileName(name) !== undefined || EVIDENCE_FILES.includes(name)) unlinkSync(path.join(outDir, name));
    }
  } catch (error) {
    throw new IoError(`cannot prepare the reports directory: ${messageOf(error)}`, {
      file: outDir,
      fix: "check that --out names a writable folder",
      cause: error,
    });
  }
}

function writeReport(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw new IoError(`cannot write: ${messageOf(error)}`, {
      file,
      fix: "check that the reports directory is writable",
      cause: error,
    });
  }
}

/** Live lines on a terminal; plain timestamped lines in CI logs and pipes. Both on stderr. */
function progressFor(io: CliIo, plan: RunPlan): ProgressSink {
  const write = (text: string): void => io.stderr(text);
  if (liveProgress(io) && io.env["CI"] !== "true") {
    return new TtyProgress(
      plan.stages.map((stage) => stage.id),
      write,
      { color: useColor(io) },
    );
  }
  return new PlainProgress(write);
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
