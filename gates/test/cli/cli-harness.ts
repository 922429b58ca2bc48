import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { Report } from "../../src/model/report.js";

/** This area's own fixtures. */
export const FIXTURES = fileURLToPath(new URL("../fixtures/cli/", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const GATEKEEPER = path.join(FIXTURES, "environments", "gatekeeper.yml");
export const ADVISORY = path.join(FIXTURES, "environments", "advisory.yml");

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with a fake terminal: `portcullis <args…>`. */
export async function run(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; isTty?: boolean },
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? {},
    cwd: options.cwd,
    isTty: options.isTty ?? false,
  };
  const code = await main(["node", "portcullis", ...args], io);
  return { code, stdout, stderr };
}

/** report.json as printed by `--format json`, checked against its schema. */
export function reportOf(result: CliRun): Report {
  return Report.parse(JSON.parse(result.stdout));
}

/** `gate: status` for every gate, in report order. */
export function statuses(report: Report): Record<string, string> {
  return Object.fromEntries(report.verdicts.map((verdict) => [verdict.gate, verdict.status]));
}

/** A temporary folder removed after the current test. */
export function tempDir(prefix = "portcullis-cli-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Whether a process still runs (signal 0 only asks). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
