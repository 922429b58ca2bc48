import { isAscii } from "node:buffer";

/**
 * The text of UTF-8 bytes, exactly as Buffer#toString("utf8") gives it. Reports are nearly always
 * ASCII, and ASCII bytes read as Latin-1 are the same text, copied about four times faster than
 * the UTF-8 decoder reads them (100 MB: ~25 ms against ~100 ms).
 */
export function utf8Text(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
}
