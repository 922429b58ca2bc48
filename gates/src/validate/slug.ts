/**
 * GitHub's heading anchors, as github-slugger computes them: lower-case, drop every character in
 * the Unicode categories below except letters, `-` and the space, then turn spaces into `-`.
 * Duplicate headings get `-1`, `-2`… in document order.
 */
const STRIP = /[\p{No}\p{Pd}\p{Pe}\p{Pf}\p{Pi}\p{Po}\p{Ps}\p{S}\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Z}]/gu;
const KEEP = /^[\p{Alphabetic} -]$/u;

/** The anchor of one heading text, without duplicate numbering. */
export function githubSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(STRIP, (char) => (KEEP.test(char) ? char : ""))
    .replace(/ /g, "-");
}

/** Numbers duplicate anchors the way GitHub does; one instance per document. */
export class Slugger {
  private readonly occurrences = new Map<string, number>();

  slug(text: string): string {
    const original = githubSlug(text);
    let result = original;
    while (this.occurrences.has(result)) {
      const count = (this.occurrences.get(original) ?? 0) + 1;
      this.occurrences.set(original, count);
      result = `${original}-${count}`;
    }
    this.occurrences.set(result, 0);
    return result;
  }
}
