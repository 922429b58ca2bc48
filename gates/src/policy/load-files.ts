import { closeSync, fstatSync, openSync, readFileSync, readSync, readdirSync } from "node:fs";
import path from "node:path";
import { ConfigError, InternalError, UsageError, messageOf, quote, type FamilyCode } from "../errors.js";
import { startWorker } from "../worker-thread.js";
import { BaselineResponse } from "./baseline-protocol.js";
import { fingerprintsByLine, parseWholeBaseline } from "./baseline.js";
import { PORTCULLIS_VERSION } from "../version.js";
import { BUILTIN_ENVIRONMENTS_DIR } from "./builtin.js";
import { ENVIRONMENTS_DIR, resolveEnvironmentRef, unknownEnvironment } from "./environment-ref.js";
import { parsePolicy, policyHash } from "./parse-policy.js";
import type { EnvironmentPolicy } from "./schema.js";
import { parseWaivers, type ParsedWaivers, type WaiverOptions } from "./waivers.js";
import { insideRelative } from "../paths.js";

/**
 * The file-reading edge of the policy layer: reads, then hands text to the pure parsers. Paths in
 * errors are shown relative to the root when inside it, as the user would type them.
 */

/** Where waivers are read from when `--waivers` is not given, relative to the repository root. */
export const DEFAULT_WAIVERS_FILE = ".portcullis/waivers.yml";

export interface LoadedPolicy {
  policy: EnvironmentPolicy;
  /** The file it came from, as shown to the user. */
  file: string;
  /** policyHash(policy), for the report. */
  hash: string;
  /**
   * Which policy this is, in words: the repository's file or the built-in one (with the version of
   * Portcullis it ships with), so a verdict never leaves the user guessing which rules judged it.
   */
  source: string;
}

/** A policy file found for `--env`, before it is parsed. */
export interface FoundEnvironment {
  /** Absolute path. */
  file: string;
  /** As shown to the user. */
  shown: string;
  source: string;
  text: string;
}

/**
 * Finds `--env <name|path>` (see resolveEnvironmentRef): a name is `<root>/environments/<name>.yml`,
 * else the built-in policy of that name; an unknown name lists what both places hold.
 */
export function findEnvironment(ref: string, root: string): FoundEnvironment {
  const resolved = resolveEnvironmentRef(ref, root);
  const file = display(resolved.file, root);
  const text = readOptional(resolved.file, file, "POLICY_INVALID");
  if (text !== undefined) {
    return { file: resolved.file, shown: file, text, source: file };
  }
  if (resolved.kind === "path") {
    throw new UsageError("USAGE", "policy file not found", {
      file,
      fix: "check the path (relative to the current directory)",
    });
  }
  const misnamed = misnamedEnvironmentFile(path.dirname(resolved.file), resolved.name);
  if (misnamed !== undefined) {
    // Falling back to the built-in policy here would judge by a laxer one than the team wrote.
    const shown = display(path.join(path.dirname(resolved.file), misnamed), root);
    const stem = misnamed.replace(/\.ya?ml$/i, "");
    // `--env Production` beside production.yml is a typo of the name, not of the file.
    const fix =
      stem !== resolved.name && misnamed.endsWith(".yml")
        ? `use --env ${stem}`
        : `rename it to ${file}, or pass it as --env ${shown}`;
    throw new UsageError(
      "USAGE",
      `not read as environment ${quote(resolved.name)}: its file must be named ${resolved.name}.yml`,
      { file: shown, fix },
    );
  }
  const builtin = readOptional(resolved.builtinFile, resolved.builtinFile, "POLICY_INVALID");
  if (builtin === undefined) {
    throw unknownEnvironment(resolved.name, {
      folder: display(path.join(root, ENVIRONMENTS_DIR), root),
      repository: listEnvironments(root),
      builtin: builtinEnvironments(),
    });
  }
  return {
    file: resolved.builtinFile,
    shown: resolved.builtinFile,
    text: builtin,
    source: `built-in ${resolved.name} policy of portcullis ${PORTCULLIS_VERSION} (no ${file} in this repository)`,
  };
}

/** Loads `--env <name|path>` (see findEnvironment) and parses it. */
export function loadEnvironment(ref: string, root: string): LoadedPolicy {
  const found = findEnvironment(ref, root);
  const policy = parsePolicy(found.text, found.shown);
  return { policy, file: found.shown, hash: policyHash(policy), source: found.source };
}

/** Names of the built-in environments the package ships, sorted. */
export function builtinEnvironments(): string[] {
  return ymlFiles(BUILTIN_ENVIRONMENTS_DIR, BUILTIN_ENVIRONMENTS_DIR).map((file) => path.basename(file, ".yml"));
}

/** Names of the environments defined under `<root>/environments/` (`*.yml`), sorted. */
export function listEnvironments(root: string): string[] {
  return environmentFiles(root).map((file) => path.basename(file, ".yml"));
}

/** Absolute paths of `<root>/environments/*.yml`, sorted; empty when the folder is absent. */
export function environmentFiles(root: string): string[] {
  return ymlFiles(path.join(root, ENVIRONMENTS_DIR), root);
}

/**
 * Loads waivers: `file` when given (it must exist), else DEFAULT_WAIVERS_FILE under root when it
 * exists, else none.
 */
export function loadWaivers(options: WaiverOptions & { root: string; file?: string | undefined }): ParsedWaivers {
  const absolute = path.resolve(options.root, options.file ?? DEFAULT_WAIVERS_FILE);
  const file = display(absolute, options.root);
  const text = readOptional(absolute, file, "WAIVER_INVALID");
  if (text === undefined && options.file !== undefined) {
    throw missing("WAIVER_INVALID", file, "check the path given to --waivers");
  }
  if (text === undefined) return { waivers: [], problems: [] };
  return parseWaivers(text, file, options);
}

/** Loads `--baseline <report.json>`; a missing file is an error, never an empty baseline. */
export function loadBaseline(file: string, root: string): Set<string> {
  const absolute = path.resolve(root, file);
  const shown = display(absolute, root);
  // A report.json as Portcullis writes it is read a line at a time: a baseline of 100,000 findings
  // would otherwise cost more memory than the report being judged. Anything else is read whole.
  const byLine = readFileLines(absolute, fingerprintsByLine);
  if (byLine !== undefined) return byLine;
  const text = readOptional(absolute, shown, "BASELINE_INVALID");
  if (text === undefined) {
    throw missing("BASELINE_INVALID", shown, "check the path given to --baseline (a report.json from a previous run)");
  }
  return parseWholeBaseline(text, shown);
}

/**
 * `read` over the file's lines, read a megabyte at a time; undefined when the file cannot be read
 * (the caller reads it whole, which names the problem). Decoded as readFileSync does: invalid bytes
 * become U+FFFD and a byte-order mark is kept.
 */
export function readFileLines<T>(absolute: string, read: (lines: Iterable<string>) => T | undefined): T | undefined {
  let fd: number;
  try {
    fd = openSync(absolute, "r");
  } catch {
    return undefined;
  }
  try {
    // A pipe or a device can be read only once: the whole read must have it.
    if (!fstatSync(fd).isFile()) return undefined;
    return read(linesOf(fd));
  } catch (error) {
    // A read that failed (a folder, an I/O error) or a line too long to be one of ours; anything
    // else is a bug and goes on.
    if (error instanceof LineTooLong || (error instanceof Error && "syscall" in error)) return undefined;
    throw error;
  } finally {
    closeSync(fd);
  }
}

/**
 * loadBaseline in a worker thread, so that a large baseline is read while the reports are. Returns
 * the wait for it: the same fingerprints, or the same BASELINE_INVALID error. Until the wait
 * begins the thread does not keep the process alive, so a command that fails before it needs the
 * baseline ends at once.
 */
export function loadBaselineInBackground(file: string, root: string): () => Promise<Set<string>> {
  const worker = startWorker(import.meta.url, "baseline-worker", {
    workerData: { file, root },
    // Each finding line's objects die at once: a small young generation keeps the thread's memory
    // low beside the reports being read (about 25 MB less at its peak on 100,000 findings).
    resourceLimits: { maxYoungGenerationSizeMb: 16 },
  });
  let waited = false;
  worker.unref();
  // Node 20 references a thread again when it comes online: unreferenced once more then.
  worker.once("online", () => {
    if (!waited) worker.unref();
  });
  const answer = new Promise<Set<string>>((resolve, reject) => {
    worker.once("message", (message: unknown) => {
      const response = BaselineResponse.safeParse(message);
      if (!response.success) reject(new InternalError("the baseline worker answered out of protocol"));
      else if ("fingerprints" in response.data) resolve(new Set(response.data.fingerprints));
      else {
        const { message: text, file: shown, fix } = response.data.problem;
        reject(new ConfigError("BASELINE_INVALID", text, { file: shown, fix }));
      }
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new InternalError(`the baseline worker exited (${code}) without an answer`)));
  });
  // Thrown to whoever waits; unwaited (the command failed first), it is nobody's.
  answer.catch(() => undefined);
  return () => {
    waited = true;
    worker.ref();
    return answer;
  };
}

/**
 * A configuration file (or folder) that exists but cannot be read: a configuration error under the
 * file's own code (exit 2, whichever command reads it), naming the real cause. A folder given where
 * a file is expected says so instead of blaming permissions.
 */
export function unreadableFile(
  error: unknown,
  options: { code: FamilyCode<"config">; file: string; what?: "file" | "folder" },
): ConfigError {
  const what = options.what ?? "file";
  const code = error instanceof Error && "code" in error ? error.code : undefined;
  const [message, fix] =
    code === "EISDIR"
      ? ["is a folder, expected a file", "give the path of the file itself, not of the folder holding it"]
      : code === "EACCES" || code === "EPERM"
        ? [`cannot read: permission denied`, `make the ${what} readable by this user (chmod/chown)`]
        : [`cannot read: ${messageOf(error)}`, `check that the path names a readable ${what}`];
  return new ConfigError(options.code, message, { file: options.file, fix, cause: error });
}

// --- internal ---

/** `staging.yaml`, `Staging.yml`: a file in the folder meant as the environment but not named `<name>.yml`. */
function misnamedEnvironmentFile(dir: string, name: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const wanted = [`${name}.yml`, `${name}.yaml`].map((candidate) => candidate.toLowerCase());
  return names.sort().find((candidate) => wanted.includes(candidate.toLowerCase()) && candidate !== `${name}.yml`);
}

function ymlFiles(dir: string, root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if (isMissing(error)) return [];
    throw unreadableFile(error, { code: "POLICY_INVALID", file: display(dir, root), what: "folder" });
  }
  return names
    .filter((name) => name.endsWith(".yml"))
    .sort()
    .map((name) => path.join(dir, name));
}

/** Longer than any line Portcullis writes: a file on one line (minified) is left to the whole read. */
const MAX_LINE_CHARS = 16_000_000;

class LineTooLong extends Error {}

/** Only each new piece is split: a long line is carried over, never scanned again. */
function* linesOf(fd: number): Generator<string> {
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const buffer = Buffer.allocUnsafe(1 << 20);
  let carried = "";
  for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
    const lines = decoder.decode(buffer.subarray(0, read), { stream: true }).split("\n");
    const last = lines.pop() ?? "";
    if (lines.length > 0) {
      yield carried + (lines[0] ?? "");
      for (let index = 1; index < lines.length; index += 1) yield lines[index] ?? "";
      carried = last;
    } else {
      carried += last;
    }
    if (carried.length > MAX_LINE_CHARS) throw new LineTooLong();
  }
  yield carried + decoder.decode();
}

/** A UTF-8 file's text, or undefined when it does not exist. */
function readOptional(absolute: string, shown: string, code: FamilyCode<"config">): string | undefined {
  try {
    return readFileSync(absolute, "utf8");
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw unreadableFile(error, { code, file: shown });
  }
}

function missing(code: FamilyCode<"config">, file: string, fix: string): ConfigError {
  return new ConfigError(code, "file not found", { file, fix });
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && "code" in error && (error.code === "ENOENT" || error.code === "ENOTDIR");
}

function display(absolute: string, root: string): string {
  return insideRelative(root, absolute) ?? absolute;
}
