/**
 * The containers the module runs: one per tool, from the pinned image, with the argv the adapters
 * build (tools.gen.ts), plus the node container that runs the `portcullis` CLI built from this
 * repository. Everything here is lazy: nothing runs until a caller reads a result.
 */
import {
  CacheSharingMode,
  dag,
  ReturnType,
  type Container,
  type Directory,
  type File,
  type Secret,
  type Service,
} from "@dagger.io/dagger";
import { checkOperand, fill, fillEnv, type ArgvToken, type ArgvValues } from "./argv.js";
import { CLI_SOURCE_FILES, NPM_CACHE_VOLUME } from "./cli-container.js";
import { LAYOUT } from "./layout.js";
import { ARGV, K6_ENV, REPORTS } from "./tools.gen.js";

/** A tool that ran, or will when read: the container after its exec and the contract's exit-code file. */
export interface ToolRun {
  /** The container right after the tool's exec: its exit code is the tool's. */
  container: Container;
  /** The tool's command line, to tell its failure from that of a step before it (an image's `npm ci`). */
  argv: readonly string[];
  /** `<kind>[.<label>].exitcode`, written next to the report. */
  exitCodeFile: string;
  /** What the run leaves in /out; by default /out of `container`. */
  reports?: Directory;
}

/**
 * Portcullis' own repository (the files in CLI_SOURCE_FILES), whoever calls the module and however
 * it is installed. Not a `defaultPath` argument: installed as a toolchain, a default path resolves
 * against the caller's workspace (core/modfunc.go, loadLegacyDefaultPathArg). The module's source
 * is `dagger/` inside its context directory (core/schema/module.go, currentModuleSource), and that
 * context holds what dagger.json `include`s (core/schema/modulesource.go, loadModuleSourceContext),
 * so its parent is the module's own checkout or git tree.
 */
export function ownRepository(): Directory {
  return dag.currentModule().source().directory("..").filter({ include: CLI_SOURCE_FILES });
}

/**
 * Cache busters. The engine reuses an exec whose inputs it has seen, even across sessions, so a
 * scan of an unchanged tree would replay a report made before a DB or rules update, and a
 * deploy command would replay its first output. A scan carries SCAN_RUN (one value per function
 * execution: the engine starts one module process per call and, for the `cache: "session"` scan
 * functions, runs an identical call once per session); a blue-green command carries a fresh
 * value on every call.
 */
export const CACHE_BUSTERS = { scan: "PORTCULLIS_SCAN_RUN", call: "PORTCULLIS_CALL" } as const;

/** This process's scan value (see CACHE_BUSTERS). */
// The Web Crypto global: the module's runtime installs no @types/node, so no node: imports.
const SCAN_RUN = crypto.randomUUID();

/**
 * The container with this process's scan value: for scans, and for `portcullis evaluate`, whose
 * verdict also reads the clock (waiver expiry, trivy DB age), so the same reports judged in a
 * later session must be judged again.
 */
export function withScanRun(container: Container): Container {
  return container.withEnvVariable(CACHE_BUSTERS.scan, SCAN_RUN);
}

/** Cache volume names: stable, so that every run of every pipeline shares them. */
export const CACHE_VOLUMES = { trivy: "portcullis-trivy-cache", npm: NPM_CACHE_VOLUME } as const;

/**
 * A tool's container: the image, the tree to scan at /src as working directory (paths in reports
 * stay relative, as on the host), and an empty, writable /out for its report.
 */
export function scanContainer(image: string, source: Directory, at: string = LAYOUT.source): Container {
  return dag
    .container()
    .from(image)
    .withMountedDirectory(at, source)
    .withWorkdir(at)
    .withMountedDirectory(LAYOUT.out, writableDirectory());
}

/**
 * Runs one command (binary first; image entrypoints are ignored) and keeps any exit code: the
 * `portcullis` CLI maps it through the tool's adapter, so a crash becomes a gate `error`.
 */
export function runTool(
  container: Container,
  template: readonly ArgvToken[],
  values: ArgvValues,
  exitCodeFile: string,
  /** Beside the reports, the tool's stderr, when its adapter reads it (`<stem>.log`). */
  logFile?: string,
): ToolRun {
  const argv = fill(template, values);
  return {
    container: withScanRun(container).withExec(argv, {
      expect: ReturnType.Any,
      ...(logFile === undefined ? {} : { redirectStderr: `${LAYOUT.out}/${logFile}` }),
    }),
    argv,
    exitCodeFile,
  };
}

/**
 * The reports of a run: whatever the tool wrote to /out plus its exit code. An exec the engine
 * refuses to count as finished (killed by a signal) still leaves its exit code, and no report. A
 * step before the tool that failed (the CLI image's `npm ci`) is no exit code of the tool's: its
 * error goes on, for the stage to report with the engine's message.
 */
export async function collect(run: ToolRun): Promise<Directory> {
  try {
    const exitCode = await run.container.exitCode();
    return (run.reports ?? run.container.directory(LAYOUT.out)).withNewFile(run.exitCodeFile, `${exitCode}\n`);
  } catch (error) {
    const exitCode = execErrorExitCode(error, run.argv);
    if (exitCode !== undefined) return dag.directory().withNewFile(run.exitCodeFile, `${exitCode}\n`);
    throw error;
  }
}

/**
 * The exit code of the SDK's ExecError for the exec of `argv` (the engine names the failed exec's
 * command in `cmd`, core/exec_error.go), told apart by its name and fields: the SDK the engine
 * generates for a module exports only the decorators, `connection`, `Context` and the API client
 * (sdk/typescript/runtime/tsutils/module/index.ts), so the class itself cannot be imported.
 */
export function execErrorExitCode(error: unknown, argv: readonly string[]): number | undefined {
  if (!(error instanceof Error) || error.name !== "ExecError") return undefined;
  const exitCode: unknown = Reflect.get(error, "exitCode");
  const cmd: unknown = Reflect.get(error, "cmd");
  const isTools = Array.isArray(cmd) && cmd.length === argv.length && cmd.every((arg, index) => arg === argv[index]);
  return typeof exitCode === "number" && isTools ? exitCode : undefined;
}

/** Options every trivy scan shares. */
export interface TrivyOptions {
  image: string;
  ignoreUnfixed: boolean;
  dbRepository?: string | undefined;
  javaDbRepository?: string | undefined;
  /** For a private mirror: registry user and password (trivy reads TRIVY_USERNAME / TRIVY_PASSWORD). */
  registryUsername?: string | undefined;
  registryPassword?: Secret | undefined;
}

/**
 * A trivy container whose cache (vulnerability DB, Java DB, checks) lives in one volume, LOCKED so
 * that concurrent scans never write the DB at the same time.
 */
export function trivyContainer(options: TrivyOptions, source: Directory): Container {
  let container = scanContainer(options.image, source)
    // versions/ for TRIVY_VERSION_FILE, which the scan's `trivy version` writes into.
    .withMountedDirectory(LAYOUT.out, writableDirectory([TRIVY_VERSION_DIR]))
    .withMountedCache(LAYOUT.trivyCache, dag.cacheVolume(CACHE_VOLUMES.trivy), {
      sharing: CacheSharingMode.Locked,
    });
  if (options.registryUsername !== undefined)
    container = container.withEnvVariable("TRIVY_USERNAME", options.registryUsername);
  if (options.registryPassword !== undefined)
    container = container.withSecretVariable("TRIVY_PASSWORD", options.registryPassword);
  return container;
}

export function trivyValues(options: TrivyOptions): ArgvValues {
  return {
    ignoreUnfixed: options.ignoreUnfixed,
    dbRepository: options.dbRepository,
    javaDbRepository: options.javaDbRepository,
  };
}

/** `trivy fs` over the source, then `trivy version` in the same container (the DB the scan used). */
export function trivyFs(options: TrivyOptions, source: Directory): ToolRun {
  return withDbVersion(
    runTool(
      trivyContainer(options, source),
      ARGV.trivyFs,
      trivyValues(options),
      REPORTS.trivy.exitCode,
      REPORTS.trivy.log,
    ),
  );
}

/**
 * `trivy image --input <tar>`: the image is saved with asTarball, so no daemon or registry is
 * needed. It runs in the repository (trivy reads `.trivyignore` from its working directory), so
 * the repository's ignores apply to image scans too; its `trivy.yaml` never does (`--config /dev/null`).
 */
export function trivyImage(options: TrivyOptions, image: Container, source: Directory): ToolRun {
  const container = trivyContainer(options, source).withMountedFile(LAYOUT.imageTar, image.asTarball());
  return withDbVersion(
    runTool(container, ARGV.trivyImage, trivyValues(options), REPORTS.trivyImage.exitCode, REPORTS.trivyImage.log),
  );
}

/** The SBOM's name next to the reports (not a report kind: kept as evidence, never evaluated). */
export const SBOM_FILE = "sbom.cdx.json";

/**
 * Where `trivy version --format json` is kept, next to the reports: the tool-versions contract
 * every runner follows (`versions/<tool>.txt`, the raw output of the version command the adapter
 * declares). It carries `VulnerabilityDB.UpdatedAt`; evaluate alone judges the DB's age.
 */
export const TRIVY_VERSION_FILE = "versions/trivy.txt";
const TRIVY_VERSION_DIR = "versions";

/**
 * A CycloneDX SBOM of the source tree. Not a scan with findings: any exit code but 0 means no SBOM,
 * so the exec must succeed and the engine's error (with trivy's stderr) is the caller's.
 */
export function trivySbom(options: TrivyOptions, source: Directory): File {
  return withScanRun(trivyContainer(options, source))
    .withExec(fill(ARGV.trivySbom, {}), { expect: ReturnType.Success })
    .file(`${LAYOUT.out}/${SBOM_FILE}`);
}

/** `gitleaks dir .`: the working tree as it is. */
export function gitleaksDir(image: string, source: Directory): ToolRun {
  return runTool(scanContainer(image, source), ARGV.gitleaksDir, {}, REPORTS.gitleaks.exitCode);
}

/** `gitleaks git .`: the history, or only `base..head` (a pull request's own commits). */
export function gitleaksGit(image: string, repo: Directory, range?: { base: string; head: string }): ToolRun {
  // The checkout belongs to another user than the container's: git refuses it without safe.directory.
  const container = scanContainer(image, repo, LAYOUT.repo)
    .withEnvVariable("GIT_CONFIG_COUNT", "1")
    .withEnvVariable("GIT_CONFIG_KEY_0", "safe.directory")
    .withEnvVariable("GIT_CONFIG_VALUE_0", "*");
  const values: ArgvValues = range === undefined ? {} : { base: range.base, head: range.head };
  return runTool(container, ARGV.gitleaksGit, values, REPORTS.gitleaksHistory.exitCode);
}

/** `semgrep scan --config …` over the source. */
export function semgrepScan(image: string, source: Directory, configs: readonly string[]): ToolRun {
  return runTool(scanContainer(image, source), ARGV.semgrepScan, { configs }, REPORTS.semgrep.exitCode);
}

/** The CLI container working in `tree` (at /src, as the scans do), with an empty /out. */
export function cliIn(cli: Container, tree: Directory): Container {
  return cli
    .withMountedDirectory(LAYOUT.source, tree)
    .withWorkdir(LAYOUT.source)
    .withMountedDirectory(LAYOUT.out, writableDirectory());
}

/** `portcullis validate . --out /out`: writes validate.json; exit 1 on integrity findings, 2 on bad config. */
export function portcullisValidate(cli: Container, tree: Directory): ToolRun {
  return runTool(cliIn(cli, tree), ["portcullis", "validate", ".", "--out", LAYOUT.out], {}, REPORTS.validate.exitCode);
}

/** Binds the load target under a fixed host name, so scenarios reach it the same way every time. */
export const TARGET_HOST = "target";

/** The k6 scenarios: Portcullis' own (smoke, load, stress, soak), under the caller's `scenarios/` if it has one. */
export function scenarios(portcullis: Directory, source: Directory): Directory {
  return portcullis
    .filter({ include: ["scenarios/*.js", "scenarios/lib/**"] })
    .withDirectory(".", source.filter({ include: ["scenarios/**"] }))
    .directory("scenarios");
}

/** `smoke` -> `smoke.js`, a name in the scenarios folder; throws on a value k6 would read as an option. */
export function scenarioScript(scenario: string): string {
  return checkOperand("scenario", scenario.endsWith(".js") ? scenario : `${scenario}.js`);
}

/** Throws unless `port` is a TCP port number. */
export function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`target port ${port} is not a TCP port: give one between 1 and 65535`);
  }
  return port;
}

/** `k6 run <scenario>.js` against the target, bound as `target` and given to the script as BASE_URL. */
export function k6Run(options: {
  image: string;
  /** The SLA_* variables the scenarios read (scenarios/lib/sla.js). */
  sla: Readonly<Record<string, string>>;
  scenarios: Directory;
  target: Service;
  port: number;
  scenario: string;
}): ToolRun {
  const script = scenarioScript(options.scenario);
  const env = { ...options.sla, ...fillEnv(K6_ENV, { baseUrl: `${TARGET_HOST}:${checkPort(options.port)}` }) };
  const container = Object.entries(env).reduce(
    (built, [name, value]) => built.withEnvVariable(name, value),
    dag
      .container()
      .from(options.image)
      .withMountedDirectory(LAYOUT.scenarios, options.scenarios)
      .withWorkdir(LAYOUT.scenarios)
      .withMountedDirectory(LAYOUT.out, writableDirectory())
      .withServiceBinding(TARGET_HOST, options.target),
  );
  return runTool(container, ARGV.k6Run, { script }, REPORTS.k6.exitCode);
}

// --- internal ---

/** An empty directory anybody may write: tools run as whatever user their image chose. */
function writableDirectory(subdirectories: readonly string[] = []): Directory {
  return subdirectories.reduce(
    (out, name) => out.withNewDirectory(name, { permissions: 0o777 }),
    dag.directory().withNewDirectory("out", { permissions: 0o777 }).directory("out"),
  );
}

/** Adds `trivy version` after the scan, in the same container and cache: it describes the DB the scan used. */
function withDbVersion(run: ToolRun): ToolRun {
  const after = run.container.withExec(fill(ARGV.trivyVersion, {}), {
    expect: ReturnType.Any,
    redirectStdout: `${LAYOUT.out}/${TRIVY_VERSION_FILE}`,
  });
  return { ...run, reports: after.directory(LAYOUT.out) };
}
