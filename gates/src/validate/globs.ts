import picomatch from "picomatch";

/**
 * A matcher for repository-relative paths: any pattern matches, unless a `!pattern` does.
 * Dotfiles and dot-folders (`.claude/`) match like any other name.
 */
export function globMatcher(patterns: readonly string[]): (path: string) => boolean {
  const positive = patterns.filter((pattern) => !pattern.startsWith("!"));
  const negative = patterns.filter((pattern) => pattern.startsWith("!")).map((pattern) => pattern.slice(1));
  if (positive.length === 0) return () => false;
  const include = picomatch(positive, { dot: true });
  const exclude = negative.length === 0 ? undefined : picomatch(negative, { dot: true });
  return (path) => include(path) && exclude?.(path) !== true;
}
