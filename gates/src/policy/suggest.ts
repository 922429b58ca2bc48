/**
 * The candidate the user most likely meant by `word` (`secret` -> `secrets`, `maxFindings` ->
 * `max_findings`, `prod` -> `production`), or undefined when none is close. Used for "did you mean" hints.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const wanted = normalise(word);
  const exact = candidates.find((candidate) => normalise(candidate) === wanted);
  if (exact !== undefined) return exact;
  // A unique prefix of three or more characters is an abbreviation: `prod` -> `production`.
  const prefixed = candidates.filter((candidate) => normalise(candidate).startsWith(wanted));
  if (wanted.length >= 3 && prefixed.length === 1) return prefixed[0];
  // At most one edit per three characters: close enough to be a typo, far enough to avoid nonsense.
  const limit = Math.max(1, Math.floor(wanted.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normalise(candidate));
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

// --- internal ---

/** Case, `_`, `-` and spaces do not count: `maxFindings`, `max-findings` and `max_findings` are one key. */
function normalise(word: string): string {
  return word.toLowerCase().replace(/[_\-\s]/g, "");
}

/** Levenshtein distance, two rows. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
