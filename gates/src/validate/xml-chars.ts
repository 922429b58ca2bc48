/** XML 1.0 character classes and small lexing helpers for the scanner (xml.ts). */

/** XML NameStartChar (non-ASCII approximated: letters of every script, not general punctuation). */
function isNameStart(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    code === 0x5f ||
    code === 0x3a ||
    (code >= 0xc0 && code !== 0xd7 && code !== 0xf7 && !(code >= 0x2000 && code <= 0x206f))
  );
}

/** XML NameChar. */
function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2e || code === 0xb7;
}

/** The end of the XML name starting at `from` (equal to `from` when there is none). */
export function nameEnd(source: string, from: number): number {
  if (from >= source.length || !isNameStart(source.charCodeAt(from))) return from;
  let i = from + 1;
  while (i < source.length && isNameChar(source.charCodeAt(i))) i += 1;
  return i;
}

/** The first offset at or after `from` that is not XML white space. */
export function skipSpace(source: string, from: number): number {
  let i = from;
  for (;;) {
    const code = source.charCodeAt(i);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return i;
    i += 1;
  }
}

/** True when a character reference names a character XML allows. */
export function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}
