import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DOC_PAGES } from "../../src/cli/docs-page.js";
import { run, tempDir } from "./cli-harness.js";

describe("--help points at manual pages that exist where the user is", () => {
  it.each(DOC_PAGES)("docs/%s.md exists", (page) => {
    expect(existsSync(new URL(`../../../docs/${page}.md`, import.meta.url))).toBe(true);
  });

  it.each([
    [["evaluate"], "cli"],
    [["ci"], "cli"],
    [["validate"], "validate"],
    [["report"], "gates-and-reports"],
    [["policy"], "policy"],
    [["evidence"], "compliance"],
    [["deploy"], "deploy"],
    [["rollback"], "deploy"],
  ])("portcullis %j --help names an existing docs/%s.md", async (command, page) => {
    const result = await run([...command, "--help"], { cwd: tempDir() });
    const reference = /^Reference: (\S+)/m.exec(result.stdout)?.[1];
    expect(reference).toMatch(new RegExp(`docs/${page}\\.md$`));
    expect(existsSync(reference ?? "")).toBe(true);
  });
});
