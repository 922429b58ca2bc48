import type { ToolResult } from "../findings/finding.js";
import type { GateName } from "../policy/schema.js";
import type { ReportKind, ToolRun } from "../model/report.js";
import type { ExitMeaning } from "../tools/types.js";
import { kindOfFormat, REPORT_KIND_SPECS } from "../tools/index.js";
import { feedsOf, formatFitsKind, gateOfFinding } from "./routing.js";
import type { RunInput } from "./types.js";

/** Why a report cannot be trusted: its gates become `error` with this reason and fix. */
export interface RunProblem {
  code: string;
  message: string;
  fix?: string | undefined;
}

/** One report as the gates see it. */
export interface RunState {
  /** `trivy.image`: kind and label. */
  id: string;
  kind: ReportKind;
  file: string;
  result?: ToolResult | undefined;
  problem?: RunProblem | undefined;
  /** Gates this report feeds: those of its kind, plus those its findings reach. */
  feeds: ReadonlySet<GateName>;
  /** Tool errors of level `warning`: partial results, the gates it feeds warn. */
  warnings: number;
  /** The report's entry in report.tools. */
  toolRun: ToolRun;
}

/** Reads each report's health: unusable, wrong tool, crashed, or failed by its own account. */
export function runStates(
  runs: readonly RunInput[],
  exitMeaning: (kind: ReportKind, code: number) => ExitMeaning,
): RunState[] {
  return runs.map((input) => {
    const { run } = input;
    const id = run.label === undefined ? run.kind : `${run.kind}.${run.label}`;
    // An exit code saying the tool failed is judged first and only here: its report, even one that
    // parsed, is not trusted, and none of its findings are shown.
    // A runner that already said why the tool failed (not found on PATH, timed out) is believed.
    const explained = "error" in input && input.error.code.startsWith("TOOL_");
    const crashed =
      run.exitCode === undefined || explained ? undefined : exitProblem(run.kind, run.exitCode, exitMeaning);
    const result = crashed === undefined && "result" in input ? input.result : undefined;
    const problem =
      crashed ??
      ("error" in input
        ? errorProblem(input.error)
        : (resultProblem(input.run.kind, input.result) ?? exitContradiction(run, input.result, exitMeaning)));
    const feeds = new Set<GateName>(feedsOf(run.kind, run.label));
    for (const finding of result?.findings ?? []) feeds.add(gateOfFinding(finding));
    const toolRun: ToolRun = {
      kind: run.kind,
      ...(run.label === undefined ? {} : { label: run.label }),
      file: run.file,
      // Not an error's `tool`, which names what the reader expected ("given", "SARIF"): report.sarif
      // leaves out the run of exactly this tool.
      tool: result?.tool ?? REPORT_KIND_SPECS[run.kind].tool,
      ...(result === undefined ? {} : { format: result.format }),
      ...(result?.toolVersion === undefined ? {} : { version: result.toolVersion }),
      ...(problem === undefined
        ? {}
        : {
            error: {
              code: problem.code,
              message: problem.message,
              ...(problem.fix === undefined ? {} : { fix: problem.fix }),
            },
          }),
      toolErrors: result?.toolErrors ?? [],
      ...(run.exitCode === undefined ? {} : { exitCode: run.exitCode }),
      ...(run.durationMs === undefined ? {} : { durationMs: run.durationMs }),
    };
    return {
      id,
      kind: run.kind,
      file: run.file,
      result,
      problem,
      feeds,
      warnings: result?.toolErrors.filter((error) => error.level === "warning").length ?? 0,
      toolRun,
    };
  });
}

// --- internal ---

function errorProblem(error: { code: string; message: string; fix?: string | undefined }): RunProblem {
  return { code: error.code, message: error.message, fix: error.fix };
}

/** What the tool's exit code says, by its adapter: undefined unless it says the tool failed. */
function exitProblem(
  kind: ReportKind,
  exitCode: number,
  exitMeaning: (kind: ReportKind, code: number) => ExitMeaning,
): RunProblem | undefined {
  if (exitMeaning(kind, exitCode) !== "error") return undefined;
  if (exitCode === 127) {
    return {
      code: "TOOL_NOT_FOUND",
      message: `${kind} could not be started (exit code 127: command not found)`,
      fix: `install ${kind} on PATH, or run \`dagger call ci\`, which brings every tool in its pinned image`,
    };
  }
  const how =
    exitCode < 0 ? "was stopped (killed or timed out)" : `exited with code ${exitCode}, which means it failed`;
  return {
    code: "TOOL_FAILED",
    message: `${kind} ${how}; its report cannot be trusted`,
    fix: `read ${kind}'s log, fix the cause and run it again`,
  };
}

/**
 * An exit code saying the tool found something beside a report that holds nothing: the report is
 * not that run's (left from an earlier run, overwritten, cut short), and "nothing found" from it
 * would pass a gate on no evidence.
 */
function exitContradiction(
  run: RunInput["run"],
  result: ToolResult,
  exitMeaning: (kind: ReportKind, code: number) => ExitMeaning,
): RunProblem | undefined {
  const failedThresholds = result.performance?.thresholds.filter((threshold) => !threshold.ok).length ?? 0;
  if (run.exitCode === undefined || result.findings.length + (run.ownOutputFindings ?? 0) + failedThresholds > 0)
    return undefined;
  if (!REPORT_KIND_SPECS[run.kind].findingsExitHasFindings || exitMeaning(run.kind, run.exitCode) !== "findings")
    return undefined;
  const words = REPORT_KIND_SPECS[run.kind].findingsExitWording ?? {
    means: "it found something",
    butReport: "the report holds no finding",
    so: "it is not the report of that run",
    fix: `run ${result.tool} again, writing its report and its exit code together (\`portcullis ci\` does)`,
  };
  return {
    code: "REPORT_INVALID",
    message: `${result.tool} exited with code ${run.exitCode}, which it does only when ${words.means}, but ${words.butReport}: ${words.so}`,
    fix: words.fix,
  };
}

function resultProblem(kind: ReportKind, result: ToolResult): RunProblem | undefined {
  if (!formatFitsKind(kind, result.format)) {
    return {
      code: "REPORT_WRONG_TOOL",
      message: `given as a ${kind} report, but it is a ${result.format} report`,
      fix: `pass it as --report ${kindOfFormat(result.format)}=<file>, or give the ${kind} report`,
    };
  }
  const failure = result.toolErrors.find((error) => error.level === "error");
  if (failure !== undefined) {
    const where = failure.path === undefined ? "" : ` (${failure.path})`;
    const more = result.toolErrors.filter((error) => error.level === "error").length - 1;
    return {
      code: "TOOL_FAILED",
      message: `${result.tool} reported an error: ${failure.message}${where}${more > 0 ? ` and ${more} more` : ""}`,
      fix: `fix what ${result.tool} reports (input files, rules, configuration) and run it again`,
    };
  }
  return undefined;
}
