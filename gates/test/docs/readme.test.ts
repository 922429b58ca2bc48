import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { run } from "../cli/cli-harness.js";

const ROOT = new URL("../../../", import.meta.url);
const README = readFileSync(new URL("README.md", ROOT), "utf8");
const CI_RUN = readFileSync(new URL(".ci/run", ROOT), "utf8");

describe("README.md", () => {
  it("opens with the two newcomer commands: the pipeline's main job, then the tests", () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(README)?.[1] ?? "";
    const commands = firstBlock
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => line.replace(/\s+#.*$/, ""));
    // The first command ends with real verdicts: the scanners are installed in the same line.
    expect(commands).toEqual([
      "npm ci && npx portcullis tools install && npx portcullis ci --env development",
      "npm ci && npm test",
    ]);
    expect(README.indexOf("```sh")).toBeLessThan(README.indexOf("\n## "));
  });

  it("is the test command .ci/run runs, exactly", () => {
    const lastCommand = CI_RUN.trim().split("\n").at(-1);
    expect(lastCommand).toBe("npm ci && npm test");
  });

  it("is a landing page: at most 300 lines", () => {
    expect(README.split("\n").length).toBeLessThanOrEqual(300);
  });

  it("links every page of the manual and CONTRIBUTING.md", () => {
    const pages = readdirSync(new URL("docs/", ROOT)).filter((name) => name.endsWith(".md"));
    expect(pages.length).toBeGreaterThan(5);
    for (const page of pages) expect(README, page).toContain(`](docs/${page})`);
    expect(README).toContain("](CONTRIBUTING.md)");
  });

  it("links only to manual pages that exist", () => {
    const links = [...README.matchAll(/\]\((docs\/[^)#]+)\)/g)].map((match) => match[1] ?? "");
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((link) => !existsSync(new URL(link, ROOT)))).toEqual([]);
  });
});

describe("docs/", () => {
  it("passes `portcullis validate` with the repository's own settings: no finding at all", async () => {
    const result = await run(["validate", "docs", "--config", "portcullis.yml", "--format", "json"], {
      cwd: fileURLToPath(ROOT),
    });
    const document = JSON.parse(result.stdout) as { findings: unknown[] };
    expect(document.findings).toEqual([]);
    expect(result.code).toBe(0);
  });
});
