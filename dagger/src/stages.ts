/**
 * What the scan functions share: a stage's outcome (reports, or why it did not run), the rules
 * semgrep runs, and checks of the arguments that reach a tool's command line.
 */
import { dag, ExistsType, type Directory, type Service } from "@dagger.io/dagger";
import { checkOperand } from "./argv.js";
import { collect, type ToolRun } from "./containers.js";
import { SEMGREP_DEFAULT_RULES } from "./tools.gen.js";

/** Reports and problems of one stage; a stage that could not run has a problem and no report. */
export interface StageOutcome {
  reports: Directory;
  problem?: string;
}

/** A tool stage whose failure to start (image pull, engine error) becomes a problem, not an exception. */
export async function runStage(name: string, run: () => ToolRun | Promise<ToolRun>): Promise<StageOutcome> {
  try {
    return { reports: await collect(await run()) };
  } catch (error) {
    return notRun(name, error);
  }
}

/** The outcome of a stage that could not run: no report, and why. */
export function notRun(name: string, error: unknown): StageOutcome {
  return {
    reports: dag.directory(),
    problem: `${name} did not run: ${error instanceof Error ? error.message : String(error)}`,
  };
}

/** The stage's reports, or its problem as the function's error. */
export function orThrow(outcome: StageOutcome): Directory {
  if (outcome.problem !== undefined) throw new Error(outcome.problem);
  return outcome.reports;
}

/** The rules semgrep runs: `config` when given, else the semgrep adapter's defaults found in the source. */
export async function semgrepConfigs(source: Directory, config: string[] | undefined): Promise<string[]> {
  if (config !== undefined && config.length > 0) {
    // semgrep refuses `auto` with --metrics=off; say so before starting a container.
    const auto = config.find((rule) => rule.trim().toLowerCase() === "auto");
    if (auto !== undefined)
      throw new Error("semgrep config `auto` is not allowed: name rule files or registry packs (p/default)");
    return config.map((rule) => checkOperand("semgrep config", rule));
  }
  const own: string[] = [];
  for (const { path, type } of SEMGREP_DEFAULT_RULES.ownRules) {
    if (await source.exists(path, { expectedType: RULES_TYPE[type] })) own.push(`./${path}`);
  }
  return [SEMGREP_DEFAULT_RULES.pack, ...own];
}

/** A history range for `gitleaks git`: both ends or neither. */
export function historyRange(
  base: string | undefined,
  head: string | undefined,
): { base: string; head: string } | undefined {
  if (base === undefined && head === undefined) return undefined;
  if (base === undefined || head === undefined)
    throw new Error("a history range needs both base and head (for example the pull request's base and head SHAs)");
  return { base: checkOperand("history base", base), head: checkOperand("history head", head) };
}

/** The first port a service exposes, for a load test given no port. */
export async function firstPort(service: Service): Promise<number> {
  const [first] = await service.ports();
  if (first === undefined) throw new Error("the target exposes no port: pass targetPort");
  return first.port();
}

// --- internal ---

/** How the adapter's kinds of own rules are looked up in the source. */
const RULES_TYPE = { file: ExistsType.RegularType, directory: ExistsType.DirectoryType } as const;
