import path from "node:path";

/**
 * `file` relative to `root`, with forward slashes, when it lies inside `root` (not `root` itself);
 * undefined otherwise. A name that only starts with two dots (`..docker/`) is inside.
 */
export function insideRelative(root: string, file: string): string | undefined {
  const relative = path.relative(root, file);
  if (relative === "" || path.isAbsolute(relative) || relative === ".." || relative.startsWith(`..${path.sep}`))
    return undefined;
  return relative.split(path.sep).join("/");
}
