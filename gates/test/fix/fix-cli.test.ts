import path from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, run } from "../cli/cli-harness.js";
import { makeProject, trivyReport } from "./helpers/project.js";

const PRODUCTION = path.join(REPO_ROOT, "environments", "production.yml");
const manifest = { name: "app", version: "1.0.0", dependencies: { a: "^1.0.0" } };
const lockV3 = {
  name: "app",
  lockfileVersion: 3,
  packages: { "": { name: "app", dependencies: { a: "^1.0.0" } }, "node_modules/a": { version: "1.0.0" } },
};
const report = trivyReport([{ pkg: "a", installed: "1.0.0", id: "CVE-2026-9", severity: "HIGH", fixed: "1.0.1" }]);

describe("portcullis fix: usage and configuration (exit 2)", () => {
  it.each([
    {
      name: "a folder without a lockfile",
      files: { "package.json": manifest, "trivy.json": report },
      args: ["--report", "trivy=trivy.json"],
      message: /no lockfile fix can work with in "\."/,
    },
    {
      name: "a lockfile v1",
      files: {
        "package.json": manifest,
        "package-lock.json": { lockfileVersion: 1, dependencies: {} },
        "trivy.json": report,
      },
      args: ["--report", "trivy=trivy.json"],
      message: /package-lock\.json: not a package-lock\.json v2\/v3: .*lockfileVersion 2 or 3/,
    },
    {
      name: "another tool's report",
      files: { "package.json": manifest, "package-lock.json": lockV3, "gitleaks.json": "[]\n" },
      args: ["--report", "gitleaks=gitleaks.json"],
      message: /fix reads trivy reports/,
    },
    {
      name: "a report that is not trivy's",
      files: { "package.json": manifest, "package-lock.json": lockV3, "trivy.json": '{"runs": []}\n' },
      args: ["--report", "trivy=trivy.json"],
      message: /\[REPORT_WRONG_TOOL\] trivy\.json/,
    },
    {
      name: "no report and no trivy on PATH",
      files: { "package.json": manifest, "package-lock.json": lockV3 },
      args: [],
      message: /no report given and trivy is not installed — fix: pass --report trivy=<file>/,
    },
  ])("$name", async ({ files, args, message }) => {
    const dir = makeProject(files);
    const result = await run(["fix", ".", "--env", PRODUCTION, ...args], { cwd: dir, env: { PATH: "/nonexistent" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("npm-shrinkwrap.json is refused rather than half-fixed", async () => {
    const dir = makeProject({ "package.json": manifest, "package-lock.json": lockV3, "npm-shrinkwrap.json": lockV3 });
    writeFileSync(path.join(dir, "trivy.json"), report);
    const result = await run(["fix", ".", "--env", PRODUCTION, "--report", "trivy=trivy.json"], { cwd: dir, env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/npm-shrinkwrap\.json takes precedence/);
  });

  it("a yarn.lock beside package-lock.json is refused: npm would rewrite it where fix cannot restore it", async () => {
    const dir = makeProject({
      "package.json": manifest,
      "package-lock.json": lockV3,
      "yarn.lock": "# yarn lockfile v1\n",
    });
    writeFileSync(path.join(dir, "trivy.json"), report);
    const result = await run(["fix", ".", "--env", PRODUCTION, "--report", "trivy=trivy.json"], { cwd: dir, env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "yarn.lock beside package-lock.json: npm rewrites yarn.lock whenever it runs there",
    );
    expect(readFileSync(path.join(dir, "yarn.lock"), "utf8")).toBe("# yarn lockfile v1\n");
  });

  it.each([
    ["yarn.lock", "yarn"],
    ["pnpm-lock.yaml", "pnpm"],
  ])("a project with only %s is named as a %s project, which fix does not drive", async (file, manager) => {
    const dir = makeProject({ "package.json": manifest, [file]: "lockfile\n" });
    writeFileSync(path.join(dir, "trivy.json"), report);
    const result = await run(["fix", ".", "--env", PRODUCTION, "--report", "trivy=trivy.json"], { cwd: dir, env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`"." is a ${manager} project (${file}): fix supports npm (package-lock.json) only`);
  });
});
