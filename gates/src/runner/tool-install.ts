import { createHash } from "node:crypto";
import {
  chmodSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import {
  checksumFor,
  goInstallArgv,
  releaseAssetUrl,
  RELEASES_BASE,
  TOOL_SOURCES,
  type InstallableTool,
  type Platform,
  type ReleaseArchive,
} from "../tools/install-sources.js";
import { findOnPath, runProcess } from "./spawn.js";
import { cachedExecutable, INSTALL_MARKER, probe, toolVersionDir } from "./tool-lookup.js";

/**
 * `portcullis tools install`: puts the pinned version of a tool into the per-user cache. Sources,
 * in order: the official release archive, verified against the checksum file published with it;
 * `go install <module>@<version>` with the release version stamped in; `pip install` into a private
 * virtualenv. Everything is built in a staging folder and renamed into place only once the new
 * binary has answered its version command with the pin, so a failed or interrupted install leaves
 * nothing that lookups would use.
 */

type Env = Readonly<Record<string, string | undefined>>;

export interface InstallDeps {
  env: Env;
  platform: Platform;
  /** One progress line (no newline). */
  log: (line: string) => void;
  timeouts?: Partial<InstallTimeouts>;
}

export interface InstallTimeouts {
  /** Until a download's response headers arrive: an unreachable host fails fast. */
  connectMs: number;
  /** A whole download. */
  downloadMs: number;
  /** `go install` (trivy takes many minutes on two cores) or `pip install`. */
  buildMs: number;
}

export interface InstallResult {
  tool: InstallableTool;
  version: string;
  /** The installed executable. */
  file: string;
  source: "already installed" | "release archive" | "go install" | "pip";
  durationMs: number;
}

/** Every source failed: the message names each one and why. */
export class ToolInstallError extends Error {
  override readonly name = "ToolInstallError";
}

export const DEFAULT_TIMEOUTS: InstallTimeouts = { connectMs: 20_000, downloadMs: 10 * 60_000, buildMs: 40 * 60_000 };

/** Installs the pinned version of `tool` unless it is already in the cache. */
export async function installTool(tool: InstallableTool, deps: InstallDeps): Promise<InstallResult> {
  const started = performance.now();
  const sources = TOOL_SOURCES[tool];
  const timeouts = { ...DEFAULT_TIMEOUTS, ...deps.timeouts };
  const finalDir = toolVersionDir(deps.env, tool);
  const log = (line: string): void => deps.log(`${tool} ${sources.version}: ${line}`);
  const done = (source: InstallResult["source"], file: string): InstallResult => {
    const result = { tool, version: sources.version, file, source, durationMs: performance.now() - started };
    log(
      `${source === "already installed" ? "already installed" : `installed from ${source}`} in ${seconds(result.durationMs)} (${file})`,
    );
    return result;
  };

  const existing = cachedExecutable(deps.env, tool);
  if (existing !== undefined) {
    if ((await probe(existing, "cache", tool, deps.env)).version === sources.version)
      return done("already installed", existing);
    log(`the cached copy does not answer ${sources.version}: installing again`);
  }

  mkdirSync(path.dirname(finalDir), { recursive: true });
  const release = takeLock(`${finalDir}.lock`, tool);
  try {
    return await installFromSources(tool, { ...deps, log }, timeouts, done);
  } finally {
    release();
  }
}

// --- internal ---

async function installFromSources(
  tool: InstallableTool,
  deps: InstallDeps,
  timeouts: InstallTimeouts,
  done: (source: InstallResult["source"], file: string) => InstallResult,
): Promise<InstallResult> {
  const sources = TOOL_SOURCES[tool];
  const finalDir = toolVersionDir(deps.env, tool);
  const log = (line: string): void => deps.log(line);
  const failures: string[] = [];
  const attempts: { name: InstallResult["source"]; run: (staging: string) => Promise<string | undefined> }[] = [
    { name: "release archive", run: (staging) => fromRelease(tool, staging, { ...deps, log }, timeouts) },
    { name: "go install", run: (staging) => fromGoModule(tool, staging, { ...deps, log }, timeouts) },
  ];
  for (const attempt of attempts) {
    const staging = mkdtempSync(path.join(path.dirname(finalDir), `.${sources.version}.staging-`));
    try {
      const skipped = await attempt.run(staging);
      if (skipped !== undefined) {
        failures.push(`${attempt.name}: ${skipped}`);
        continue;
      }
      await checkInstalled(tool, staging, deps.env);
      writeMarker(staging, tool, attempt.name);
      rmSync(finalDir, { recursive: true, force: true });
      renameSync(staging, finalDir);
      return done(attempt.name, path.join(finalDir, "bin", sources.executable));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      failures.push(`${attempt.name}: ${reason}`);
      log(`${attempt.name} failed: ${reason}`);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  if (sources.pypi !== undefined) {
    // A virtualenv cannot be moved (its scripts name their own path): built in place, marked last.
    try {
      rmSync(finalDir, { recursive: true, force: true });
      await fromPypi(tool, finalDir, { ...deps, log }, timeouts);
      await checkInstalled(tool, finalDir, deps.env);
      writeMarker(finalDir, tool, "pip");
      return done("pip", path.join(finalDir, "bin", sources.executable));
    } catch (error) {
      rmSync(finalDir, { recursive: true, force: true });
      failures.push(`pip: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else failures.push("pip: not published on PyPI");
  if (sources.note !== undefined) failures.push(sources.note);
  throw new ToolInstallError(`${tool} ${sources.version} could not be installed:\n  - ${failures.join("\n  - ")}`);
}

/**
 * One install of a tool version at a time (two CI jobs on one runner share the cache): a lock file
 * holding the installer's pid. A lock whose process is gone is taken over.
 */
function takeLock(file: string, tool: InstallableTool): () => void {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new ToolInstallError(
          `another \`portcullis tools install\` (pid ${pid}) is installing ${tool}: wait for it, then run again`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new ToolInstallError(`cannot take the install lock ${file}: remove it if no install is running`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function fromRelease(
  tool: InstallableTool,
  staging: string,
  deps: InstallDeps,
  timeouts: InstallTimeouts,
): Promise<string | undefined> {
  const release = TOOL_SOURCES[tool].release?.(deps.platform);
  if (release === undefined) return `no release archive for ${deps.platform.os}-${deps.platform.arch}`;
  const mirror = deps.env["PORTCULLIS_TOOLS_MIRROR"];
  const base = mirror !== undefined && mirror !== "" ? mirror : RELEASES_BASE;
  const checksumsUrl = releaseAssetUrl(base, release, release.checksums);
  deps.log(`downloading ${checksumsUrl}`);
  const checksums = Buffer.from(await download(checksumsUrl, timeouts)).toString("utf8");
  const expected = checksumFor(checksums, release.asset);
  if (expected === undefined) throw new Error(`${release.checksums} does not list ${release.asset}`);
  const archiveUrl = releaseAssetUrl(base, release, release.asset);
  deps.log(`downloading ${archiveUrl}`);
  const archive = await download(archiveUrl, timeouts);
  const actual = createHash("sha256").update(archive).digest("hex");
  if (actual !== expected) {
    throw new Error(`${release.asset}: SHA-256 ${actual} does not match ${expected} from ${release.checksums}`);
  }
  deps.log(`verified SHA-256 ${actual} of ${release.asset} (${(archive.length / 1_048_576).toFixed(1)} MB)`);
  await extractBinary(archive, release, path.join(staging, "bin", TOOL_SOURCES[tool].executable));
  return undefined;
}

async function fromGoModule(
  tool: InstallableTool,
  staging: string,
  deps: InstallDeps,
  timeouts: InstallTimeouts,
): Promise<string | undefined> {
  const source = TOOL_SOURCES[tool].goModule;
  if (source === undefined) return "not a Go module Portcullis builds";
  const go = findOnPath("go", deps.env);
  if (go === undefined) return "no `go` on PATH (install Go 1.26 to build from source)";
  const args = goInstallArgv(source, TOOL_SOURCES[tool].version);
  mkdirSync(path.join(staging, "bin"), { recursive: true });
  deps.log(`building: go ${args.map(shellWord).join(" ")} (minutes on a small machine)`);
  const outcome = await withHeartbeat(deps, "building", () =>
    runProcess({
      executable: go,
      args,
      cwd: staging,
      // Static binaries, as the releases are; GOBIN puts the result in the staging folder.
      env: { ...deps.env, ...source.env, GOBIN: path.join(staging, "bin"), CGO_ENABLED: "0" },
      timeoutMs: timeouts.buildMs,
    }),
  );
  if (outcome.exitCode !== 0 || outcome.timedOut) {
    throw new Error(
      `go install ${outcome.timedOut ? "timed out" : `exited ${outcome.exitCode}`}: ${outcome.outputTail.join(" | ")}`,
    );
  }
  return undefined;
}

async function fromPypi(
  tool: InstallableTool,
  dir: string,
  deps: InstallDeps,
  timeouts: InstallTimeouts,
): Promise<void> {
  const sources = TOOL_SOURCES[tool];
  const python = findOnPath("python3", deps.env) ?? findOnPath("python", deps.env);
  if (python === undefined) throw new Error("no python3 on PATH (semgrep needs Python 3.9 or later)");
  const requirement = `${sources.pypi ?? tool}==${sources.version}`;
  deps.log(`pip install ${requirement} into a private virtualenv (${dir})`);
  for (const [executable, args] of [
    [python, ["-m", "venv", dir]],
    [
      path.join(dir, "bin", "python"),
      ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", requirement],
    ],
  ] as const) {
    const outcome = await withHeartbeat(deps, "installing", () =>
      runProcess({ executable, args, cwd: path.dirname(dir), env: deps.env, timeoutMs: timeouts.buildMs }),
    );
    if (outcome.exitCode !== 0 || outcome.timedOut) {
      throw new Error(
        `${path.basename(executable)} ${args.slice(0, 2).join(" ")} ${outcome.timedOut ? "timed out" : `exited ${outcome.exitCode}`}: ${outcome.outputTail.join(" | ")}`,
      );
    }
  }
}

/** The new binary must answer its version command with exactly the pin before it is kept. */
async function checkInstalled(tool: InstallableTool, dir: string, env: Env): Promise<void> {
  const file = path.join(dir, "bin", TOOL_SOURCES[tool].executable);
  if (!existsSync(file)) throw new Error(`${file} was not created`);
  const found = await probe(file, "cache", tool, env);
  if (found.version !== TOOL_SOURCES[tool].version) {
    throw new Error(
      `the installed ${tool} reports ${found.version ?? `no version (${found.problem ?? "unreadable output"})`}, not ${TOOL_SOURCES[tool].version}`,
    );
  }
}

function writeMarker(dir: string, tool: InstallableTool, source: InstallResult["source"]): void {
  const record = { tool, version: TOOL_SOURCES[tool].version, source, installedAt: new Date().toISOString() };
  writeFileSync(path.join(dir, INSTALL_MARKER), `${JSON.stringify(record, null, 2)}\n`);
}

/** Downloads a URL into memory, within the connect and total time limits; a short body is an error. */
async function download(url: string, timeouts: InstallTimeouts): Promise<Buffer> {
  const controller = new AbortController();
  const connect = setTimeout(
    () => controller.abort(new Error(`no response within ${seconds(timeouts.connectMs)}`)),
    timeouts.connectMs,
  );
  const total = setTimeout(
    () => controller.abort(new Error(`not complete within ${seconds(timeouts.downloadMs)}`)),
    timeouts.downloadMs,
  );
  try {
    const response = await fetch(url, { signal: controller.signal, redirect: "follow" });
    clearTimeout(connect);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    const body = Buffer.from(await response.arrayBuffer());
    const length = Number(response.headers.get("content-length") ?? Number.NaN);
    if (Number.isFinite(length) && body.length !== length) throw new Error(`got ${body.length} of ${length} bytes`);
    return body;
  } catch (error) {
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
    const cause = reason instanceof Error && reason.cause instanceof Error ? `: ${reason.cause.message}` : "";
    throw new Error(`${url}: ${reason instanceof Error ? reason.message : String(reason)}${cause}`, { cause: error });
  } finally {
    clearTimeout(connect);
    clearTimeout(total);
  }
}

/** Writes the archive's executable to `target` (mode 755); an archive without it is an error. */
async function extractBinary(archive: Buffer, release: ReleaseArchive, target: string): Promise<void> {
  mkdirSync(path.dirname(target), { recursive: true });
  const extract = tar.extract();
  let found = false;
  extract.on("entry", (header, stream, next) => {
    if (header.type === "file" && header.name.replace(/^\.\//, "") === release.binary) {
      found = true;
      pipeline(stream, createWriteStream(target, { mode: 0o755 })).then(() => next(), next);
    } else {
      stream.on("end", () => next());
      stream.resume();
    }
  });
  await pipeline(Readable.from([archive]), createGunzip(), extract);
  if (!found) throw new Error(`${release.asset} holds no ${release.binary}`);
  chmodSync(target, 0o755);
}

/** Prints "still <doing> (Nm)" every minute, so a long build shows it is alive in CI logs. */
async function withHeartbeat<T>(deps: InstallDeps, doing: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const timer = setInterval(() => deps.log(`still ${doing} (${seconds(performance.now() - started)})`), 60_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word}'`;
}

function seconds(ms: number): string {
  return ms >= 60_000
    ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
    : `${(ms / 1000).toFixed(1)}s`;
}
