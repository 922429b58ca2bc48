/**
 * The module's errors say what the CLI's would: exit-codes.gen.ts is EXIT_CODES of
 * gates/src/errors.ts, regenerated, every meaning the module reports comes from it, and its
 * messageOf is the library's.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EXIT_CODES, messageOf as libraryMessageOf } from "../../gates/src/errors.js";
import { EXIT_CODES_GEN_FILE, renderExitCodesModule } from "../scripts/generate-exit-codes.js";
import { cliExitMeaning, messageOf } from "../src/errors.js";
import { CLI_EXIT_CODES } from "../src/exit-codes.gen.js";

describe("exit-codes.gen.ts", () => {
  it("is what gates/src/errors.ts generates today (run `npx tsx dagger/scripts/generate-exit-codes.ts` when this fails)", async () => {
    expect(readFileSync(EXIT_CODES_GEN_FILE, "utf8")).toBe(await renderExitCodesModule());
  });

  it("holds the CLI's table, code for code and word for word", () => {
    expect(CLI_EXIT_CODES).toEqual(EXIT_CODES);
  });
});

describe("what the module says an exit code means", () => {
  it.each(Object.values(EXIT_CODES))("exit $code: the CLI's own meaning", ({ code, meaning }) => {
    expect(cliExitMeaning(code)).toBe(meaning);
  });

  it.each([5, 99, 137, -1])("exit %i, which the CLI never returns: the CLI failed", (code) => {
    expect(cliExitMeaning(code)).toBe("the CLI failed");
  });
});

describe("messageOf", () => {
  it.each([new Error("disk full"), new TypeError("not a function"), "plain text", 42, undefined, null, { code: 1 }])(
    "words %s as the library does",
    (thrown) => {
      expect(messageOf(thrown)).toBe(libraryMessageOf(thrown));
    },
  );
});
