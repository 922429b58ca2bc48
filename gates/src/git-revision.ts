/**
 * A revision git can be handed as an argument: a commit SHA or a ref name. Anything else (a leading
 * dash, spaces, `..`) could be read by git as an option or a range, so callers refuse it.
 */
export function isPlainRevision(ref: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._/@^~-]*$/.test(ref) && !ref.includes("..");
}
