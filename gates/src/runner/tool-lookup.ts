import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import {
  readToolVersion,
  TOOL_SOURCES,
  versionFit,
  type InstallableTool,
  type VersionFit,
} from "../tools/install-sources.js";
import { findOnPath } from "./spawn.js";

/**
 * Finds the executable of each tool the host runner uses: PATH first, then Portcullis' tools cache
 * (`$XDG_CACHE_HOME/portcullis/tools/<tool>/<version>/bin/`). Each candidate's version command is
 * run and read; a candidate whose major.minor differs from the adapter's pin is never used, so a
 * gitleaks 7 on PATH is not taken for gitleaks 8.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** A binary found and asked for its version. */
export interface ToolCandidate {
  file: string;
  from: "PATH" | "cache";
  /** `x.y.z` read from the version command, undefined when it printed none or failed. */
  version?: string | undefined;
  fit: VersionFit;
  /** Raw stdout of the adapter's version command (recorded as `versions/<tool>.txt`). */
  versionOutput: string;
  /** Why the version command failed, when it did. */
  problem?: string | undefined;
}

export interface ToolLookup {
  tool: InstallableTool;
  pinned: string;
  status: "ok" | "missing" | "wrong-version";
  /** The candidate to run (status ok), or the first one found (wrong-version). */
  chosen?: ToolCandidate | undefined;
  /** Every candidate looked at, PATH first. */
  candidates: ToolCandidate[];
  /** What to do when the status is not ok. */
  fix?: string | undefined;
}

/** The per-user tools cache. */
export function toolsCacheDir(env: Env): string {
  const xdg = env["XDG_CACHE_HOME"];
  const base = xdg !== undefined && xdg !== "" ? xdg : path.join(env["HOME"] ?? ".", ".cache");
  return path.resolve(base, "portcullis", "tools");
}

/** `<cache>/<tool>/<version>`: one installed version of a tool. */
export function toolVersionDir(env: Env, tool: InstallableTool, version = TOOL_SOURCES[tool].version): string {
  return path.join(toolsCacheDir(env), tool, version);
}

/** Written last by `tools install`: a version folder without it is an interrupted install and is not used. */
export const INSTALL_MARKER = "portcullis-install.json";

/** The cached executable of the pinned version, when an install completed. */
export function cachedExecutable(env: Env, tool: InstallableTool): string | undefined {
  const dir = toolVersionDir(env, tool);
  const file = path.join(dir, "bin", TOOL_SOURCES[tool].executable);
  return existsSync(path.join(dir, INSTALL_MARKER)) && existsSync(file) ? file : undefined;
}

/** Looks a tool up and checks its version. Never throws. */
export async function lookupTool(tool: InstallableTool, env: Env): Promise<ToolLookup> {
  const sources = TOOL_SOURCES[tool];
  const files: { file: string; from: ToolCandidate["from"] }[] = [];
  const onPath = findOnPath(sources.executable, env);
  if (onPath !== undefined) files.push({ file: onPath, from: "PATH" });
  const cached = cachedExecutable(env, tool);
  if (cached !== undefined && cached !== onPath) files.push({ file: cached, from: "cache" });
  const candidates: ToolCandidate[] = [];
  for (const found of files) {
    const candidate = await probe(found.file, found.from, tool, env);
    candidates.push(candidate);
    if (candidate.fit !== "wrong")
      return { tool, pinned: sources.version, status: "ok", chosen: candidate, candidates };
  }
  const install = `run \`npx portcullis tools install ${tool}\``;
  const [first] = candidates;
  if (first === undefined) {
    return {
      tool,
      pinned: sources.version,
      status: "missing",
      candidates,
      fix: `${install} (installs ${tool} ${sources.version} into ${toolVersionDir(env, tool)})`,
    };
  }
  return {
    tool,
    pinned: sources.version,
    status: "wrong-version",
    chosen: first,
    candidates,
    fix: `${install}: the cached ${sources.version} is used when the one on PATH is not ${majorMinor(sources.version)}.x`,
  };
}

/** One line naming what was found and what is needed, for errors and the `tools` table. */
export function describeMismatch(lookup: ToolLookup): string {
  const found = lookup.chosen;
  if (found === undefined) return `${lookup.tool} not found on PATH or in the tools cache`;
  const version = found.version ?? `an unreadable version (${found.problem ?? "no x.y.z in its output"})`;
  return `${lookup.tool} ${version} at ${found.file}, but Portcullis needs ${lookup.tool} ${lookup.pinned} (${majorMinor(lookup.pinned)}.x)`;
}

// --- internal ---

/** Version commands answer within seconds; semgrep's Python start-up is the slowest. */
const VERSION_TIMEOUT_MS = 60_000;

/** Raw stdout of a version command; on failure, whatever it printed (possibly nothing). Never throws. */
export async function runVersionCommand(file: string, argv: readonly string[], env: Env): Promise<string> {
  return (await execVersion(file, argv, env)).stdout;
}

/** Runs one binary's version command and reads it against the pin. */
export async function probe(
  file: string,
  from: ToolCandidate["from"],
  tool: InstallableTool,
  env: Env,
): Promise<ToolCandidate> {
  const argv = TOOL_SOURCES[tool].versionArgv;
  const { stdout, problem } = await execVersion(file, argv, env);
  const version = problem === undefined ? readToolVersion(stdout) : undefined;
  return {
    file,
    from,
    version,
    fit: version === undefined ? "wrong" : versionFit(version, TOOL_SOURCES[tool].version),
    versionOutput: stdout,
    problem,
  };
}

/**
 * Runs a version command and keeps its stdout. Settles when the process exits (plus a moment for
 * the pipes to drain), not when its pipes close: semgrep leaves a background process holding
 * stdout for minutes. Version checks against the internet are turned off for the same reason.
 */
function execVersion(file: string, argv: readonly string[], env: Env): Promise<{ stdout: string; problem?: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, [...argv], {
      env: { ...definedOnly(env), ...NO_PHONE_HOME },
      stdio: ["ignore", "pipe", "pipe"],
      detached: process.platform !== "win32",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const settle = (problem?: string): void => {
      clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(
        problem === undefined
          ? { stdout }
          : { stdout, problem: `\`${path.basename(file)} ${argv.join(" ")}\` ${problem}` },
      );
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      settle(`did not answer within ${VERSION_TIMEOUT_MS / 1000}s`);
    }, VERSION_TIMEOUT_MS);
    child.on("error", (error) => settle(`could not start: ${error.message}`));
    child.on("exit", (code, signal) => {
      setTimeout(() => {
        const said = stderr.trim().split("\n").at(-1) ?? "";
        settle(code === 0 ? undefined : `failed (${signal ?? `exit ${code}`})${said === "" ? "" : `: ${said}`}`);
      }, 200);
    });
  });
}

/** Version commands must not call home (semgrep checks for a newer release unless told not to). */
const NO_PHONE_HOME = { SEMGREP_ENABLE_VERSION_CHECK: "0", SEMGREP_SEND_METRICS: "off" };

function majorMinor(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

function definedOnly(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
