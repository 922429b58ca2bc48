import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { lint } from "markdownlint/sync";
import { describe, expect, it } from "vitest";
import { createMarkdownLinter, DEFAULT_MARKDOWNLINT } from "../../src/validate/parse.js";
import { corporaDir } from "../conformance/fixtures-dir.js";

const corpora = corporaDir();
const CORPUS = corpora === undefined ? "" : path.join(corpora, "claude-modular-pr205");

/** The real framework's Markdown files, as the validator is handed them. */
function corpusFiles(): { path: string; content: string }[] {
  return readdirSync(CORPUS, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".md"))
    .sort()
    .map((file) => ({ path: file.split(path.sep).join("/"), content: readFileSync(path.join(CORPUS, file), "utf8") }));
}

describe("createMarkdownLinter", () => {
  it("hands the checks markdownlint's tokens unfrozen, as markdownlint-cli2's rules get them", () => {
    const frozen: boolean[] = [];
    createMarkdownLinter({})([{ path: "a.md", content: "# A\n\nSome *text* and [a link](b.md).\n" }], (parsed) => {
      frozen.push(parsed.tokens.some((token) => Object.isFrozen(token) || Object.isFrozen(token.children)));
    });
    expect(frozen).toEqual([false]);
  });

  it("restores Object.freeze after linting, also when a check throws", () => {
    const freeze = Object.freeze;
    const linter = createMarkdownLinter({});
    linter([{ path: "a.md", content: "# A\n" }], () => undefined);
    expect(Object.freeze).toBe(freeze);
    expect(() =>
      linter([{ path: "a.md", content: "# A\n" }], () => {
        throw new Error("a check failed");
      }),
    ).toThrow("a check failed");
    expect(Object.freeze).toBe(freeze);
  });

  it("still lints where Object.freeze cannot be replaced (node --frozen-intrinsics)", () => {
    Object.defineProperty(Object, "freeze", { writable: false });
    try {
      const [linted] = createMarkdownLinter({})([{ path: "a.md", content: "# A\n\n### C\n" }], () => "checked");
      expect(linted?.analysis).toBe("checked");
      expect(linted?.lintErrors.map((error) => error.ruleNames[0])).toEqual(["MD001"]);
    } finally {
      Object.defineProperty(Object, "freeze", { writable: true });
    }
  });

  it.skipIf(corpora === undefined)("reports on a real framework exactly what markdownlint alone reports", () => {
    const files = corpusFiles();
    expect(files.length).toBeGreaterThan(20);
    const alone = lint({
      strings: Object.fromEntries(files.map((file) => [file.path, file.content])),
      config: { ...DEFAULT_MARKDOWNLINT },
    });
    const linted = createMarkdownLinter({})(files, (parsed) => parsed.path);
    expect(linted.map((file) => file.analysis)).toEqual(files.map((file) => file.path));
    expect(linted.reduce((total, file) => total + file.lintErrors.length, 0)).toBeGreaterThan(0);
    for (const [index, file] of files.entries()) expect(linted[index]?.lintErrors).toEqual(alone[file.path]);
  });
});
