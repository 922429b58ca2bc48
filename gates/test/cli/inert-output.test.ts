import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inertStream } from "../../src/cli/inert-output.js";

/**
 * What a GitHub Actions runner takes for a workflow command, after actions/runner
 * (src/Runner.Common/ActionCommand.cs): `TryParseV2` trims the line's leading white space and tests
 * `StartsWith("::")`, `TryParse` looks for `IndexOf("##[")`. Both are .NET's culture-sensitive
 * comparisons, which skip what collation ignores: modelled here by dropping control and format
 * characters (and the other default-ignorable ones) before comparing, the strictest reading.
 */
function runnerCommandLines(output: string): string[] {
  // ReadLine ends a line at CR, LF or CRLF.
  return output.split(/\r\n|\r|\n/).filter((line) => {
    const compared = line.replace(/[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu, "");
    return compared.trimStart().startsWith("::") || compared.includes("##[");
  });
}

/** The stream's output when `text` is written in the pieces `cuts` give. */
function written(text: string, cuts: readonly number[]): string {
  const stream = inertStream();
  // Never inside a surrogate pair: a string written to a stream is whole characters.
  const whole = (cut: number) => (/[\ud800-\udbff]/.test(text.charAt(cut - 1)) ? cut + 1 : cut);
  const points = [...new Set(cuts.map((cut) => whole(cut % (text.length + 1))))].sort((a, b) => a - b);
  let out = "";
  let from = 0;
  for (const point of [...points, text.length]) {
    out += stream(text.slice(from, point));
    from = point;
  }
  return out;
}

/** Text made of what commands are made of, and of what hides them. */
const hostile = fc
  .array(
    fc.constantFrom(
      "#",
      "##[",
      ":",
      "::",
      "[",
      "]",
      " ",
      "\t",
      "\n",
      "\r",
      "\u0001",
      "\u001b",
      "\u0085",
      "\u200b",
      "\u202e",
      "\u2060",
      "\ufe0f",
      "\u{e0001}",
      "stop-commands",
      "error",
      "a",
      "é",
      '"',
      "\\",
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

const cuts = fc.array(fc.nat(), { maxLength: 6 });

describe("inertStream", () => {
  it("leaves no line a runner would read as a command, however the text is cut into writes", () => {
    fc.assert(
      fc.property(hostile, cuts, (text, at) => {
        expect(runnerCommandLines(written(text, at))).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps JSON printed on stdout the same document", () => {
    const value = fc
      .jsonValue({ maxDepth: 3 })
      .chain((json) =>
        fc.oneof(
          fc.constant(json),
          fc.dictionary(hostile, hostile, { maxKeys: 4 }),
          fc.array(hostile, { maxLength: 4 }),
        ),
      );
    fc.assert(
      fc.property(value, cuts, fc.boolean(), (document, at, pretty) => {
        const text = JSON.stringify(document, null, pretty ? 2 : undefined);
        expect(JSON.parse(written(text, at))).toEqual(document);
      }),
      { numRuns: 1000 },
    );
  });

  it("changes nothing in text without commands or invisible characters", () => {
    const table = "secrets  FAIL ✗  mandatory  1 new · high  gitleaks  src/app.ts:3  token\n\u001b[31mred\u001b[0m\n";
    expect(written(table, [7, 30])).toBe(table);
    expect(written("  note: C++ std::vector, issue #12 [x]\n", [])).toBe("  note: C++ std::vector, issue #12 [x]\n");
  });

  it("shows what it changed as escapes", () => {
    expect(written("src/a##[stop-commands]pwned.js:1\n    ::stop-commands::pwn.js\n", [])).toBe(
      "src/a##\\u005bstop-commands]pwned.js:1\n    :\\u003astop-commands::pwn.js\n",
    );
    expect(written("odd/bidi\u202egnp.js", [])).toBe("odd/bidi\\u202egnp.js");
    // A carriage return starts a line for the runner: what follows it is at a line's start.
    expect(written("progress 3/5\r::stop-commands::tok\n", [])).toBe("progress 3/5\r:\\u003astop-commands::tok\n");
    // An emoji's joiner and variation selector print as they are, and hide no command.
    expect(written("warn ⚠️ family 👨\u200d👩 #\u200d#[x]", [])).toBe("warn ⚠️ family 👨\u200d👩 #\u200d#\\u005bx]");
    // Cut between the two characters of a command: the stream remembers what it already wrote.
    expect(written("a##[set-output name=x]y", [2, 3])).toBe("a##\\u005bset-output name=x]y");
  });
});
