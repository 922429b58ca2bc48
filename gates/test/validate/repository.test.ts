import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultValidateConfig } from "../../src/validate/config.js";
import { GitignoreRules } from "../../src/validate/gitignore.js";
import { listRepository, validateRepository } from "../../src/validate/repository.js";
import { materialize } from "./tree.js";

/** A page with a markdownlint problem (no top-level heading first), so judging it shows. */
const BAD_PAGE = "## not first-level\n";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function repository(files: Record<string, string>): Promise<string> {
  const { dir, cleanup } = await materialize(Object.entries(files).map(([path, content]) => ({ path, content })));
  cleanups.push(cleanup);
  return dir;
}

describe("listRepository: what is never judged", () => {
  it("leaves out .gitignore'd files and folders (nested files, negations) but keeps their paths for links", async () => {
    const dir = await repository({
      ".gitignore": "reports/\n*.log.md\n!keep.log.md\n",
      "README.md": "# Readme\n\nSee [the notes](notes.log.md) and [the summary](reports/summary.md).\n",
      "notes.log.md": BAD_PAGE,
      "keep.log.md": "# Kept\n",
      "reports/summary.md": BAD_PAGE,
      "docs/.gitignore": "draft.md\n",
      "docs/draft.md": BAD_PAGE,
      "docs/guide.md": "# Guide\n",
      "node_modules/pkg/README.md": BAD_PAGE,
      "app/node_modules/pkg/README.md": BAD_PAGE,
    });
    const listing = await listRepository(dir, defaultValidateConfig());
    expect(listing.files.map((file) => file.path)).toEqual(["README.md", "docs/guide.md", "keep.log.md"]);
    expect(listing.unlisted.sort()).toEqual(["app/node_modules", "node_modules", "reports"]);
    expect(listing.paths).toContain("notes.log.md");
    const result = await validateRepository(dir, { workers: 0 });
    expect(result.findings).toEqual([]);
  });

  it("never reads a file through a link out of the tree, but judges links to files inside it", async () => {
    const outside = await repository({ "secret.md": "## TOKEN=ghs_notreallyasecret123\n" });
    const dir = await repository({
      "README.md": "# Readme\n\nSee [the environment](env.md) and [the guide](guide.md).\n",
      "docs/page.md": BAD_PAGE,
    });
    symlinkSync(path.join(outside, "secret.md"), path.join(dir, "env.md"));
    symlinkSync("/proc/self/environ", path.join(dir, "environ.md"));
    symlinkSync("docs/page.md", path.join(dir, "guide.md"));
    // Inside the tree, but never judged: git's own files, and a file .gitignore leaves out.
    mkdirSync(path.join(dir, ".git"));
    writeFileSync(path.join(dir, ".git", "config"), "## url = https://ci-token:TOKENVALUE@example.com\n");
    writeFileSync(path.join(dir, ".env"), "## TOKEN=ghs_notreallyasecret456\n");
    writeFileSync(path.join(dir, ".gitignore"), ".env\n");
    symlinkSync(".git/config", path.join(dir, "git-config.md"));
    symlinkSync(".env", path.join(dir, "dotenv.md"));
    const listing = await listRepository(dir, defaultValidateConfig());
    expect(listing.files.map((file) => file.path)).toEqual(["README.md", "docs/page.md", "guide.md"]);
    expect(listing.paths).toEqual(expect.arrayContaining(["env.md", "environ.md", "git-config.md", "dotenv.md"]));
    const result = await validateRepository(dir, { workers: 0 });
    expect(JSON.stringify(result.findings)).not.toContain("TOKEN");
    expect(result.findings.map((finding) => finding.location?.path)).toEqual(["docs/page.md", "guide.md"]);
  });

  it("asks git in a work tree: a committed file is judged whatever .gitignore says, .git/info/exclude counts", async () => {
    const dir = await repository({
      ".gitignore": "generated/\n*.log.md\n",
      "README.md": "# Readme\n",
      "committed.log.md": BAD_PAGE,
      "scratch.log.md": BAD_PAGE,
      "generated/api.md": BAD_PAGE,
      "generated/tmp.md": BAD_PAGE,
      "local/notes.md": BAD_PAGE,
    });
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: dir });
    git("init", "-q");
    // Committed before the .gitignore lines that match them, as happens: git still tracks them.
    git("add", "-f", "README.md", "committed.log.md", "generated/api.md");
    git("commit", "-qm", "initial");
    writeFileSync(path.join(dir, ".git", "info", "exclude"), "local/\n");
    const listing = await listRepository(dir, defaultValidateConfig());
    expect(listing.files.map((file) => file.path)).toEqual(["README.md", "committed.log.md", "generated/api.md"]);
    expect(listing.unlisted.sort()).toEqual([".git", "local"]);
    expect(listing.paths).toContain("scratch.log.md");
  });

  it("asks a repository inside the tree (a submodule, a nested clone) for its own ignores", async () => {
    const dir = await repository({
      "README.md": "# Readme\n",
      "vendor/lib/.gitignore": "dist/\n",
      "vendor/lib/README.md": "# Lib\n",
      "vendor/lib/dist/gen.md": BAD_PAGE,
    });
    const git = (cwd: string, ...args: string[]) =>
      execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd });
    git(path.join(dir, "vendor", "lib"), "init", "-q");
    git(path.join(dir, "vendor", "lib"), "add", ".");
    git(path.join(dir, "vendor", "lib"), "commit", "-qm", "lib");
    git(dir, "init", "-q");
    git(dir, "add", "README.md");
    git(dir, "commit", "-qm", "initial");
    const listing = await listRepository(dir, defaultValidateConfig());
    expect(listing.files.map((file) => file.path)).toEqual(["README.md", "vendor/lib/README.md"]);
    expect(listing.unlisted.sort()).toEqual([".git", "vendor/lib/.git", "vendor/lib/dist"]);
  });

  it("skips the folders it is told to (the reports folder of `ci`) even without a .gitignore", async () => {
    const dir = await repository({ "README.md": "# Readme\n", "out/reports/summary.md": BAD_PAGE });
    expect((await validateRepository(dir, { workers: 0 })).findings).toHaveLength(1);
    const skipped = await validateRepository(dir, { workers: 0, skipFolders: ["out/reports"] });
    expect(skipped.findings).toEqual([]);
  });
});

describe("GitignoreRules", () => {
  it.each([
    // [folder of the .gitignore, its text, path, is a folder, ignored]
    ["", "build/\n", "build", true, true],
    ["", "build/\n", "build", false, false],
    ["", "/top.md\n", "sub/top.md", false, false],
    ["sub", "/top.md\n", "sub/top.md", false, true],
    ["", "*.md\n!README.md\n", "README.md", false, false],
  ] as const)("%j %j: %s (folder %s) ignored %s", (folder, text, file, isFolder, ignored) => {
    expect(GitignoreRules.none().with(folder, text).ignores(file, isFolder)).toBe(ignored);
  });

  it("lets a deeper .gitignore re-include what a parent ignored", () => {
    const rules = GitignoreRules.none().with("", "*.md\n").with("docs", "!keep.md\n");
    expect(rules.ignores("docs/keep.md", false)).toBe(false);
    expect(rules.ignores("docs/other.md", false)).toBe(true);
  });
});
