import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { progressLine } from "../../src/cli/validate.js";
import type { CliIo } from "../../src/cli/io.js";
import { FindingsDocument } from "../../src/findings/format.js";
import { fixtureTree, materialize } from "./tree.js";
import type { SourceFile } from "../../src/validate/parse.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function tree(files: readonly SourceFile[]): Promise<string> {
  const { dir, cleanup } = await materialize(files);
  cleanups.push(cleanup);
  return dir;
}

async function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env, cwd, isTty: false };
  const code = await main(["node", "portcullis", "validate", ...args], io);
  return { code, stdout, stderr };
}

describe("portcullis validate", () => {
  it("prints only a one-line summary on a clean tree and exits 0", async () => {
    const dir = await tree(fixtureTree("clean"));
    const { code, stdout, stderr } = await run([], dir);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(
      /^portcullis validate: 6 files checked, no findings · \d+\.\d\d s, CPU \d+\.\d ms per file\n$/,
    );
  });

  it("groups findings by file like a compiler and exits 1 on integrity findings", async () => {
    const dir = await tree([
      { path: "a.md", content: "# A\n\n[x](gone.md)\n\n### Skipped\n" },
      { path: "b.md", content: "# B\n\n```\nnever closed\n" },
    ]);
    const { code, stdout } = await run([dir], "/");
    expect(code).toBe(1);
    expect(stdout.replace(/^(\S+:\d+:\d+ {2}\w+ +\S+) {2}.*$/gm, "$1").replace(/ · [^\n]*\n$/, "\n")).toBe(
      [
        "a.md:3:5  high  broken-link",
        "a.md:5:1  low   markdownlint/MD001",
        "",
        "b.md:3:1  low   markdownlint/MD040",
        "b.md:3:1  high  unclosed-fence",
        "",
        "Findings per rule:",
        "  high  broken-link         1",
        "  high  unclosed-fence      1",
        "  low   markdownlint/MD001  1",
        "  low   markdownlint/MD040  1",
        "",
        "portcullis validate: 2 files checked, 4 findings (2 high, 2 low)",
        "",
      ].join("\n"),
    );
    expect(stdout).toContain("a.md:3:5  high  broken-link  link target `gone.md` does not exist");
    expect(stdout).not.toContain("\u001b[");
  });

  it("lists the findings per rule, high first, then by count", async () => {
    const dir = await tree([
      { path: "a.md", content: "# A\n\n### Skipped\n\n##### Skipped again\n\n[x](gone.md)\n" },
      { path: "b.md", content: "# B\n\n### Skipped\n" },
    ]);
    const { stdout } = await run([], dir);
    const summary = stdout.slice(stdout.indexOf("Findings per rule:")).split("\n").slice(1, 3);
    expect(summary).toEqual(["  high  broken-link         1", "  low   markdownlint/MD001  3"]);
  });

  it("shows progress on a terminal once a run takes over a second, and never in a pipe", () => {
    const written: string[] = [];
    const io = (isTty: boolean): CliIo => ({
      stdout: () => undefined,
      stderr: (text) => written.push(text),
      env: {},
      cwd: "/",
      isTty,
    });
    const fresh = progressLine(io(true), performance.now());
    fresh.update(10, 100);
    fresh.clear();
    expect(written).toEqual([]);
    const slow = progressLine(io(true), performance.now() - 1_500);
    slow.update(2_345, 10_000);
    slow.update(10_000, 10_000);
    slow.clear();
    expect(written).toEqual(["\rvalidate: 2,345 of 10,000 files", "\rvalidate: 10,000 of 10,000 files", "\r\u001b[2K"]);
    written.length = 0;
    const piped = progressLine(io(false), performance.now() - 1_500);
    piped.update(5, 10);
    piped.clear();
    expect(written).toEqual([]);
    // The line goes to stderr, so stderr decides: `validate > out.txt` shows it, `2> log` does not.
    const toFile = progressLine({ ...io(false), stderrIsTty: true }, performance.now() - 1_500);
    toFile.update(5, 10);
    expect(written).toEqual(["\rvalidate: 5 of 10 files"]);
    written.length = 0;
    const toLog = progressLine({ ...io(true), stderrIsTty: false }, performance.now() - 1_500);
    toLog.update(5, 10);
    expect(written).toEqual([]);
  });

  it("says so when nothing was there to judge, and refuses an include in portcullis.yml that matches nothing", async () => {
    const empty = await tree([{ path: "src/app.js", content: "console.log(1);\n" }]);
    const none = await run([], empty);
    expect(none.code).toBe(0);
    expect(none.stderr).toBe("portcullis validate: warning: no Markdown file under . to check: nothing was judged\n");
    const typo = await tree([
      { path: "docs/guide.md", content: "# Guide\n" },
      { path: "portcullis.yml", content: 'validate:\n  include: ["doc/**/*.md"]\n' },
    ]);
    const refused = await run([], typo);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('portcullis.yml: validate.include ["doc/**/*.md"] matches no file');
    // One mistyped glob among good ones leaves its files unjudged just the same.
    const oneTypo = await tree([
      { path: "docs/guide.md", content: "# Guide\n" },
      { path: "agents/coder.md", content: "# Coder\n" },
      { path: "drafts/old.md", content: "# Old\n" },
      {
        path: "portcullis.yml",
        content: 'validate:\n  include: ["docs/**/*.md", "agent/**/*.md", "drafts/**"]\n  exclude: ["drafts/**"]\n',
      },
    ]);
    const partly = await run([], oneTypo);
    expect(partly.code).toBe(2);
    expect(partly.stderr).toContain(
      'portcullis.yml: validate.include ["docs/**/*.md","agent/**/*.md","drafts/**"]: "agent/**/*.md", "drafts/**" match no file',
    );
    await writeFile(path.join(oneTypo, "portcullis.yml"), 'validate:\n  include: ["docs/**/*.md", "agents/**/*.md"]\n');
    expect((await run([], oneTypo)).stdout).toMatch(/^portcullis validate: 2 files checked, no findings/);
  });

  it("exits 0 when only advisory findings remain", async () => {
    const dir = await tree([{ path: "a.md", content: "# A\n\n### Skipped\n" }]);
    expect((await run(["."], dir)).code).toBe(0);
  });

  it("prints the findings document with --format json, and SARIF with --format sarif", async () => {
    const dir = await tree([{ path: "a.md", content: "# A\n\n[x](gone.md)\n" }]);
    const json = await run(["--format", "json"], dir);
    const document = FindingsDocument.parse(JSON.parse(json.stdout));
    expect(document).toMatchObject({ schema: "portcullis.findings/v1", tool: "portcullis-validate", filesScanned: 1 });
    expect(document.findings.map((finding) => finding.ruleId)).toEqual(["broken-link"]);
    const sarif = await run(["--format", "sarif"], dir);
    expect(JSON.parse(sarif.stdout)).toMatchObject({
      version: "2.1.0",
      runs: [
        { tool: { driver: { name: "portcullis-validate" } }, results: [{ ruleId: "broken-link", level: "error" }] },
      ],
    });
  });

  it("writes the findings document, printed and with --out, byte for byte as JSON.stringify(…, null, 2) does", async () => {
    // More findings than one piece holds, and text outside Latin-1 in some of them.
    const links = Array.from({ length: 700 }, (_, index) => `[x](gone-${index % 7 === 0 ? "→" : ""}${index}.md)`);
    const dir = await tree([{ path: "a.md", content: `# A\n\n${links.join("\n\n")}\n` }]);
    const printed = await run([".", "--format", "json", "--out", "reports"], dir);
    const document: unknown = JSON.parse(printed.stdout);
    expect(FindingsDocument.parse(document).findings).toHaveLength(700);
    expect(printed.stdout).toContain("gone-→7.md");
    expect(printed.stdout).toBe(`${JSON.stringify(document, null, 2)}\n`);
    expect(await readFile(path.join(dir, "reports", "validate.json"), "utf8")).toBe(printed.stdout);
  });

  it("writes validate.json and validate.sarif with --out", async () => {
    const dir = await tree(fixtureTree("clean"));
    const { code } = await run([".", "--out", "reports"], dir);
    expect(code).toBe(0);
    const document = FindingsDocument.parse(
      JSON.parse(await readFile(path.join(dir, "reports", "validate.json"), "utf8")),
    );
    expect(document.filesScanned).toBe(6);
    expect(JSON.parse(await readFile(path.join(dir, "reports", "validate.sarif"), "utf8"))).toMatchObject({
      version: "2.1.0",
    });
  });

  it("reads portcullis.yml from the folder, or --config", async () => {
    const dir = await tree([{ path: "a.md", content: "# A\n\n### Skipped\n" }]);
    await writeFile(path.join(dir, "portcullis.yml"), "validate:\n  markdownlint: false\n");
    expect((await run([], dir)).stdout).toMatch(/^portcullis validate: 1 file checked, no findings · /);
    await writeFile(path.join(dir, "other.yml"), "validate:\n  include: ['nothing/**']\n");
    const other = await run(["--config", "other.yml"], dir);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('other.yml: validate.include ["nothing/**"] matches no file');
  });

  it.each([
    [["--config", "missing.yml"], "cannot read the config file"],
    [["no-such-folder"], "is not a folder"],
    [["--format", "xml"], "format"],
  ])("exits 2 for %j", async (args, message) => {
    const dir = await tree([{ path: "a.md", content: "# A\n" }]);
    const { code, stderr } = await run(args, dir);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it("exits 2 on an invalid portcullis.yml, naming the key", async () => {
    const dir = await tree([{ path: "a.md", content: "# A\n" }]);
    await writeFile(
      path.join(dir, "portcullis.yml"),
      "validate:\n  token_budgets:\n    - glob: '**'\n      limit: 5\n",
    );
    const { code, stderr } = await run([], dir);
    expect(code).toBe(2);
    expect(stderr).toContain("[CONFIG_INVALID]");
    expect(stderr).toContain("validate.token_budgets.0.limit: unknown key");
  });

  it("prints every problem of portcullis.yml on its own line with its fix, the path said once", async () => {
    const dir = await tree([{ path: "a.md", content: "# A\n" }]);
    await writeFile(
      path.join(dir, "portcullis.yml"),
      "validate:\n  inlude: ['**/*.md']\n  token_budgets:\n    - glob: '**'\n      max: '100'\n",
    );
    const { code, stderr } = await run([], dir);
    expect(code).toBe(2);
    expect(stderr.replace(dir, "<dir>")).toBe(
      [
        "portcullis: [CONFIG_INVALID] <dir>/portcullis.yml: 2 problems",
        '  validate.token_budgets.0.max: expected number, received string "100"',
        "    fix: write 100 without quotes",
        '  validate.inlude: unknown key — did you mean "include"?',
        '    fix: rename it to "include"',
        "",
      ].join("\n"),
    );
  });

  it("colours only on a terminal without NO_COLOR", async () => {
    const dir = await tree([{ path: "a.md", content: "# A\n\n[x](gone.md)\n" }]);
    let stdout = "";
    const io: CliIo = { stdout: (text) => (stdout += text), stderr: () => undefined, env: {}, cwd: dir, isTty: true };
    await main(["node", "portcullis", "validate"], io);
    expect(stdout).toContain("\u001b[31mbroken-link\u001b[39m");
    stdout = "";
    await main(["node", "portcullis", "validate"], { ...io, env: { NO_COLOR: "1" } });
    expect(stdout).not.toContain("\u001b[");
  });
});
