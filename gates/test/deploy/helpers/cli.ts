import { spawn, type ChildProcess } from "node:child_process";
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
