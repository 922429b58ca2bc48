import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runControls } from "../../src/compliance/checks.js";
import { changedFiles, collectCompliance, type CollectOptions } from "../../src/compliance/collect.js";
import { controlsFor } from "../../src/compliance/controls.js";
import { chainEntries, type LedgerEntry } from "../../src/deploy/ledger.js";
import { DeploySettings } from "../../src/policy/deploy-settings.js";
import { initialState } from "../../src/deploy/state.js";
import { gitRefStore } from "../../src/deploy/stores/git-ref.js";
import { isPortcullisError } from "../../src/errors.js";

/** Real git repositories in a temp folder: a main branch and a feature branch that changes things. */

const CYCLONEDX =
  '{"$schema":"http://cyclonedx.org/schema/bom-1.6.schema.json","bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"qs"},{"type":"library","name":"express"}]}';
const GOOD_WORKFLOW = "on: push\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n";

let work: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    "git",
    ["-c", "user.name=test", "-c", "user.email=test@example.org", "-c", "init.defaultBranch=main", ...args],
    {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
}

function write(root: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
}

/** A repository on `feature`, branched from `main`, whose change touches `changes`. */
function repository(name: string, changes: Record<string, string>): string {
  const root = path.join(work, name);
  mkdirSync(root, { recursive: true });
  git(root, "init", "--quiet");
  write(root, {
    "README.md": "# app\n",
    "CHANGELOG.md": "# Changelog\n",
    "SECURITY.md": "Report to security@example.org\n",
    ".github/CODEOWNERS": "* @team\n",
    ".github/workflows/ci.yml": GOOD_WORKFLOW,
    ".github/workflows/notes.txt": "not a workflow\n",
    "src/app.ts": "export {};\n",
  });
  git(root, "add", ".");
  git(root, "commit", "--quiet", "-m", "initial");
  git(root, "checkout", "--quiet", "-b", "feature");
  write(root, changes);
  git(root, "add", ".");
  git(root, "commit", "--quiet", "-m", "change");
  return root;
}

function options(source: string, extra: Partial<CollectOptions> = {}): CollectOptions {
  return { source, environment: "production", env: {}, ...extra };
}

function entry(i: number, commit: string): LedgerEntry {
  return {
    type: "deploy_started",
    at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    environment: "production",
    deploy_id: `d${i}`,
    release: `v${i}`,
    commit,
    commit_time: null,
    actor: "ci",
  };
}

/** A directory store as `portcullis deploy` leaves it: ledger.jsonl and state.json pointing at its head. */
function storeLedger(root: string, dir: string, records: LedgerEntry[]): string {
  const chained = chainEntries(null, records);
  const state = { ...initialState("production", "2026-01-01T00:00:00.000Z"), ledger_head: chained.head };
  write(root, { [`${dir}/ledger.jsonl`]: chained.lines, [`${dir}/state.json`]: `${JSON.stringify(state, null, 2)}\n` });
  return chained.lines;
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "portcullis-collect-"));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("collectCompliance on a real repository", () => {
  it("gathers files, the change set, workflows, the SBOM by content and the ledger; every control passes", async () => {
    const root = repository("tidy", { "src/app.ts": "export const x = 1;\n", "CHANGELOG.md": "# Changelog\n\n- x\n" });
    const reports = path.join(work, "tidy-reports");
    write(reports, { "trivy.json": '{"SchemaVersion":2,"Results":[]}', "bom.json": CYCLONEDX });
    storeLedger(root, ".portcullis/state/production", [entry(1, "c1"), entry(2, "c2")]);
    const { collected, sources } = await collectCompliance(options(root, { reportsDir: reports, base: "main" }));
    expect(collected.repository.changedFiles).toEqual(["CHANGELOG.md", "src/app.ts"]);
    expect([...collected.repository.files].sort()).toEqual([
      ".github/CODEOWNERS",
      "CHANGELOG.md",
      "README.md",
      "SECURITY.md",
    ]);
    expect(collected.workflows.map((w) => w.path)).toEqual([".github/workflows/ci.yml"]);
    expect(collected.sbom).toEqual({ file: "bom.json", ok: true, components: 2, specVersion: "1.6" });
    expect(sources.sbomFile).toBe(path.join(reports, "bom.json"));
    expect(collected.ledger).toEqual({
      file: ".portcullis/state/production/ledger.jsonl",
      ok: true,
      records: 2,
      problems: [],
    });
    const results = runControls(controlsFor(collected.controls, "production"), collected.controls, {
      environment: "production",
      today: "2026-01-02",
      verdicts: [],
      bypasses: [],
      waivers: [],
      waiverProblems: [],
      licenceFindings: [],
      ...collected,
    });
    expect(results.filter((r) => r.status !== "pass")).toEqual([]);
  });

  it("finds a change that leaves the changelog alone, and a missing SECURITY.md", async () => {
    const root = repository("untidy", { "src/app.ts": "export const y = 2;\n" });
    rmSync(path.join(root, "SECURITY.md"));
    const { collected } = await collectCompliance(options(root, { base: "main" }));
    expect(collected.repository.changedFiles).toEqual(["src/app.ts"]);
    expect(collected.repository.files.has("SECURITY.md")).toBe(false);
    expect(collected.sbom).toBeUndefined();
    expect(collected.ledger).toBeUndefined();
  });

  it("takes a required file linked out of the repository for none, and one linked inside for the file", async () => {
    const root = repository("linked", { "src/app.ts": "export const z = 3;\n" });
    const outside = path.join(work, "outside-security.md");
    writeFileSync(outside, "Report to someone else\n");
    rmSync(path.join(root, "SECURITY.md"));
    symlinkSync(outside, path.join(root, "SECURITY.md"));
    rmSync(path.join(root, "README.md"));
    symlinkSync("docs-readme.md", path.join(root, "README.md"));
    write(root, { "docs-readme.md": "# app\n" });
    const { collected } = await collectCompliance(options(root, { base: "main" }));
    expect(collected.repository.files.has("SECURITY.md")).toBe(false);
    expect(collected.repository.files.has("README.md")).toBe(true);
  });

  it("reads a ledger from --ledger, and names tampering", async () => {
    const root = repository("ledger", { "CHANGELOG.md": "# Changelog\n\n- y\n" });
    const lines = storeLedger(root, "elsewhere", [entry(1, "c1"), entry(2, "c2"), entry(3, "c3")]);
    const file = path.join(root, "elsewhere", "ledger.jsonl");
    const intact = await collectCompliance(options(root, { ledgerFile: file }));
    expect(intact.collected.ledger).toMatchObject({ file: "elsewhere/ledger.jsonl", ok: true, records: 3 });
    writeFileSync(file, lines.replace('"release":"v2"', '"release":"v9"'));
    const tampered = await collectCompliance(options(root, { ledgerFile: file }));
    expect(tampered.collected.ledger?.ok).toBe(false);
    expect(tampered.collected.ledger?.problems.join("; ")).toMatch(/line 2: content does not match its hash/);
    const missing = await collectCompliance(options(root, { ledgerFile: path.join(root, "nope.jsonl") })).catch(
      (e: unknown) => e,
    );
    expect(isPortcullisError(missing) && missing.describe()).toMatch(/ledger file not found/);
  });

  it("reads the ledger from a git-ref store (a bare origin, as `deploy --state-git-ref` keeps it)", async () => {
    const origin = path.join(work, "origin.git");
    git(work, "init", "--quiet", "--bare", origin);
    const root = repository("git-store", { "CHANGELOG.md": "# Changelog\n\n- z\n" });
    git(root, "remote", "add", "origin", origin);
    const ref = "refs/portcullis/production";
    const store = gitRefStore({ cwd: root, ref, remote: "origin", environment: "production" });
    const chained = chainEntries(null, [entry(1, "c1")]);
    await store.save(
      { ...initialState("production", "2026-01-01T00:00:00.000Z"), revision: 1, ledger_head: chained.head },
      chained.lines,
      null,
    );
    const deploy = DeploySettings.parse({
      blue: "http://127.0.0.1:1",
      green: "http://127.0.0.1:2",
      state_git_ref: ref,
    });
    const { collected, sources } = await collectCompliance(options(root, { deploy }));
    expect(collected.ledger).toEqual({ file: `${ref}:ledger.jsonl`, ok: true, records: 1, problems: [] });
    expect(sources.ledgerText).toBe(chained.lines);
    git(root, "remote", "set-url", "origin", path.join(work, "gone.git"));
    const unreachable = await collectCompliance(options(root, { deploy }));
    expect(unreachable.collected.ledger?.unreadable).toMatch(/fetch/);
  });

  it("uses .portcullis/controls.yml, and refuses a --controls file that is not there", async () => {
    const root = repository("controls", {
      ".portcullis/controls.yml": "licences:\n  deny: [GPL-3.0]\nrequired_files: [README.md]\n",
    });
    const { collected, sources } = await collectCompliance(options(root));
    expect(collected.controls.licences.deny).toEqual(["GPL-3.0"]);
    expect(collected.controls.requiredFiles).toEqual(["README.md"]);
    expect(sources.controlsFile).toBe(path.join(root, ".portcullis", "controls.yml"));
    const error = await collectCompliance(options(root, { controlsFile: path.join(root, "none.yml") })).catch(
      (e: unknown) => e,
    );
    expect(isPortcullisError(error) && error.describe()).toMatch(/controls file not found/);
  });

  it("reports a damaged SBOM among the reports instead of taking it for none", async () => {
    const reports = path.join(work, "damaged-reports");
    write(reports, { "sbom.cdx.json": CYCLONEDX.slice(0, 60) });
    const { collected } = await collectCompliance(options(path.join(work, "tidy"), { reportsDir: reports }));
    expect(collected.sbom).toEqual({ file: "sbom.cdx.json", ok: false, problem: "not valid JSON (truncated?)" });
  });
});

describe("changedFiles: the base is given, taken from GITHUB_BASE_REF, or unknown — never guessed", () => {
  it("uses --base, else origin/$GITHUB_BASE_REF", async () => {
    const root = repository("bases", { "CHANGELOG.md": "# Changelog\n\n- b\n", "docs/guide.md": "guide\n" });
    expect(await changedFiles(root, { base: "main", env: {} })).toEqual({
      changedFiles: ["CHANGELOG.md", "docs/guide.md"],
    });
    git(root, "update-ref", "refs/remotes/origin/main", "main");
    expect(await changedFiles(root, { env: { GITHUB_BASE_REF: "main" } })).toEqual({
      changedFiles: ["CHANGELOG.md", "docs/guide.md"],
    });
  });

  it.each<[string, () => string, Partial<CollectOptions>, RegExp]>([
    ["no base at all", () => path.join(work, "tidy"), {}, /^no base ref given \(pass --base <ref>/],
    [
      "an empty GITHUB_BASE_REF",
      () => path.join(work, "tidy"),
      { env: { GITHUB_BASE_REF: " " } },
      /^no base ref given/,
    ],
    [
      "an unknown ref",
      () => path.join(work, "tidy"),
      { base: "no-such-branch" },
      /^git diff no-such-branch\.\.\.HEAD failed: fatal: /,
    ],
    [
      "a folder that is no repository",
      () => mkdtempSync(path.join(work, "nogit-")),
      { base: "main" },
      /^git diff main\.\.\.HEAD failed: .*not a git repository/i,
    ],
  ])("is unknown with the reason for %s", async (_name, folder, extra, reason) => {
    const result = await changedFiles(folder(), { env: {}, ...extra });
    expect("changedFilesUnknown" in result && result.changedFilesUnknown).toMatch(reason);
  });
});
