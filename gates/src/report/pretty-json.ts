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
  const keyText = JSON.stringify(key);
  const envelope = JSON.stringify({ ...document, [key]: SLOT }, null, 2);
  // A line starting with two spaces and a quote is a key of the document itself (deeper keys are
  // indented further, and a string holds no raw newline), and its keys are unique.
  const line = `\n  ${keyText}: `;
  const marker = envelope.indexOf(`${line}${SLOT_TEXT}`);
  if (marker < 0) throw new InternalError(`${keyText} is not a key of the document being written`);
  const before = envelope.slice(0, marker + line.length);
  const after = envelope.slice(marker + line.length + SLOT_TEXT.length);
  if (items.length === 0) {
    yield `${before}[]${after}`;
    return;
  }
  yield `${before}[\n`;
  // Stringified one level down, inside an object of their own, the items come out indented as
  // they are in the document; the wrapper's own lines are cut off.
  const open = `{\n  ${keyText}: [\n`;
  const close = "\n  ]\n}";
  for (let start = 0; start < items.length; start += batch) {
    const text = JSON.stringify({ [key]: items.slice(start, start + batch) }, null, 2);
    yield `${start === 0 ? "" : ",\n"}${text.slice(open.length, -close.length)}`;
  }
  yield `\n  ]${after}`;
}

// --- internal ---

/** Items per piece: pieces of a few hundred kilobytes, few enough calls (measured 256–4,096: alike). */
const PIECE_ITEMS = 512;

/** Stands in for the array while the rest of the document is stringified. */
const SLOT = "\u0000portcullis:items\u0000";
const SLOT_TEXT = JSON.stringify(SLOT);
