import { InternalError } from "../errors.js";

/**
 * `JSON.stringify(document, null, 2)` in pieces, the array under the top-level `key` a batch of
 * items at a time: the same text, without ever holding it whole. validate's document for 10,000
 * files is 154 MB of text, and one character outside Latin-1 made all of it a two-byte string,
 * which the write then encoded to UTF-8 whole (0.3 s more than these pieces, and 300 MB more
 * memory). For plain data: a `toJSON` would see other keys than in one stringify.
 */
export function* prettyJsonPieces(document: object, key: string, batch = PIECE_ITEMS): Generator<string> {
  const items: unknown = Reflect.get(document, key);
  if (!Array.isArray(items) || !Number.isInteger(batch) || batch < 1) {
    throw new InternalError(`prettyJsonPieces needs an array under ${JSON.stringify(key)} and a whole batch size`);
  }
  const { before, after } = aroundTopLevelKey(key, (slot) => JSON.stringify({ ...document, [key]: slot }, null, 2));
  if (items.length === 0) {
    yield `${before}[]${after}`;
    return;
  }
  yield `${before}[\n`;
  // Stringified one level down, inside an object of their own, the items come out indented as
  // they are in the document; the wrapper's own lines are cut off.
  const open = `{\n  ${JSON.stringify(key)}: [\n`;
  const close = "\n  ]\n}";
  for (let start = 0; start < items.length; start += batch) {
    const text = JSON.stringify({ [key]: items.slice(start, start + batch) }, null, 2);
    yield `${start === 0 ? "" : ",\n"}${text.slice(open.length, -close.length)}`;
  }
  yield `\n  ]${after}`;
}

/**
 * A document's text, indented by two, around the value of its top-level `key`: `stringify` writes
 * the document with `slot` as that value, and `before` ends with `"<key>": `. The value is then
 * written by the caller, in pieces.
 */
export function aroundTopLevelKey(key: string, stringify: (slot: string) => string): { before: string; after: string } {
  const text = stringify(SLOT);
  // A line starting with two spaces and a quote holds a key of the document itself (deeper keys
  // are indented further, and a string holds no raw newline), and only a key precedes `: "`.
  const line = `\n  ${JSON.stringify(key)}: `;
  const at = text.indexOf(`${line}${SLOT_TEXT}`);
  if (at < 0) throw new InternalError(`${JSON.stringify(key)} is not a key of the document being written`);
  return { before: text.slice(0, at + line.length), after: text.slice(at + line.length + SLOT_TEXT.length) };
}

// --- internal ---

/** Items per piece: pieces of a few hundred kilobytes, few enough calls (measured 256–4,096: alike). */
const PIECE_ITEMS = 512;

/** Stands in for the value while the rest of the document is stringified. */
const SLOT = "\u0000portcullis:slot\u0000";
const SLOT_TEXT = JSON.stringify(SLOT);
