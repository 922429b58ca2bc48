import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { main } from "../../../src/cli/main.js";
import { REPO_ROOT } from "./processes.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `portcullis` CLI in this process, as the bin would, with its own captured output. */
export async function cli(
  args: readonly string[],
  cwd: string,
  env: Record<string, string | undefined> = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "portcullis", ...args], {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: { ...process.env, ...env },
    cwd,
    isTty: false,
  });
  return { code, stdout, stderr };
}

/** Runs the CLI as its own process group (so SIGKILL hits the controller itself). */
export function cliProcess(args: readonly string[], cwd: string): { child: ChildProcess; output: () => string } {
  const entry = path.join(REPO_ROOT, "gates/test/deploy/helpers/cli-entry.ts");
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PORTCULLIS_TEST_CWD: cwd },
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  return { child, output: () => output };
}

/** The arguments every deploy command of a story takes: `<work>/staging.yml`, the two slots, `<work>/state`. */
export function storyArgs(work: string, slots: { blue: { url: string }; green: { url: string } }): string[] {
  return [
    "--env",
    path.join(work, "staging.yml"),
    "--blue",
    slots.blue.url,
    "--green",
    slots.green.url,
    "--state-dir",
    path.join(work, "state"),
  ];
}

/**
 * Writes a story's `<work>/staging.yml`: the command router over `<work>/weights` (all traffic on
 * blue to begin with), the `gates.performance` and `deploy` lines given.
 */
export async function writeStoryEnvironment(
  work: string,
  lines: { performance: readonly string[]; deploy: readonly string[] },
): Promise<void> {
  const weights = path.join(work, "weights");
  await writeFile(weights, "100 0");
  await writeFile(
    path.join(work, "staging.yml"),
    [
      "name: staging",
      "gates:",
      "  performance:",
      ...lines.performance.map((line) => `    ${line}`),
      "deploy:",
      "  router: command",
      `  command_set: "printf '%s %s' {blue} {green} > ${weights}"`,
      `  command_get: "cat ${weights}"`,
      ...lines.deploy.map((line) => `  ${line}`),
      "",
    ].join("\n"),
  );
}
