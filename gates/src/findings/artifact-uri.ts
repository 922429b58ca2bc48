/**
 * A finding's path as a SARIF artifact URI, relative to the repository: percent-encoded, `#`, `?`
 * and `:` included. encodeURI leaves those three as they are, and a reader takes them for a
 * fragment (a `C#/` folder), a query or, in the first segment, a scheme. A lone surrogate, which
 * JSON and Windows file names allow, becomes U+FFFD: encodeURI throws on it.
 */
export function artifactUri(path: string): string {
  return encodeURI(path.toWellFormed()).replace(/[#?:]/g, encodeURIComponent);
}
