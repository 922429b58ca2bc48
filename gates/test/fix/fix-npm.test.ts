import { execFile, spawn } from "node:child_process";
import { createServer } from "node:http";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Report } from "../../src/model/report.js";
import { REPO_ROOT, run } from "../cli/cli-harness.js";
import { lockPackages, makeProject, npm, readJson, treeDigest, trivyReport, type Advisory } from "./helpers/project.js";
import { startRegistry, type LocalRegistry } from "./helpers/registry.js";

/*
 * `portcullis fix` with the real npm against a real registry (verdaccio, started per test on
 * 127.0.0.1 with no uplink). Each test publishes the versions it needs, builds a project whose
 * lockfile npm itself resolved while only the vulnerable versions existed, then publishes the fixes.
 */

const PRODUCTION = path.join(REPO_ROOT, "environments", "production.yml");
const TIMEOUT = 120_000;

let registry: LocalRegistry;
beforeEach(async () => {
  registry = await startRegistry();
});
afterEach(async () => {
  await registry.close();
});

/** A project whose package-lock.json npm resolved from the registry as it is now. */
async function project(files: Record<string, unknown>, lockfileVersion: 2 | 3 = 3): Promise<string> {
  const dir = makeProject(files);
  await npm(
    ["install", "--package-lock-only", "--ignore-scripts", `--lockfile-version=${lockfileVersion}`],
    dir,
    registry.env,
  );
  return dir;
}

async function fix(dir: string, advisories: readonly Advisory[], ...flags: string[]) {
  // Outside the project, so that the project tree holds only what npm and fix write.
  const report = writeReport(advisories);
  return run(["fix", ".", "--report", `trivy=${report}`, "--env", PRODUCTION, "--no-rescan", ...flags], {
    cwd: dir,
    env: registry.env,
  });
}

function fixReport(dir: string): Report {
  return Report.parse(JSON.parse(readFileSync(path.join(dir, "reports", "fix", "report.json"), "utf8")));
}

describe("portcullis fix (npm, real registry)", () => {
  it(
    "upgrades direct dependencies to the lowest fixing version of their line, keeping each range's style, workspaces included",
    async () => {
      await registry.publish("left-pad", "1.0.0");
      await registry.publish("tilde-dep", "2.3.0");
      await registry.publish("exact-dep", "3.0.0");
      const dir = await project({
        "package.json": {
          name: "app",
          version: "1.0.0",
          private: true,
          workspaces: ["packages/*"],
          dependencies: { "left-pad": "^1.0.0", "exact-dep": "3.0.0" },
        },
        "packages/api/package.json": { name: "api", version: "1.0.0", devDependencies: { "tilde-dep": "~2.3.0" } },
      });
      for (const version of ["1.0.1", "1.0.2", "1.1.0", "2.0.0", "2.0.1"]) await registry.publish("left-pad", version);
      for (const version of ["2.3.1", "2.3.2"]) await registry.publish("tilde-dep", version);
      await registry.publish("exact-dep", "3.0.4");

      const result = await fix(dir, [
        { pkg: "left-pad", installed: "1.0.0", id: "CVE-2026-0001", severity: "HIGH", fixed: "2.0.1, 1.0.1" },
        { pkg: "tilde-dep", installed: "2.3.0", id: "CVE-2026-0002", severity: "CRITICAL", fixed: "2.3.1" },
        { pkg: "exact-dep", installed: "3.0.0", id: "GHSA-aaaa-bbbb-cccc", severity: "HIGH", fixed: "3.0.4" },
      ]);

      expect(result.stderr).not.toContain("failed");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("vulnerabilities: fail → pass (predicted)");
      expect(readJson(dir, "package.json")["dependencies"]).toEqual({ "left-pad": "^1.0.1", "exact-dep": "3.0.4" });
      expect(readJson(dir, "packages/api/package.json")["devDependencies"]).toEqual({ "tilde-dep": "~2.3.1" });
      const lock = lockPackages(dir);
      expect(lock["node_modules/left-pad"]?.version).toBe("1.0.1");
      expect(lock["node_modules/tilde-dep"]?.version).toBe("2.3.1");
      expect(lock["node_modules/exact-dep"]?.version).toBe("3.0.4");
    },
    TIMEOUT,
  );

  it(
    "fixes a transitive-only package with an overrides entry in a v2 lockfile, leaving a copy of another major where it is",
    async () => {
      await registry.publish("deep", "1.4.0");
      await registry.publish("deep", "2.0.0");
      await registry.publish("parent", "1.0.0", { deep: "^1.4.0" });
      await registry.publish("other", "1.0.0", { deep: "^2.0.0" });
      const dir = await project(
        {
          "package.json": { name: "app", version: "1.0.0", dependencies: { parent: "^1.0.0", other: "^1.0.0" } },
        },
        2,
      );
      for (const version of ["1.4.1", "1.4.2"]) await registry.publish("deep", version);

      const result = await fix(dir, [
        { pkg: "deep", installed: "1.4.0", id: "CVE-2026-0003", severity: "HIGH", fixed: "1.4.1" },
      ]);

      expect(result.code).toBe(0);
      expect(readJson(dir, "package.json")["overrides"]).toEqual({ "deep@1.4.0": "1.4.1" });
      expect(readJson(dir, "package-lock.json")["lockfileVersion"]).toBe(2);
      const lock = lockPackages(dir);
      const deep = Object.entries(lock)
        .filter(([location]) => location.endsWith("node_modules/deep"))
        .map(([, entry]) => entry.version);
      expect(deep.sort()).toEqual(["1.4.1", "2.0.0"]);
      expect(result.stdout).toContain("vulnerabilities: fail → pass");
    },
    TIMEOUT,
  );

  it(
    "overrides a transitive copy of a package the root declares in another major (npm takes that key), lists one an existing override holds",
    async () => {
      await registry.publish("deep", "1.4.0");
      await registry.publish("deep", "2.0.0");
      await registry.publish("held", "1.0.0");
      await registry.publish("parent", "1.0.0", { deep: "1.4.0", held: "^1.0.0" });
      const dir = await project({
        "package.json": {
          name: "app",
          version: "1.0.0",
          dependencies: { parent: "^1.0.0", deep: "^2.0.0" },
          overrides: { parent: { held: "1.0.0" } },
        },
      });
      await registry.publish("deep", "1.4.1");
      await registry.publish("held", "1.0.1");

      const result = await fix(dir, [
        { pkg: "deep", installed: "1.4.0", id: "CVE-2026-0030", severity: "HIGH", fixed: "1.4.1" },
        { pkg: "held", installed: "1.0.0", id: "CVE-2026-0031", severity: "HIGH", fixed: "1.0.1" },
      ]);

      expect(result.stderr).not.toContain("revert");
      expect(readJson(dir, "package.json")["overrides"]).toEqual({ parent: { held: "1.0.0" }, "deep@1.4.0": "1.4.1" });
      const lock = lockPackages(dir);
      expect(lock["node_modules/deep"]?.version).toBe("2.0.0");
      expect(lock["node_modules/parent/node_modules/deep"]?.version).toBe("1.4.1");
      expect(lock["node_modules/held"]?.version).toBe("1.0.0");
      expect(result.stdout).toContain(
        'held 1.0.0, CVE-2026-0031 (high): package.json\'s overrides.parent.held already sets held to "1.0.0"',
      );
      expect(result.code).toBe(1);
    },
    TIMEOUT,
  );

  it(
    "overrides a package a workspace reaches through a chain (workspace → top → mid → deep), as npm resolves it again",
    async () => {
      await registry.publish("deep", "1.4.0");
      await registry.publish("mid", "1.0.0", { deep: "^1.4.0" });
      await registry.publish("top", "1.0.0", { mid: "^1.0.0" });
      const dir = await project({
        "package.json": { name: "app", version: "1.0.0", private: true, workspaces: ["packages/*"] },
        "packages/api/package.json": { name: "api", version: "1.0.0", dependencies: { top: "^1.0.0" } },
      });
      await registry.publish("deep", "1.4.1");

      const result = await fix(dir, [
        { pkg: "deep", installed: "1.4.0", id: "CVE-2026-0040", severity: "HIGH", fixed: "1.4.1" },
      ]);

      expect(result.stderr).not.toContain("nothing was kept");
      expect(result.code).toBe(0);
      const lock = lockPackages(dir);
      expect([lock["node_modules/top"]?.version, lock["node_modules/mid"]?.version]).toEqual(["1.0.0", "1.0.0"]);
      expect(lock["node_modules/deep"]?.version).toBe("1.4.1");
    },
    TIMEOUT,
  );

  it(
    "reverts when a package it had npm resolve again came back newer, and says how to take that release first",
    async () => {
      await registry.publish("deep", "1.4.0");
      await registry.publish("bumped", "1.0.0", { deep: "^1.4.0" });
      const dir = await project({
        "package.json": { name: "app", version: "1.0.0", private: true, workspaces: ["packages/*"] },
        "packages/api/package.json": { name: "api", version: "1.0.0", dependencies: { bumped: "^1.0.0" } },
      });
      await registry.publish("deep", "1.4.1");
      await registry.publish("bumped", "1.0.1", { deep: "^1.4.0" });
      const before = treeDigest(dir);
      const advisories: Advisory[] = [
        { pkg: "deep", installed: "1.4.0", id: "CVE-2026-0041", severity: "HIGH", fixed: "1.4.1" },
      ];

      const refused = await fix(dir, advisories);

      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("bumped 1.0.0 → 1.0.1 (node_modules/bumped)");
      expect(refused.stderr).toContain("`npm update bumped --package-lock-only --ignore-scripts`");
      expect(refused.stderr).not.toContain("Bring package-lock.json in line");
      expect(treeDigest(dir)).toEqual(before);

      // What the message says to do, then fix again: the override applies and nothing else moves.
      await npm(["update", "bumped", "--package-lock-only", "--ignore-scripts"], dir, registry.env);
      const again = await fix(dir, advisories);
      expect(again.stderr).not.toContain("nothing was kept");
      expect(again.code).toBe(0);
      expect(lockPackages(dir)["node_modules/deep"]?.version).toBe("1.4.1");
    },
    TIMEOUT,
  );

  it(
    "Done when: a repository blocked by its trivy report gets a lockfile that `npm ci` installs and the re-judged gate passes",
    async () => {
      await registry.publish("web-lib", "4.2.0");
      await registry.publish("util-core", "0.3.0");
      await registry.publish("framework", "1.0.0", { "util-core": "^0.3.0" });
      const dir = await project({
        "package.json": {
          name: "shop",
          version: "1.0.0",
          private: true,
          workspaces: ["packages/*"],
          dependencies: { "web-lib": "^4.2.0" },
        },
        "packages/checkout/package.json": { name: "checkout", version: "1.0.0", dependencies: { framework: "^1.0.0" } },
      });
      await registry.publish("web-lib", "4.2.3");
      await registry.publish("util-core", "0.3.5");
      const advisories: Advisory[] = [
        { pkg: "web-lib", installed: "4.2.0", id: "CVE-2026-1000", severity: "CRITICAL", fixed: "4.2.3" },
        { pkg: "util-core", installed: "0.3.0", id: "CVE-2026-1001", severity: "HIGH", fixed: "0.3.5" },
      ];
      const blocked = await run(
        ["evaluate", "--env", PRODUCTION, "--report", `trivy=${writeReport(advisories)}`, "--format", "json"],
        { cwd: dir },
      );
      const verdict = Report.parse(JSON.parse(blocked.stdout)).verdicts.find(
        (entry) => entry.gate === "vulnerabilities",
      );
      expect(verdict).toMatchObject({ status: "fail", blocking: true });

      const result = await fix(dir, advisories);

      expect(result.stdout + result.stderr).toContain("vulnerabilities: fail → pass");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("vulnerabilities: fail → pass (predicted)");
      const report = fixReport(dir);
      expect(report.verdicts.find((entry) => entry.gate === "vulnerabilities")).toMatchObject({
        status: "pass",
        blocking: false,
      });
      expect(report.prediction?.basis).toContain("package-lock.json");
      const body = readFileSync(path.join(dir, "reports", "fix", "pull-request.md"), "utf8");
      expect(body).toContain("| `web-lib` | 4.2.0 | 4.2.3 |");
      expect(body).toContain("CVE-2026-1001 (high)");
      expect(body).toContain("| vulnerabilities | fail | pass |");
      await git(dir, "init", "-q");
      await git(dir, "apply", "--check", "-R", path.join("reports", "fix", "fix.patch"));

      await npm(["ci", "--ignore-scripts"], dir, registry.env);
      expect(readJson(dir, "node_modules/web-lib/package.json")["version"]).toBe("4.2.3");
      expect(readJson(dir, "node_modules/util-core/package.json")["version"]).toBe("0.3.5");
    },
    TIMEOUT,
  );

  it(
    "scrubs the report's secrets from the report's path in pull-request.md and report.json",
    async () => {
      await registry.publish("web-lib", "4.2.0");
      const dir = await project({
        "package.json": { name: "app", version: "1.0.0", dependencies: { "web-lib": "^4.2.0" } },
      });
      await registry.publish("web-lib", "4.2.3");
      // A token trivy found unmasked, which also names the folder the report was saved in.
      const token = ["ghp_", "Zq8vK2mWx4Rt6Yu1Io3Pa5Sd7Fg9Hj0Kl2Nb"].join("");
      const report = JSON.parse(
        trivyReport([{ pkg: "web-lib", installed: "4.2.0", id: "CVE-2026-1000", severity: "HIGH", fixed: "4.2.3" }]),
      ) as { Results: Record<string, unknown>[] };
      report.Results.push({
        Target: ".env",
        Class: "secret",
        Secrets: [
          {
            RuleID: "github-pat",
            Category: "GitHub",
            Severity: "CRITICAL",
            Title: "GitHub PAT",
            StartLine: 1,
            EndLine: 1,
            Match: token,
          },
        ],
      });
      const folder = path.join(makeProject({}), token);
      mkdirSync(folder);
      writeFileSync(path.join(folder, "trivy.json"), JSON.stringify(report));

      await run(
        ["fix", ".", "--report", `trivy=${path.join(folder, "trivy.json")}`, "--env", PRODUCTION, "--no-rescan"],
        {
          cwd: dir,
          env: registry.env,
        },
      );

      const body = readFileSync(path.join(dir, "reports", "fix", "pull-request.md"), "utf8");
      expect(body).toContain("| `web-lib` | 4.2.0 | 4.2.3 |");
      expect(body).toContain("REDACTED/trivy.json");
      expect(body).not.toContain(token);
      expect(fixReport(dir).prediction?.basis).toContain("REDACTED/trivy.json");
      expect(readFileSync(path.join(dir, "reports", "fix", "report.json"), "utf8")).not.toContain(token);
    },
    TIMEOUT,
  );

  it(
    "lists a fix that needs a new major without applying it, and applies it with --allow-major",
    async () => {
      await registry.publish("old-major", "1.9.0");
      const dir = await project({
        "package.json": { name: "app", version: "1.0.0", dependencies: { "old-major": "^1.9.0" } },
      });
      await registry.publish("old-major", "2.0.0");
      await registry.publish("old-major", "2.1.0");
      const advisories: Advisory[] = [
        { pkg: "old-major", installed: "1.9.0", id: "CVE-2026-2000", severity: "HIGH", fixed: "2.1.0" },
      ];
      const before = treeDigest(dir);

      const refused = await fix(dir, advisories);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain("old-major 1.9.0, CVE-2026-2000 (high): only 2.1.0, a new major, fixes it");
      expect(refused.stdout).toContain("vulnerabilities: fail → fail");
      expect(treeDigest(dir)).toEqual(before);

      const allowed = await fix(dir, advisories, "--allow-major");
      expect(allowed.code).toBe(0);
      expect(readJson(dir, "package.json")["dependencies"]).toEqual({ "old-major": "^2.1.0" });
    },
    TIMEOUT,
  );

  it(
    "puts every byte back when a package-manager step fails after an earlier one succeeded",
    async () => {
      await registry.publish("good", "1.0.0");
      await registry.publish("gone", "1.0.0");
      await registry.publish("holder", "1.0.0", { gone: "^1.0.0" });
      const dir = await project({
        "package.json": { name: "app", version: "1.0.0", dependencies: { good: "^1.0.0", holder: "^1.0.0" } },
      });
      await registry.publish("good", "1.0.1");
      const before = treeDigest(dir);

      // gone@1.0.9 was never published: the override step fails after the direct upgrade succeeded.
      const result = await fix(dir, [
        { pkg: "good", installed: "1.0.0", id: "CVE-2026-3000", severity: "HIGH", fixed: "1.0.1" },
        { pkg: "gone", installed: "1.0.0", id: "CVE-2026-3001", severity: "HIGH", fixed: "1.0.9" },
      ]);

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/step 3 failed \(exit 1\): npm install --package-lock-only/);
      expect(result.stderr).toContain("Every file is back as it was.");
      expect(treeDigest(dir)).toEqual(before);
      expect(existsSync(path.join(dir, "reports"))).toBe(false);
    },
    TIMEOUT,
  );

  it(
    "reverts when npm moves a package the plan did not touch, and says what moved",
    async () => {
      await registry.publish("target", "1.0.0");
      await registry.publish("bystander", "1.0.0");
      const dir = await project({
        "package.json": { name: "app", version: "1.0.0", dependencies: { target: "^1.0.0", bystander: "^1.0.0" } },
      });
      await registry.publish("target", "1.0.1");
      await registry.publish("bystander", "2.0.0");
      // Someone bumped bystander in package.json without updating the lockfile: npm will move it too.
      const manifest = readJson(dir, "package.json");
      writeFileSync(
        path.join(dir, "package.json"),
        `${JSON.stringify({ ...manifest, dependencies: { target: "^1.0.0", bystander: "^2.0.0" } }, null, 2)}\n`,
      );
      const before = treeDigest(dir);

      const result = await fix(dir, [
        { pkg: "target", installed: "1.0.0", id: "CVE-2026-4000", severity: "HIGH", fixed: "1.0.1" },
      ]);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain("npm also moved packages the plan did not touch");
      expect(result.stderr).toContain("bystander 1.0.0 → 2.0.0 (node_modules/bystander)");
      expect(treeDigest(dir)).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    "reverts when the re-scan after the change fails, exit 1, pointing to --no-rescan",
    async () => {
      await registry.publish("target", "1.0.0");
      const dir = await project({
        "package.json": { name: "app", version: "1.0.0", dependencies: { target: "^1.0.0" } },
      });
      await registry.publish("target", "1.0.1");
      const before = treeDigest(dir);
      // A trivy that cannot scan (as offline, without its DB).
      const bin = path.join(makeProject({}), "bin");
      mkdirSync(bin);
      writeFileSync(
        path.join(bin, "trivy"),
        "#!/bin/sh\necho 'FATAL failed to download vulnerability DB' >&2\nexit 1\n",
      );
      chmodSync(path.join(bin, "trivy"), 0o755);
      const report = writeReport([
        { pkg: "target", installed: "1.0.0", id: "CVE-2026-4100", severity: "HIGH", fixed: "1.0.1" },
      ]);

      const result = await run(["fix", ".", "--report", `trivy=${report}`, "--env", PRODUCTION], {
        cwd: dir,
        env: { ...registry.env, PATH: `${bin}${path.delimiter}${registry.env["PATH"] ?? process.env["PATH"] ?? ""}` },
      });

      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/trivy exited with code 1.*--no-rescan/s);
      expect(result.stderr).toContain("the re-scan failed, so every file is back as it was");
      expect(treeDigest(dir)).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    "puts every file back when interrupted (SIGTERM) during an npm step, after its overrides edit, exit 1",
    async () => {
      await registry.publish("deep", "1.4.0");
      await registry.publish("parent", "1.0.0", { deep: "^1.4.0" });
      const dir = await project({
        "package.json": { name: "app", version: "1.0.0", dependencies: { parent: "^1.0.0" } },
      });
      await registry.publish("deep", "1.4.1");
      const before = treeDigest(dir);
      // A registry that accepts connections and never answers: npm waits, as on a stalled network.
      const stalled = createServer(() => undefined);
      await new Promise<void>((resolve) => stalled.listen(0, "127.0.0.1", resolve));
      const address = stalled.address();
      const stalledUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/`;
      const report = writeReport([
        { pkg: "deep", installed: "1.4.0", id: "CVE-2026-4200", severity: "HIGH", fixed: "1.4.1" },
      ]);
      const child = spawn(
        process.execPath,
        [
          // The built CLI, as a pipeline runs it (npm test builds it first).
          path.join(REPO_ROOT, "gates", "bin", "portcullis.js"),
          "fix",
          ".",
          "--report",
          `trivy=${report}`,
          "--env",
          PRODUCTION,
          "--no-rescan",
        ],
        {
          cwd: dir,
          env: { ...registry.env, npm_config_registry: stalledUrl },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      try {
        const deadline = Date.now() + 60_000;
        while (!stderr.includes("portcullis fix: npm install") && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 100));
        await new Promise((resolve) => setTimeout(resolve, 500));
        // The overrides edit is made, npm is waiting on the registry.
        expect(readJson(dir, "package.json")["overrides"], stderr).toEqual({ "deep@1.4.0": "1.4.1" });
        child.kill("SIGTERM");
        expect(await exited, stderr).toBe(1);
      } finally {
        child.kill("SIGKILL");
        stalled.closeAllConnections();
        stalled.close();
      }
      expect(stderr).toContain("interrupted (SIGTERM) while applying the plan. Every file is back as it was.");
      expect(treeDigest(dir)).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    "takes a `file:` dependency's own dependencies as transitive ones (an override), not as a workspace's",
    async () => {
      await registry.publish("local-dep", "1.0.0");
      const dir = await project({
        "package.json": { name: "app", version: "1.0.0", dependencies: { local: "file:./local" } },
        "local/package.json": { name: "local", version: "1.0.0", dependencies: { "local-dep": "^1.0.0" } },
      });
      await registry.publish("local-dep", "1.0.1");

      const result = await fix(dir, [
        { pkg: "local-dep", installed: "1.0.0", id: "CVE-2026-4300", severity: "HIGH", fixed: "1.0.1" },
      ]);

      expect(result.stdout).not.toContain("--workspace");
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(readJson(dir, "package.json")["overrides"]).toEqual({ "local-dep@1.0.0": "1.0.1" });
      expect(
        Object.entries(lockPackages(dir))
          .filter(([location]) => location.endsWith("node_modules/local-dep"))
          .map(([, entry]) => entry.version),
      ).toEqual(["1.0.1"]);
    },
    TIMEOUT,
  );

  it(
    "--dry-run prints the plan, with findings that have no fixed version, and changes nothing",
    async () => {
      await registry.publish("patched", "1.0.0");
      await registry.publish("unfixed", "1.0.0");
      const dir = await project({
        "package.json": { name: "app", version: "1.0.0", dependencies: { patched: "^1.0.0", unfixed: "^1.0.0" } },
      });
      await registry.publish("patched", "1.0.2");
      const before = treeDigest(dir);

      const result = await fix(
        dir,
        [
          { pkg: "patched", installed: "1.0.0", id: "CVE-2026-5000", severity: "HIGH", fixed: "1.0.2" },
          { pkg: "unfixed", installed: "1.0.0", id: "CVE-2026-5001", severity: "MEDIUM", fixed: "" },
        ],
        "--dry-run",
      );

      expect(result.code).toBe(0);
      expect(result.stdout).toContain("patched 1.0.0 → 1.0.2 (`package.json` dependencies".replaceAll("`", ""));
      expect(result.stdout).toContain("unfixed 1.0.0, CVE-2026-5001 (medium): no fixed version is known yet");
      expect(result.stdout).toMatch(
        /1\. npm install --package-lock-only --ignore-scripts --no-audit --no-fund --save-prod --save-exact=false --save-prefix=\^ patched@1\.0\.2/,
      );
      expect(treeDigest(dir)).toEqual(before);
    },
    TIMEOUT,
  );
  it(
    "writes fix.patch for `git apply` from the repository's top when the project is a folder of it",
    async () => {
      await registry.publish("web-lib", "4.2.0");
      const top = makeProject({
        "app/package.json": { name: "app", version: "1.0.0", dependencies: { "web-lib": "^4.2.0" } },
      });
      const app = path.join(top, "app");
      await npm(["install", "--package-lock-only", "--ignore-scripts"], app, registry.env);
      await git(top, "init", "-q");
      await registry.publish("web-lib", "4.2.3");
      const result = await fix(app, [
        { pkg: "web-lib", installed: "4.2.0", id: "CVE-2026-1000", severity: "CRITICAL", fixed: "4.2.3" },
      ]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const patch = readFileSync(path.join(app, "reports", "fix", "fix.patch"), "utf8");
      expect(patch).toContain("diff --git a/app/package-lock.json b/app/package-lock.json");
      // The change is applied, so the patch applies in reverse, from the top as a pull request's would.
      await git(top, "apply", "--check", "-R", path.join("app", "reports", "fix", "fix.patch"));
    },
    TIMEOUT,
  );

  it(
    "scans with trivy where it is installed, before and after: no report flag, and report.json is not a prediction",
    async () => {
      await registry.publish("scanned", "1.0.0");
      const dir = await project({
        "package.json": { name: "app", version: "1.0.0", dependencies: { scanned: "^1.0.0" } },
      });
      await registry.publish("scanned", "1.0.1");
      const bin = standInTrivy([
        { pkg: "scanned", installed: "1.0.0", id: "CVE-2026-6000", severity: "HIGH", fixed: "1.0.1" },
      ]);

      const result = await run(["fix", ".", "--env", PRODUCTION], {
        cwd: dir,
        env: { ...registry.env, PATH: `${bin}${path.delimiter}${registry.env["PATH"] ?? ""}` },
      });

      expect(result.stderr).toContain("portcullis fix: trivy fs --format json --output");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^vulnerabilities: fail → pass$/m);
      expect(fixReport(dir).prediction).toBeUndefined();
      const calls = readFileSync(path.join(bin, "calls.log"), "utf8").trim().split("\n");
      expect(calls).toHaveLength(2);
      expect(calls[0]).toMatch(/^fs --format json --output \S+trivy\.before\.json --scanners vuln --cache-dir /);
    },
    TIMEOUT,
  );

  it(
    "keeps a finding of the given report that its own re-scan does not cover (a dev dependency): never fail → pass on what was not looked at",
    async () => {
      await registry.publish("scanned", "1.0.0");
      await registry.publish("devtool", "2.0.0");
      const dir = await project({
        "package.json": {
          name: "app",
          version: "1.0.0",
          dependencies: { scanned: "^1.0.0" },
          devDependencies: { devtool: "2.0.0" },
        },
      });
      await registry.publish("scanned", "1.0.1");
      const fixable = {
        pkg: "scanned",
        installed: "1.0.0",
        id: "CVE-2026-6100",
        severity: "HIGH",
        fixed: "1.0.1",
      } as const;
      // Scanned with --include-dev-deps: devtool has no fixed version, so it stays.
      const devOnly = { pkg: "devtool", installed: "2.0.0", id: "CVE-2026-6101", severity: "HIGH", fixed: "" } as const;
      // fix's own trivy leaves dev dependencies out, as `trivy fs` does by default.
      const bin = standInTrivy([fixable]);
      const result = await run(
        ["fix", ".", "--report", `trivy=${writeReport([fixable, devOnly])}`, "--env", PRODUCTION],
        {
          cwd: dir,
          env: { ...registry.env, PATH: `${bin}${path.delimiter}${registry.env["PATH"] ?? ""}` },
        },
      );
      expect(result.stdout).toMatch(/^vulnerabilities: fail → fail$/m);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("1 finding(s) of");
      expect(fixReport(dir).findings.map((finding) => finding.package?.name)).toEqual(["devtool"]);
    },
    TIMEOUT,
  );
});

// --- internal ---

/** A trivy report in a folder of its own, removed after the test. */
function writeReport(advisories: readonly Advisory[]): string {
  const file = path.join(makeProject({}), "trivy.json");
  writeFileSync(file, trivyReport(advisories));
  return file;
}

/**
 * trivy itself cannot scan here (its vulnerability DB is downloaded from ghcr.io, out of reach of
 * these tests), so a stand-in named `trivy` answers the way trivy fs does for a lockfile: it reads
 * package-lock.json and reports each advisory whose package is still at the vulnerable version, in
 * trivy's JSON, to the file named by --output. It logs its argv so the command line is checked.
 */
function standInTrivy(advisories: readonly Advisory[]): string {
  const bin = makeProject({});
  const script = `#!/usr/bin/env node
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(path.join(bin, "calls.log"))}, args.join(" ") + "\\n");
const packages = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages;
const present = new Set(Object.entries(packages).map(([location, entry]) => location.slice(location.lastIndexOf("node_modules/") + 13) + "@" + entry.version));
const advisories = ${JSON.stringify(advisories)}.filter((a) => present.has(a.pkg + "@" + a.installed));
const report = JSON.parse(${JSON.stringify(trivyReport([]))});
report.Results[0].Vulnerabilities = JSON.parse(${JSON.stringify(trivyReport(advisories))}).Results[0].Vulnerabilities.filter((v) => advisories.some((a) => a.id === v.VulnerabilityID));
fs.writeFileSync(args[args.indexOf("--output") + 1], JSON.stringify(report));
`;
  writeFileSync(path.join(bin, "trivy"), script);
  chmodSync(path.join(bin, "trivy"), 0o755);
  return bin;
}

async function git(cwd: string, ...args: string[]): Promise<void> {
  await promisify(execFile)("git", args, { cwd });
}
