import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

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
    expect(commands).toEqual(["npm ci && npx portcullis ci --env development", "npm ci && npm test"]);
    expect(README.indexOf("```sh")).toBeLessThan(README.indexOf("\n## "));
  });

  it("is the test command .ci/run runs, exactly", () => {
    const lastCommand = CI_RUN.trim().split("\n").at(-1);
    expect(lastCommand).toBe("npm ci && npm test");
  });

  it("links only to manual pages that exist", () => {
    const links = [...README.matchAll(/\]\((docs\/[^)#]+)\)/g)].map((match) => match[1] ?? "");
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((link) => !existsSync(new URL(link, ROOT)))).toEqual([]);
  });
});
