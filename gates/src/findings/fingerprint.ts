import { hash } from "node:crypto";

/**
 * A fingerprint from identity parts (tool, rule, path, package…). Callers must never pass secret
 * material: a fingerprint is written to every report and an unsalted hash of a secret is a leak.
 */
export function fingerprintOf(parts: ReadonlyArray<string | number | undefined>): string {
  // One-shot hashing: a report can hold 100,000 findings, and a Hash object per finding costs more
  // than the hashing. Same bytes as before (each part followed by NUL; join writes undefined as ""),
  // so fingerprints are unchanged; join builds the text in one piece.
  const text = parts.length === 0 ? "" : `${parts.join("\u0000")}\u0000`;
  return hash("sha256", text, "hex").slice(0, 32);
}

/**
 * Fingerprints for findings whose tool gives no stable identity: the identity parts plus the
 * finding's ordinal among findings with the same parts, in location order. This survives line moves
 * and edits elsewhere in the file, and still tells apart two findings of one rule in one file.
 */
export function ordinalFingerprints<T>(
  items: readonly T[],
  identity: (item: T) => ReadonlyArray<string | number | undefined>,
  order: (item: T) => number,
): string[] {
  const indexed = items.map((item, index) => ({ index, key: fingerprintOf(identity(item)), at: order(item) }));
  const byKey = new Map<string, { index: number; at: number }[]>();
  for (const entry of indexed) {
    const group = byKey.get(entry.key) ?? [];
    group.push(entry);
    byKey.set(entry.key, group);
  }
  const result = new Array<string>(items.length);
  for (const [key, group] of byKey) {
    group.sort((a, b) => a.at - b.at || a.index - b.index);
    group.forEach((entry, ordinal) => {
      result[entry.index] = ordinal === 0 ? key : fingerprintOf([key, ordinal]);
    });
  }
  return result;
}
