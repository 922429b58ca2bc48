import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { beforeAll } from "vitest";
import { runProcess, type ProcessOutcome } from "../../src/runner/spawn.js";
import { describeMismatch, lookupTool } from "../../src/runner/tool-lookup.js";
import type { InstallableTool } from "../../src/tools/install-sources.js";
import { tempDir } from "../cli/cli-harness.js";

/**
 * The real scanners, found the way the host runner finds them (PATH, then the tools cache) at the
 * pinned major.minor. Under CI=true a missing tool fails the tests that need it; elsewhere they are
 * skipped with one line saying how to install it.
 */

export interface RealTool {
  /** The executable, or undefined when the tests are skipped. */
  file: string | undefined;
  /** True when the tests run (the tool is there, or CI=true makes its absence a failure). */
  runs: boolean;
}

export async function realTool(tool: InstallableTool): Promise<RealTool> {
  const lookup = await lookupTool(tool, process.env);
  if (lookup.status === "ok") return { file: lookup.chosen?.file, runs: true };
  const why = `${describeMismatch(lookup)} — ${lookup.fix ?? ""}`;
  if (process.env["CI"] === "true") {
    beforeAll(() => {
      throw new Error(`real ${tool} tests: ${why}`);
    });
    return { file: undefined, runs: true };
  }
  console.log(`skipping the real ${tool} tests: ${why}`);
  return { file: undefined, runs: false };
}

/** Runs a tool with the adapter's argv (the Dagger module's too), in `cwd`, within a minute by default. */
export function runTool(
  file: string | undefined,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal; stderrFile?: string },
): Promise<ProcessOutcome> {
  if (file === undefined) throw new Error("the tool is not installed");
  return runProcess({
    executable: file,
    args,
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    timeoutMs: options.timeoutMs ?? 120_000,
    signal: options.signal,
    stderrFile: options.stderrFile,
  });
}

/** A folder with files (path -> content), created fresh for one test. */
export function project(prefix: string, files: Readonly<Record<string, string>>): string {
  const dir = tempDir(prefix);
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
}

/** `git …` in `dir` with a fixed identity, so commits need no user configuration. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "Test Author",
      GIT_AUTHOR_EMAIL: "author@example.test",
      GIT_COMMITTER_NAME: "Test Author",
      GIT_COMMITTER_EMAIL: "author@example.test",
      GIT_CONFIG_GLOBAL: "/dev/null",
    },
  });
}

export function read(file: string): string {
  return readFileSync(file, "utf8");
}

/** A local port nothing listens on: a registry or mirror that cannot be reached, at once. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
