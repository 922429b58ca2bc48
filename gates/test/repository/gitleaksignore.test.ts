import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * `.gitleaksignore` lets the secrets gate of `.ci/run` skip the made-up tokens planted in tests, by
 * file, rule and line. A line moved by an edit above it silently stops matching, and the gate then
 * blocks on the planted token (it happened twice): checked here, in `npm test`, instead.
 */

const ROOT = new URL("../../../", import.meta.url);
/**
 * What each rule's planted tokens look like (by shape: the tokens themselves written here would be
 * one more finding for the gate).
 */
const PLANTED: Readonly<Record<string, RegExp>> = {
  "github-pat": /ghp_[0-9A-Za-z]{36}/,
  "generic-api-key": /e2ePlantedKey[0-9A-Za-z]+/,
};

const entries = readFileSync(new URL(".gitleaksignore", ROOT), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "" && !line.startsWith("#"));

describe(".gitleaksignore", () => {
  it.each(entries)("%s names a line of a test file that holds a token planted for that rule", (entry) => {
    const match = /^(?<file>gates\/test\/[^:]+):(?<rule>[a-z-]+):(?<line>\d+)$/.exec(entry);
    expect(match, "<file under gates/test>:<rule>:<line>").not.toBeNull();
    const { file = "", rule = "", line = "0" } = match?.groups ?? {};
    const text = readFileSync(new URL(file, ROOT), "utf8").split("\n")[Number(line) - 1] ?? "";
    expect(PLANTED[rule], `a rule with planted tokens: ${Object.keys(PLANTED).join(", ")}`).toBeDefined();
    expect(text).toMatch(PLANTED[rule] ?? /$^/);
  });
});
