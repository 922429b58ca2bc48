import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { assembleReadme, README_FILE } from "../../../docs/build-readme.js";

const README = readFileSync(README_FILE, "utf8");
const CI_RUN = readFileSync(new URL("../../../.ci/run", import.meta.url), "utf8");

describe("README.md", () => {
  it("is assembled from docs/readme (run `npm run readme` when this fails)", () => {
    expect(README).toBe(assembleReadme());
  });

  it("opens with the two newcomer commands: the pipeline's main job, then the tests", () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(README)?.[1] ?? "";
    const commands = firstBlock.split("\n").filter((line) => line.trim() !== "").map((line) => line.replace(/\s+#.*$/, ""));
    expect(commands).toEqual(["npm ci && npx portcullis ci --env development", "npm ci && npm test"]);
    expect(README.indexOf("```sh")).toBeLessThan(README.indexOf("\n## "));
  });

  it("is the test command .ci/run runs, exactly", () => {
    const lastCommand = CI_RUN.trim().split("\n").at(-1);
    expect(lastCommand).toBe("npm ci && npm test");
  });
});
