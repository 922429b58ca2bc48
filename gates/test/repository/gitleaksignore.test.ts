import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * `.gitleaksignore` lets the secrets gate of `.ci/run` skip the made-up tokens planted in tests, by
 * file, rule and line. A line moved by an edit above it silently stops matching, and the gate then
 * blocks on the planted token (it happened twice): checked here, in `npm test`, instead.
 */

const ROOT = new URL("../../../", import.meta.url);
/** The made-up tokens the tests plant; none was ever a real credential. */
const PLANTED = /ghp_Zq8vK2mWx4Rt6Yu1Io3Pa5Sd7Fg9Hj0Kl2Nb|e2ePlantedKey7Qx9Wm2Lp5Zr8Tn4/;

const entries = readFileSync(new URL(".gitleaksignore", ROOT), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "" && !line.startsWith("#"));

describe(".gitleaksignore", () => {
  it.each(entries)("%s names a line of a test file that holds a planted token", (entry) => {
    const match = /^(?<file>gates\/test\/[^:]+):(?<rule>[a-z-]+):(?<line>\d+)$/.exec(entry);
    expect(match, "<file under gates/test>:<rule>:<line>").not.toBeNull();
    const { file = "", line = "0" } = match?.groups ?? {};
    const text = readFileSync(new URL(file, ROOT), "utf8").split("\n")[Number(line) - 1] ?? "";
    expect(text).toMatch(PLANTED);
  });
});
