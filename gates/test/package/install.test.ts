import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Report } from "../../src/model/report.js";
import { STAGE_TOOLS } from "../../src/runner/plan.js";
import { findOnPath } from "../../src/runner/spawn.js";
import { PORTCULLIS_VERSION } from "../../src/version.js";

/**
 * The package as npm would publish it, used as a new user would: `npm pack -w portcullis`, then
 * `npm install -D ./portcullis-<version>.tgz` in a fresh repository with no Portcullis files, then
 * `npx portcullis …` there. Real npm (dependencies from its cache or the registry), the real CLI.
 */

const execFileAsync = promisify(execFile);
const REPO_ROOT = new URL("../../../", import.meta.url).pathname;
const NPM = findOnPath("npm", process.env) ?? "npm";
const NPX = findOnPath("npx", process.env) ?? "npx";
const INSTALL_TIMEOUT_MS = 300_000;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function exec(
  file: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout: number },
): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync(file, [...args], {
      ...options,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = z.object({ code: z.number(), stdout: z.string(), stderr: z.string() }).safeParse(error);
    if (failed.success) return failed.data;
    throw error;
  }
}

const PackResult = z.array(z.object({ filename: z.string(), files: z.array(z.object({ path: z.string() })) }));

let scratch = "";
let app = "";
let packed: z.infer<typeof PackResult>[number] | undefined;
/** A PATH with node and nothing else: no scanner can be found. */
let bareBin = "";

beforeAll(async () => {
  if (
    !existsSync(path.join(REPO_ROOT, "gates", "dist", "cli", "main.js")) ||
    !existsSync(path.join(REPO_ROOT, "gates", "builtin"))
  ) {
    throw new Error("gates/dist or gates/builtin is missing: run `npm run build` first (npm test does)");
  }
  scratch = mkdtempSync(path.join(tmpdir(), "portcullis-package-"));
  // --ignore-scripts: prepack would rebuild dist/ and builtin/ under tests running beside this one;
  // `npm test` has just built them, and the prepack script is checked below.
  const pack = await exec(
    NPM,
    ["pack", "-w", "portcullis", "--pack-destination", scratch, "--ignore-scripts", "--json"],
    {
      cwd: REPO_ROOT,
      timeout: 120_000,
    },
  );
  expect(pack.code, pack.stderr).toBe(0);
  packed = PackResult.parse(JSON.parse(pack.stdout))[0];

  app = path.join(scratch, "app");
  mkdirSync(app);
  writeFileSync(
    path.join(app, "package.json"),
    `${JSON.stringify({ name: "app", version: "1.0.0", private: true }, null, 2)}\n`,
  );
  writeFileSync(path.join(app, "README.md"), "# App\n\nA repository that has never seen Portcullis.\n");
  const git = await exec(findOnPath("git", process.env) ?? "git", ["init", "-q"], { cwd: app, timeout: 30_000 });
  expect(git.code, git.stderr).toBe(0);
  const install = await exec(
    NPM,
    ["install", "-D", path.join(scratch, packed?.filename ?? ""), "--no-audit", "--no-fund", "--prefer-offline"],
    { cwd: app, timeout: INSTALL_TIMEOUT_MS },
  );
  expect(install.code, install.stderr).toBe(0);

  bareBin = path.join(scratch, "bin");
  mkdirSync(bareBin);
  symlinkSync(process.execPath, path.join(bareBin, "node"));
}, INSTALL_TIMEOUT_MS + 120_000);

afterAll(() => {
  if (scratch !== "") rmSync(scratch, { recursive: true, force: true });
});

/** `npx portcullis …` in the app, as its user types it. */
function npx(args: readonly string[], env: NodeJS.ProcessEnv = process.env, timeout = 120_000): Promise<Outcome> {
  return exec(NPX, ["--no-install", "portcullis", ...args], { cwd: app, env: { ...env, NO_COLOR: "1" }, timeout });
}

/** The installed bin with no scanner on PATH (npx itself needs npm on PATH, so the bin is run as npx would). */
function bare(args: readonly string[]): Promise<Outcome> {
  return exec(process.execPath, [path.join(app, "node_modules", ".bin", "portcullis"), ...args], {
    cwd: app,
    // An empty tools cache too: the scanners `portcullis tools install` put in the user's cache stay out of sight.
    env: { PATH: bareBin, HOME: process.env["HOME"], XDG_CACHE_HOME: path.join(scratch, "empty-cache"), NO_COLOR: "1" },
    timeout: 120_000,
  });
}

function reportJson(): Report {
  return Report.parse(JSON.parse(readFileSync(path.join(app, "reports", "report.json"), "utf8")));
}

describe("the packed package", () => {
  it("carries the CLI, the built-in environments and schema, the k6 scenarios, a README and the licence", () => {
    const files = new Set(packed?.files.map((file) => file.path));
    for (const file of [
      "package.json",
      "README.md",
      "LICENSE",
      "bin/portcullis.js",
      "dist/cli/main.js",
      "builtin/environments/development.yml",
      "builtin/environments/staging.yml",
      "builtin/environments/production.yml",
      "builtin/environments/schema.json",
      "builtin/scenarios/smoke.js",
      "builtin/scenarios/lib/sla.js",
    ])
      expect(files, file).toContain(file);
    expect([...files].filter((file) => file.startsWith("src/") || file.startsWith("test/"))).toEqual([]);
    const manifest = z
      .object({
        version: z.string(),
        repository: z.object({ url: z.string() }),
        scripts: z.record(z.string(), z.string()),
      })
      .parse(JSON.parse(readFileSync(path.join(REPO_ROOT, "gates", "package.json"), "utf8")));
    expect(manifest.version).toBe(PORTCULLIS_VERSION);
    expect(manifest.scripts["prepack"]).toBe("npm run build && npm run builtins");
  });

  it("installs as a dev dependency and runs as `npx portcullis`", async () => {
    const result = await npx(["--version"]);
    expect(result.stdout.trim()).toBe(PORTCULLIS_VERSION);
  });
});

describe("in a fresh repository with no Portcullis files", () => {
  let first: Report | undefined;

  it("`ci --env production` runs on the built-in policy: exit 1 with the install fix when scanners are missing", async () => {
    const result = await bare(["ci", "--env", "production"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("policy: built-in production policy of portcullis");
    expect(result.stdout).toContain("gitleaks not found on PATH or in the tools cache");
    expect(result.stdout).toContain("fix: run `npx portcullis tools install`, or run `dagger call ci`");
    first = reportJson();
    expect(first.passed).toBe(false);
    expect(first.policySource).toMatch(/^built-in production policy/);
  }, 120_000);

  it("judges the same findings when `ci` runs again", async () => {
    expect((await bare(["ci", "--env", "production"])).code).toBe(1);
    const second = reportJson();
    const judged = (report: Report | undefined) => ({
      findings: report?.findings.map((finding) => finding.fingerprint).sort(),
      verdicts: report?.verdicts.map((verdict) => `${verdict.gate} ${verdict.status}`),
    });
    expect(judged(second)).toEqual(judged(first));
  }, 120_000);

  it("exits by the verdict with the scanners this machine has (0 passed, 1 blocked)", async () => {
    const result = await npx(["ci", "--env", "production"], process.env, 900_000);
    const report = reportJson();
    expect(result.code, result.stderr).toBe(report.passed ? 0 : 1);
    // Every scanner on PATH ran: none of them is reported missing.
    for (const tool of new Set(Object.values(STAGE_TOOLS))) {
      if (findOnPath(tool, process.env) === undefined) continue;
      expect(result.stdout, tool).not.toContain(`${tool} not found on PATH`);
    }
  }, 900_000);

  it("`init` then `policy check` pass", async () => {
    const init = await npx(["init"]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain("created   environments/production.yml");
    const check = await npx(["policy", "check"]);
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).toContain("3 files valid");
    // From now on the repository's own production.yml judges.
    const again = await bare(["ci", "--env", "production"]);
    expect(again.stderr).toContain("policy: environments/production.yml\n");
  }, 240_000);
});
