import { closeSync, openSync, writeFileSync } from "node:fs";

/** Pieces are gathered up to this many characters per write: few system calls, little memory. */
const WRITE_CHARS = 1 << 20;

/**
 * Each gathered piece is written as a string with writeFileSync on the open file: node encodes it
 * into one native buffer and writes until every byte is out, at the file's position (a Buffer per
 * piece, or measuring its UTF-8 length to catch a short write, cost as much again: ~40 ms on a
 * 65 MB report.json).
 */
export function writePieces(file: string, pieces: Iterable<string>): void {
  const fd = openSync(file, "w");
  try {
    let pending: string[] = [];
    let size = 0;
    for (const piece of pieces) {
      pending.push(piece);
      size += piece.length;
      if (size >= WRITE_CHARS) {
        writeFileSync(fd, pending.join(""));
        pending = [];
        size = 0;
      }
    }
    if (pending.length > 0) writeFileSync(fd, pending.join(""));
  } finally {
    closeSync(fd);
  }
}
