/**
 * The file-reading adapter of `portcullis validate`: finds portcullis.yml, lists the repository
 * and reads the Markdown files, then hands everything to the pure core (`validateFiles`).
 */
import { execFile } from "node:child_process";
import { readFileSync, type Dirent } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { PortcullisError } from "../errors.js";
import { ConfigError, UsageError, IoError, messageOf } from "../errors.js";
import { CONFIG_FILE_NAME, defaultValidateConfig, parseValidateConfigText, type ValidateConfig } from "./config.js";
import type { ValidateResult } from "./findings.js";
import { GitignoreRules } from "./gitignore.js";
import { globMatcher } from "./globs.js";
import { insideRelative } from "../paths.js";
import type { SourceFile } from "./parse.js";
import { validateFiles, type ValidateOptions } from "./validate.js";

const execFileAsync = promisify(execFile);

/** Options of validateRepository. */
export interface RepositoryOptions extends ValidateOptions {
  /** A config file to read instead of `<dir>/portcullis.yml`; it must exist. */
  configFile?: string | undefined;
  /**
   * Repository-relative folders never judged, whatever the config says: `ci` passes its reports
   * folder, so a run never judges the previous run's output.
   */
  skipFolders?: readonly string[] | undefined;
}

/** The result, with the config file that was read. */
export interface RepositoryResult extends ValidateResult {
  /** The config file read, or undefined when the defaults ran. */
  configFile: string | undefined;
}

/** Validates the repository at `dir` (the root for resolution and for portcullis.yml). */
export async function validateRepository(dir: string, options: RepositoryOptions = {}): Promise<RepositoryResult> {
  const root = path.resolve(dir);
  await checkFolder(root);
  const { config, file } = await loadValidateConfig(root, options.configFile);
  const listing = await listRepository(root, config, options.skipFolders);
  if (file !== undefined && !sameGlobs(config.include, defaultValidateConfig().include)) {
    // A typo in `include` would otherwise leave its files unjudged: the mandatory gate passes on
    // what the other globs found, or on nothing at all.
    const unmatched = globsMatchingNothing(config.include, listing.files);
    if (unmatched.length > 0) {
      const all = unmatched.length === config.include.filter((glob) => !glob.startsWith("!")).length;
      const what = all
        ? `${JSON.stringify(config.include)} matches no file`
        : `${JSON.stringify(config.include)}: ${unmatched.map((glob) => JSON.stringify(glob)).join(", ")} ${unmatched.length === 1 ? "matches" : "match"} no file`;
      throw new ConfigError("CONFIG_INVALID", `validate.include ${what}`, {
        file,
        fix: "correct the globs (repository-relative, such as docs/**/*.md; files that exclude or .gitignore leave out do not count), or remove include to check every Markdown file",
      });
    }
  }
  const result = await validateFiles(listing, config, {
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    onProgress: options.onProgress,
  });
  return { ...result, configFile: file };
}

/**
 * Reads `configFile`, or `<root>/portcullis.yml` when it exists; the defaults otherwise. A config
 * file that does not parse or validate is a ConfigError.
 */
export async function loadValidateConfig(
  root: string,
  configFile?: string,
): Promise<{ config: ValidateConfig; file: string | undefined }> {
  const file = configFile ?? path.join(root, CONFIG_FILE_NAME);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (configFile === undefined && isCode(error, "ENOENT"))
      return { config: defaultValidateConfig(), file: undefined };
    throw new ConfigError("CONFIG_INVALID", `cannot read the config file: ${messageOf(error)}`, {
      file,
      fix: "give the path of an existing portcullis.yml with --config",
      cause: error,
    });
  }
  return { config: parseValidateConfigText(text, file), file };
}

/**
 * Lists every file under `root` and reads those the config includes. Excluded, skipped and
 * ignored folders (and every `.git` and `node_modules`) are not entered and are reported as
 * `unlisted`; ignored files are listed, so links to them resolve, but never read or judged.
 * "Ignored" is git's own answer in a work tree (`git ls-files --ignored`: a committed file is never
 * ignored, whatever `.gitignore` says, and `.git/info/exclude` counts), else `.gitignore`'s text.
 */
export async function listRepository(
  root: string,
  config: ValidateConfig,
  skipFolders: readonly string[] = [],
): Promise<{ files: SourceFile[]; paths: string[]; unlisted: string[] }> {
  const included = globMatcher(config.include);
  const excluded = globMatcher(config.exclude);
  const skipped = new Set(skipFolders);
  const paths: string[] = [];
  /** Listed, so links to them resolve, but never read: ignored files, and links out of the tree. */
  const unread = new Set<string>();
  const unlisted: string[] = [];
  const realRoot = await realpath(root);
  const walk = async (relative: string, inherited: GitignoreRules, outer: GitView | undefined): Promise<void> => {
    const entries = await readdir(path.join(root, relative), { withFileTypes: true });
    // A repository inside (a submodule, a nested clone) is asked on its own: git answers for one.
    const nested = relative !== "" && entries.some((entry) => entry.name === ".git");
    const view = nested ? await gitViewOf(root, relative) : outer;
    const gitignore = view === undefined ? await readGitignore(root, relative, entries) : undefined;
    const rules = gitignore === undefined ? inherited : inherited.with(relative, gitignore);
    const ignores: Ignores =
      view === undefined
        ? (file, isFolder) => rules.ignores(file, isFolder)
        : (file, isFolder) => view.ignored(view.base === "" ? file : file.slice(view.base.length + 1), isFolder);
    const folders: string[] = [];
    for (const entry of entries) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
      const kind = await kindOf(entry, path.join(root, child), realRoot, (target) => {
        const segments = target.split("/");
        const folders = segments.slice(0, -1).map((_, index) => segments.slice(0, index + 1).join("/"));
        return (
          !segments.some((segment) => NEVER_JUDGED.has(segment)) &&
          !excluded(target) &&
          !ignores(target, false) &&
          !folders.some((folder) => excluded(folder) || skipped.has(folder) || ignores(folder, true))
        );
      });
      if (kind === "file" || kind === "link-out") {
        paths.push(child);
        if (kind === "link-out" || ignores(child, false)) unread.add(child);
      } else if (kind === "folder" && (excluded(child) || neverJudged(child, entry.name, skipped, ignores))) {
        unlisted.push(child);
      } else if (kind === "folder") folders.push(child);
      else if (kind === "link-to-folder") unlisted.push(child);
    }
    for (const folder of folders) await walk(folder, rules, view);
  };
  await walk("", GitignoreRules.none(), await gitViewOf(root, ""));
  paths.sort();
  const wanted = paths.filter((file) => included(file) && !excluded(file) && !unread.has(file));
  const files = readAll(root, wanted);
  return { files, paths, unlisted };
}

// --- internal ---

/** Folders no repository wants judged: git's own data and installed dependencies. */
const NEVER_JUDGED = new Set([".git", "node_modules"]);

/** The positive globs of `include` that match none of the files to judge (after exclude and ignores). */
function globsMatchingNothing(include: readonly string[], files: readonly SourceFile[]): string[] {
  return include
    .filter((glob) => !glob.startsWith("!"))
    .filter((glob) => {
      const matches = globMatcher([glob]);
      return !files.some((source) => matches(source.path));
    });
}

function sameGlobs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((glob, index) => glob === b[index]);
}

type Ignores = (file: string, isFolder: boolean) => boolean;

/** What git ignores in the repository at `base` (root-relative), by paths relative to `base`. */
interface GitView {
  base: string;
  ignored: Ignores;
}

async function gitViewOf(root: string, base: string): Promise<GitView | undefined> {
  const ignored = await ignoredByGit(path.join(root, base));
  return ignored === undefined ? undefined : { base, ignored };
}

function neverJudged(folder: string, name: string, skipped: ReadonlySet<string>, ignores: Ignores): boolean {
  return NEVER_JUDGED.has(name) || skipped.has(folder) || ignores(folder, true);
}

/**
 * What git ignores under `root`, when `root` is in a work tree and git runs: the untracked files
 * and folders `git ls-files --others --ignored --exclude-standard --directory` names (a folder
 * with a trailing `/`). Undefined elsewhere (no git, no work tree: a Dagger source without .git).
 */
async function ignoredByGit(root: string): Promise<Ignores | undefined> {
  let listed: string;
  try {
    const { stdout } = await execFileAsync(
      "git",
      ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"],
      { cwd: root, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
    );
    listed = stdout;
  } catch {
    return undefined;
  }
  const files = new Set<string>();
  const folders = new Set<string>();
  for (const entry of listed.split("\0")) {
    if (entry.endsWith("/")) folders.add(entry.slice(0, -1));
    else if (entry !== "") files.add(entry);
  }
  return (file, isFolder) => (isFolder ? folders : files).has(file);
}

/** The folder's `.gitignore`, when it has one. */
async function readGitignore(root: string, folder: string, entries: readonly Dirent[]): Promise<string | undefined> {
  if (!entries.some((entry) => entry.name === ".gitignore" && entry.isFile())) return undefined;
  const file = folder === "" ? ".gitignore" : `${folder}/.gitignore`;
  try {
    return await readFile(path.join(root, file), "utf8");
  } catch (error) {
    throw io(file, error);
  }
}

async function checkFolder(root: string): Promise<void> {
  try {
    if ((await stat(root)).isDirectory()) return;
  } catch (error) {
    if (!isCode(error, "ENOENT")) throw io(root, error);
  }
  throw new UsageError("USAGE", `${root} is not a folder`, { file: root, fix: "give the repository's root folder" });
}

/**
 * Symbolic links are followed to files inside the tree; a link whose target is outside it is never
 * read (a committed `x.md -> /proc/self/environ` would print the runner's environment), nor one to a
 * file the run never judges (`-> .git/config`, `-> .env` that .gitignore leaves out). Links to
 * folders are not entered (they could loop).
 */
async function kindOf(
  entry: Dirent,
  absolute: string,
  realRoot: string,
  judged: (target: string) => boolean,
): Promise<"file" | "folder" | "link-to-folder" | "link-out" | "other"> {
  if (entry.isFile()) return "file";
  if (entry.isDirectory()) return "folder";
  if (!entry.isSymbolicLink()) return "other";
  try {
    const target = await stat(absolute);
    if (target.isDirectory()) return "link-to-folder";
    if (!target.isFile()) return "other";
    const inside = insideRelative(realRoot, await realpath(absolute));
    return inside !== undefined && judged(inside) ? "file" : "link-out";
  } catch {
    // A dangling link points at nothing.
    return "other";
  }
}

/**
 * Reads the files one after the other, synchronously: for thousands of small files this is about
 * three times faster than promise-based reads (each of those is an open, a stat, a read and a close
 * sent to the thread pool one after another), and the workers cannot start before it is done.
 */
function readAll(root: string, files: readonly string[]): SourceFile[] {
  return files.map((file) => {
    try {
      return { path: file, content: readFileSync(path.join(root, file), "utf8") };
    } catch (error) {
      throw io(file, error);
    }
  });
}

function io(file: string, error: unknown): PortcullisError {
  return new IoError(`cannot read: ${messageOf(error)}`, {
    file,
    fix: "check that the file is readable",
    cause: error,
  });
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && "code" in error && error.code === code;
}
