/**
 * The stages the scan functions, the gate checks and `ci` run: each tool in its container, as an
 * outcome (reports, or why the stage did not run); the rules semgrep runs, and checks of the
 * arguments that reach a tool's command line.
 */
import { dag, ExistsType, type Directory, type Service } from "@dagger.io/dagger";
import { checkOperand } from "./argv.js";
import {
  cliIn,
  collect,
  gitleaksDir,
  gitleaksGit,
  k6Run,
  ownRepository,
  portcullisValidate,
  SBOM_FILE,
  scenarios,
  semgrepScan,
  trivyFs,
  trivySbom,
  type ToolRun,
} from "./containers.js";
import { messageOf } from "./errors.js";
import { SEMGREP_DEFAULT_RULES } from "./tools.gen.js";
import { cli, type Toolbox } from "./toolbox.js";

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
    problem: `${name} did not run: ${messageOf(error)}`,
  };
}

/** The stage's reports, or its problem as the function's error. */
export function orThrow(outcome: StageOutcome): Directory {
  if (outcome.problem !== undefined) throw new Error(outcome.problem);
  return outcome.reports;
}

/** `portcullis validate` over the source: validate.json and its exit code. */
export function validateStage(tools: Toolbox, source: Directory): Promise<StageOutcome> {
  return runStage("validate", () => portcullisValidate(cli(tools), source));
}

/** gitleaks over the working tree (`gitleaks dir`). */
export function secretsStage(tools: Toolbox, source: Directory): Promise<StageOutcome> {
  return runStage("gitleaks", () => gitleaksDir(tools.gitleaksImage, source));
}

/** gitleaks over the history of a checkout (`gitleaks git`), all of it or one range. */
export function historyStage(
  tools: Toolbox,
  repo: Directory,
  range: { base: string; head: string } | undefined,
): Promise<StageOutcome> {
  return runStage("gitleaks history", () => gitleaksGit(tools.gitleaksImage, repo, range));
}

/** semgrep with `configs`, or with the default rules found in the source when none are given. */
export function sastStage(tools: Toolbox, source: Directory, configs?: readonly string[]): Promise<StageOutcome> {
  return runStage("semgrep", async () =>
    semgrepScan(tools.semgrepImage, source, configs ?? (await semgrepConfigs(source, undefined))),
  );
}

/** `trivy fs` over the source, with `trivy version` beside its report. */
export function vulnerabilitiesStage(tools: Toolbox, source: Directory): Promise<StageOutcome> {
  return runStage("trivy", () => trivyFs(tools.trivy, source));
}

/** The CycloneDX SBOM of the source, kept next to the reports as evidence. */
export async function sbomStage(tools: Toolbox, source: Directory): Promise<StageOutcome> {
  try {
    const sbom = trivySbom(tools.trivy, source);
    await sbom.sync();
    return { reports: dag.directory().withFile(SBOM_FILE, sbom) };
  } catch (error) {
    return notRun("sbom", error);
  }
}

/** What a load test is given: the service, the scenario (the caller's scenarios/ first) and the port. */
export interface LoadInput {
  target: Service;
  scenario: string;
  source: Directory;
  /** By default the target's first exposed port. */
  targetPort: number | undefined;
  /** The environment whose performance policy is the scenario's SLA. */
  env: string;
}

/**
 * `k6 run <scenario>` against the target, bound into the k6 container, with the environment's
 * SLA (`portcullis policy sla`), so k6's thresholds are the performance gate's limits.
 */
export async function loadRun(tools: Toolbox, input: LoadInput): Promise<ToolRun> {
  const port = input.targetPort ?? (await firstPort(input.target));
  return k6Run({
    image: tools.k6Image,
    sla: await environmentSla(tools, input.source, input.env),
    scenarios: scenarios(ownRepository(), input.source),
    target: input.target,
    port,
    scenario: input.scenario,
  });
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

/** The SLA_* variables `portcullis policy sla` prints for the environment, checked before k6 gets them. */
async function environmentSla(tools: Toolbox, source: Directory, env: string): Promise<Record<string, string>> {
  const printed = await cliIn(cli(tools), source)
    .withExec(["portcullis", "policy", "sla", checkOperand("env", env)])
    .stdout();
  let sla: unknown;
  try {
    sla = JSON.parse(printed);
  } catch {
    sla = undefined;
  }
  const entries = typeof sla === "object" && sla !== null ? Object.entries(sla) : [];
  if (entries.length === 0 || !entries.every(([name, value]) => /^SLA_\w+$/.test(name) && typeof value === "string")) {
    throw new Error(`portcullis policy sla printed no SLA variables: ${printed}`);
  }
  return Object.fromEntries(entries);
}
