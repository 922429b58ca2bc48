/**
 * Everything the CLI prints carries text a scanned repository controls (file names, rule messages,
 * package names, tool logs), and a GitHub Actions runner reads every line of a step's stdout and
 * stderr for workflow commands: `::cmd::` at the start of a line (after white space) and `##[cmd]`
 * anywhere in one (actions/runner, src/Runner.Common/ActionCommand.cs: `TryParseV2` trims the line
 * and tests `StartsWith("::")`, `TryParse` looks for `IndexOf("##[")`). Both comparisons are .NET's
 * culture-sensitive ones, which skip characters collation ignores (format characters such as U+200B
 * and U+202E, and control characters). Only Portcullis' own annotations may be commands, so every
 * other stream is made inert here, whatever runs it (the Dagger engine's log reaches the runner too):
 *
 * - format characters (`\p{Cf}`: zero-width spaces, bidi controls) and the other invisible fillers
 *   are written as JSON escapes such as `\u202e` (but an emoji's joiner and variation selectors):
 *   a spoofed file name shows what it is, and nothing invisible hides a command;
 * - a carriage return starts a line, as a line feed does;
 * - the `[` of `##[` becomes `\u005b`;
 * - the second `:` of a line that starts `::` becomes `\u003a`.
 *
 * Each change is a JSON escape, and each can only happen inside a JSON string (JSON text has no `#`,
 * and no line of it starts with `:`), so JSON printed on stdout parses to the same document.
 */

/**
 * Invisible characters that collation ignores and that are not controls: written as escapes. The
 * zero-width joiner and the emoji variation selectors are kept (`⚠️`, `👨‍👩` print as they are),
 * and skipped like controls when a command is looked for.
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
const JOINERS = new Set([0x200d, 0xfe0e, 0xfe0f]);

/** A filter of one output stream: text in, inert text out, in the order written. */
export type InertStream = (text: string) => string;

export function inertStream(): InertStream {
  // What the stream ended with, as far as a command could still be forming across writes.
  let lineStart = true;
  let colonAtStart = false;
  let hashes = 0;
  return (text) => {
    const visible = text.replace(INVISIBLE, (character) =>
      JOINERS.has(character.charCodeAt(0)) ? character : escape(character),
    );
    let out = "";
    let copiedTo = 0;
    const replace = (index: number): void => {
      out += visible.slice(copiedTo, index) + escape(visible.charAt(index));
      copiedTo = index + 1;
    };
    for (let index = 0; index < visible.length; index++) {
      const code = visible.charCodeAt(index);
      // The runner reads lines as .NET's ReadLine does: a carriage return ends one too.
      if (code === LF || code === CR) {
        lineStart = true;
        colonAtStart = false;
        hashes = 0;
        continue;
      }
      // Skipped by the runner's comparisons: changes no state.
      if (isIgnorable(code) || JOINERS.has(code)) continue;
      if (code === COLON && lineStart && !colonAtStart) {
        colonAtStart = true;
        hashes = 0;
        continue;
      }
      if (code === COLON && colonAtStart) replace(index);
      else if (code === BRACKET && hashes === 2) replace(index);
      hashes = code === HASH ? Math.min(2, hashes + 1) : 0;
      if (lineStart && (colonAtStart || !isBlank(code))) {
        lineStart = false;
        colonAtStart = false;
      }
    }
    return out + visible.slice(copiedTo);
  };
}

// --- internal ---

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const HASH = 0x23;
const BRACKET = 0x5b;

/** A `\u` escape of four hex digits for each UTF-16 unit: a JSON escape of the same character. */
function escape(character: string): string {
  let escaped = "";
  for (let unit = 0; unit < character.length; unit++)
    escaped += `\\u${character.charCodeAt(unit).toString(16).padStart(4, "0")}`;
  return escaped;
}

/** Control characters (but the line feed): collation ignores them. */
function isIgnorable(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

/** White space .NET's TrimStart removes (Unicode White_Space). */
function isBlank(code: number): boolean {
  return (
    code === 0x20 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}
