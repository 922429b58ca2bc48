import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { unreadableFile } from "../../src/policy/load-files.js";
import { GATEKEEPER, REPO_ROOT, fixture, run, tempDir } from "./cli-harness.js";

/** tsx's loader, so a child Node runs the TypeScript sources. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

/** `portcullis <args after -->` from the TypeScript sources, in a process of its own. */
const CLI_FROM_SOURCE = `
const { main } = await import(${JSON.stringify(path.join(REPO_ROOT, "gates", "src", "cli", "main.ts"))});
process.exitCode = await main(["node", "portcullis", ...process.argv.slice(1)]);
`;

/**
 * Paths given on the command line that cannot be used: a folder where a file is expected, a
 * folder that cannot be created, a load target that is no URL. Each is a configuration or usage
 * error, exit 2 with the real cause, before anything is judged or run.
 */

function project(): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, "reports"));
  mkdirSync(path.join(dir, "a-folder"));
  copyFileSync(fixture("gitleaks.clean.json"), path.join(dir, "reports", "gitleaks.json"));
  return dir;
}

const REPORTS = ["--reports", "reports"];

describe("configuration paths", () => {
  it.each([
    ["--waivers", ["evaluate", "--env", GATEKEEPER, ...REPORTS, "--waivers", "a-folder"], "WAIVER_INVALID"],
    ["--baseline", ["evaluate", "--env", GATEKEEPER, ...REPORTS, "--baseline", "a-folder"], "BASELINE_INVALID"],
    ["--env", ["evaluate", "--env", "./a-folder", ...REPORTS], "POLICY_INVALID"],
  ])("evaluate %s naming a folder: exit 2, says it is a folder", async (_flag, args, code) => {
    const result = await run(args, { cwd: project() });
    expect(result.stderr).toBe(
      `portcullis: [${code}] a-folder: is a folder, expected a file — fix: give the path of the file itself, not of the folder holding it\n`,
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
  });

  it.each([["--controls"], ["--ledger"]])("evaluate %s naming a folder: exit 2, says it is a folder", async (flag) => {
    const dir = project();
    const result = await run(
      ["evaluate", "--env", fixture("environments/compliance.yml"), ...REPORTS, flag, "a-folder"],
      {
        cwd: dir,
      },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^portcullis: \[CONFIG_INVALID\] .*a-folder: is a folder, expected a file — fix: /);
  });

  it("an unreadable configuration file is a configuration error naming the cause, not the permissions of a guess", () => {
    const denied = Object.assign(new Error("EACCES: permission denied, open 'environments/staging.yml'"), {
      code: "EACCES",
    });
    const error = unreadableFile(denied, { code: "POLICY_INVALID", file: "environments/staging.yml" });
    expect(error.describe()).toBe(
      "[POLICY_INVALID] environments/staging.yml: cannot read: permission denied — fix: make the file readable by this user (chmod/chown)",
    );
  });

  it("policy check and evaluate give the same exit code and cause for a policy path that is a folder", async () => {
    const dir = project();
    const check = await run(["policy", "check", "./a-folder"], { cwd: dir });
    const evaluate = await run(["evaluate", "--env", "./a-folder", ...REPORTS], { cwd: dir });
    expect(check.code).toBe(2);
    expect(evaluate.code).toBe(check.code);
    expect(check.stdout).toContain("FAIL a-folder\n  is a folder, expected a file\n");
    expect(evaluate.stderr).toContain("a-folder: is a folder, expected a file");
  });

  it.each([
    ["an ftp URL", "ftp://x"],
    ["a word", "notaurl"],
    ["a URL without host", "http://"],
  ])("ci refuses --target %s with exit 2 before any stage runs", async (_name, target) => {
    const dir = project();
    const result = await run(["ci", ".", "--env", GATEKEEPER, "--target", target], { cwd: dir, env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^portcullis: \[USAGE\] --target: k6 BASE_URL must be an http\(s\) URL .*— fix: /);
    expect(result.stderr).not.toContain(`"${target}"`);
    expect(result.stderr).not.toContain("portcullis ci:");
  });

  // Node's recursive mkdir retries forever where the kernel answers ENOENT for an existing parent
  // (/proc): the CLI runs in a child process, so a spinning one is killed at the timeout and fails.
  it.each([
    ["evaluate", ["evaluate", "--env", GATEKEEPER, ...REPORTS, "--out", "/proc/portcullis-out"]],
    ["ci", ["ci", ".", "--env", GATEKEEPER, "--out", "/proc/portcullis-out/reports"]],
  ])(
    "%s refuses an --out under /proc within seconds, exit 2",
    (_command, args) => {
      const dir = project();
      const result = spawnSync(
        process.execPath,
        ["--import", TSX, "--input-type=module", "-e", CLI_FROM_SOURCE, "--", ...args],
        {
          cwd: dir,
          encoding: "utf8",
          env: { PATH: process.env["PATH"], NO_COLOR: "1" },
          timeout: 20_000,
        },
      );
      expect(result.signal).toBeNull();
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/--out: cannot create the folder \/proc\/portcullis-out: /);
    },
    30_000,
  );
});
