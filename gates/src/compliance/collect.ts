import { execFile } from "node:child_process";
import { open, readFile, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { ConfigError, IoError, messageOf } from "../errors.js";
import { verifyLedger } from "../deploy/ledger.js";
import { DeploySettings } from "../policy/deploy-settings.js";
import { unreadableFile } from "../policy/load-files.js";
import { dirStore, parseState } from "../deploy/stores/dir.js";
import { gitRefStore } from "../deploy/stores/git-ref.js";
import type { StateStore } from "../deploy/stores/store.js";
import { inspectSbom, requiredFileCandidates, type CollectedCompliance } from "./checks.js";
import { DEFAULT_CONTROLS_FILE, defaultControls, parseControls, type ControlSet } from "./controls.js";
import { isPlainRevision } from "../git-revision.js";
import { insideRelative } from "../paths.js";

/**
 * The I/O edge of the compliance controls: reads the repository, the reports dir, git and the
 * deployment store, and hands plain data to the pure checks. Nothing is guessed: what cannot be
 * found out (no base ref, an unreadable ledger) is said, and the control it feeds is `error`.
 */

export interface CollectOptions {
  /** The repository root (`--source`, the cwd by default; `ci` passes the scanned folder). */
  source: string;
  /** Where the reports are: the SBOM is looked for among them. */
  reportsDir?: string | undefined;
  environment: string;
  /** `--base <ref>`: the change is `<ref>...HEAD`. */
  base?: string | undefined;
  /** The process environment (GITHUB_BASE_REF). */
  env: Readonly<Record<string, string | undefined>>;
  /** `--controls <file>` (must exist); else `.portcullis/controls.yml` when present; else the built-ins. */
  controlsFile?: string | undefined;
  /** `--ledger <file>`; else the environment's deployment store when it holds a ledger. */
  ledgerFile?: string | undefined;
  /** The environment's `deploy:` section: where its store keeps the ledger. */
  deploy?: DeploySettings | undefined;
  /**
   * Why the SBOM among the reports cannot be trusted, when whoever ran the tool knows (its stage
   * failed: a tool killed after writing a complete-looking file): the control is then `error`.
   */
  sbomProblem?: { file: string; problem: string } | undefined;
}

/** Where each piece of evidence was found (absolute paths), for the evidence bundle. */
export interface CollectedSources {
  controlsFile?: string | undefined;
  sbomFile?: string | undefined;
  /** The ledger's text as read, for the excerpt of this commit's records. */
  ledgerText?: string | undefined;
}

type LedgerResult = NonNullable<CollectedCompliance["ledger"]>;

/** Gathers, for one environment, what the controls need beyond the reports (see CollectedCompliance). */
export async function collectCompliance(
  options: CollectOptions,
): Promise<{ collected: CollectedCompliance; sources: CollectedSources }> {
  const source = path.resolve(options.source);
  const controls = await loadControlSet(source, options.controlsFile);
  const [sbom, files, changes, workflows, ledger] = await Promise.all([
    findSbom(options.reportsDir),
    existingFiles(source, controls.set),
    changedFiles(source, options),
    readWorkflows(source),
    readEnvironmentLedger(source, options),
  ]);
  const inspection =
    options.sbomProblem === undefined
      ? sbom?.inspection
      : { file: options.sbomProblem.file, ok: false as const, problem: options.sbomProblem.problem };
  return {
    collected: {
      controls: controls.set,
      ...(inspection === undefined ? {} : { sbom: inspection }),
      repository: { files: new Set(files), ...changes },
      workflows,
      ...(ledger === undefined ? {} : { ledger: ledger.result }),
    },
    sources: { controlsFile: controls.file, sbomFile: sbom?.file, ledgerText: ledger?.text },
  };
}

/** The change's files: `git diff --name-only <base>...HEAD`, relative to the source folder. */
export async function changedFiles(
  source: string,
  options: Pick<CollectOptions, "base" | "env">,
): Promise<{ changedFiles: string[] } | { changedFilesUnknown: string }> {
  const githubBase = options.env["GITHUB_BASE_REF"]?.trim();
  const base = options.base ?? (githubBase === undefined || githubBase === "" ? undefined : `origin/${githubBase}`);
  if (base === undefined) {
    return { changedFilesUnknown: "no base ref given (pass --base <ref>; in a pull request GITHUB_BASE_REF is used)" };
  }
  // Handed to git as an argument: anything but a plain revision could be read as an option.
  if (!isPlainRevision(base)) {
    return {
      changedFilesUnknown: `base ref ${JSON.stringify(base)} is not a plain git revision (a commit SHA or a branch name)`,
    };
  }
  const diff = await git(source, ["diff", "--name-only", "-z", "--relative", `${base}...HEAD`]);
  if (diff.code !== 0) {
    return {
      changedFilesUnknown: `git diff ${base}...HEAD failed: ${firstLine(diff.stderr) || `exit code ${diff.code}`}`,
    };
  }
  return {
    changedFiles: diff.stdout
      .split("\0")
      .filter((file) => file !== "")
      .sort(),
  };
}

/** `--controls <file>` (must exist), else `.portcullis/controls.yml` under the source when present, else the built-ins. */
export async function loadControlSet(
  source: string,
  flag: string | undefined,
): Promise<{ set: ControlSet; file?: string }> {
  const file = flag === undefined ? path.join(source, DEFAULT_CONTROLS_FILE) : path.resolve(flag);
  const text = await readOptional(file);
  if (text === undefined) {
    if (flag !== undefined) {
      throw new ConfigError("CONFIG_INVALID", "controls file not found", {
        file: flag,
        fix: "check the path given to --controls",
      });
    }
    return { set: defaultControls() };
  }
  return { set: parseControls(text, display(file, source)), file };
}

/**
 * `--ledger <file>` (its head from a `state.json` beside it when there is one), else the store the
 * environment's deploy settings name. Undefined when nothing was ever deployed there.
 */
export async function readEnvironmentLedger(
  source: string,
  options: Pick<CollectOptions, "ledgerFile" | "environment" | "deploy">,
): Promise<{ result: LedgerResult; text: string } | undefined> {
  if (options.ledgerFile !== undefined) {
    const file = path.resolve(options.ledgerFile);
    const shown = display(file, source);
    const text = await readOptional(file);
    if (text === undefined)
      throw new ConfigError("CONFIG_INVALID", "ledger file not found", {
        file: options.ledgerFile,
        fix: "check the path given to --ledger",
      });
    const stateFile = path.join(path.dirname(file), "state.json");
    const stateText = await readOptional(stateFile);
    try {
      const head = stateText === undefined ? null : parseState(stateText, display(stateFile, source)).ledger_head;
      return { result: verified(shown, text, head), text };
    } catch (error) {
      return { result: unreadable(shown, error), text };
    }
  }
  const { store, file } = storeOf(source, options);
  try {
    const snapshot = await store.load();
    if (snapshot.state === null && snapshot.ledgerText === "") return undefined;
    return {
      result: verified(file, snapshot.ledgerText, snapshot.state?.ledger_head ?? null),
      text: snapshot.ledgerText,
    };
  } catch (error) {
    return { result: unreadable(file, error), text: "" };
  }
}

// --- internal ---

const SBOM_SNIFF_BYTES = 64 * 1024;

/**
 * The CycloneDX SBOM among the reports, found by content (`"bomFormat"` near the top, as trivy
 * writes it) or by a name starting with `sbom`: a damaged SBOM is reported, never taken for none.
 */
async function findSbom(
  dir: string | undefined,
): Promise<{ file: string; inspection: ReturnType<typeof inspectSbom> } | undefined> {
  if (dir === undefined) return undefined;
  const names = (await listDir(dir)).filter((name) => name.endsWith(".json")).sort();
  for (const name of names) {
    const file = path.join(dir, name);
    if (!(await isFile(file))) continue;
    if (!/^sbom/i.test(name) && !(await head(file)).includes('"bomFormat"')) continue;
    return { file, inspection: inspectSbom(await readFile(file, "utf8"), name) };
  }
  return undefined;
}

/** Which of the files the control set asks about exist (CODEOWNERS also in .github/ and docs/). */
async function existingFiles(source: string, set: ControlSet): Promise<string[]> {
  const wanted = [...new Set([...set.requiredFiles.flatMap(requiredFileCandidates), set.changelog])];
  const present = await Promise.all(wanted.map(async (file) => ((await isFileInside(source, file)) ? [file] : [])));
  return present.flat();
}

/**
 * A file of the repository, the path resolved through any link: a `CHANGELOG.md` linked to
 * `/etc/hostname` is not the repository's changelog.
 */
async function isFileInside(source: string, file: string): Promise<boolean> {
  if (!(await isFile(path.join(source, file)))) return false;
  const [root, target] = await Promise.all([realpath(source), realpath(path.join(source, file))]);
  return insideRelative(root, target) !== undefined;
}

async function readWorkflows(source: string): Promise<{ path: string; text: string }[]> {
  const dir = path.join(source, ".github", "workflows");
  const names = (await listDir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  return Promise.all(
    names.map(async (name) => ({
      path: `.github/workflows/${name}`,
      text: await readFile(path.join(dir, name), "utf8"),
    })),
  );
}

/** The environment's store, and its ledger as a user would name it. */
function storeOf(
  source: string,
  options: Pick<CollectOptions, "environment" | "deploy">,
): { store: StateStore; file: string } {
  const deploy = options.deploy;
  if (deploy?.state_git_ref !== undefined) {
    const store = gitRefStore({
      cwd: source,
      ref: deploy.state_git_ref,
      remote: deploy.state_git_remote,
      environment: options.environment,
    });
    return { store, file: `${deploy.state_git_ref}:ledger.jsonl` };
  }
  // The schema's own default, so the collector looks where `portcullis deploy` writes.
  const stateDir = deploy?.state_dir ?? DeploySettings.shape.state_dir.parse(undefined);
  const store = dirStore(path.resolve(source, stateDir), options.environment, stateDir);
  return {
    store,
    file: display(path.join(path.resolve(source, stateDir), options.environment, "ledger.jsonl"), source),
  };
}

function verified(file: string, text: string, head: { seq: number; hash: string } | null): LedgerResult {
  const result = verifyLedger(text, head);
  return { file, ok: result.ok, records: result.records, problems: result.problems.map((problem) => problem.message) };
}

function unreadable(file: string, error: unknown): LedgerResult {
  const message = messageOf(error);
  return { file, ok: false, records: 0, problems: [], unreadable: firstLine(message) };
}

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

function git(cwd: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile("git", [...args], { cwd, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 127;
      resolve({ code, stdout, stderr: error !== null && stderr === "" ? error.message : stderr });
    });
  });
}

async function head(file: string): Promise<string> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(SBOM_SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SBOM_SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (isMissing(error)) return undefined;
    // Controls, ledger and state files are configuration: unreadable is exit 2, as for the policy.
    throw unreadableFile(error, { code: "CONFIG_INVALID", file });
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isMissing(error)) return [];
    throw new IoError(`cannot list: ${messageOf(error)}`, {
      file: dir,
      fix: "check the folder's permissions",
      cause: error,
    });
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && "code" in error && (error.code === "ENOENT" || error.code === "ENOTDIR");
}

function display(absolute: string, root: string): string {
  return insideRelative(root, absolute) ?? absolute;
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.trim() ?? "";
}
