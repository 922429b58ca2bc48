/**
 * How report.json lays out its findings: report/json.ts writes them so, one compact finding per
 * line, and a `--baseline` is read a line at a time by that layout (policy/baseline.ts).
 */
export const FINDINGS_LAYOUT = {
  /** The line that opens the findings member (the envelope is indented by two spaces). */
  open: '  "findings": [',
  /** What each finding's line starts with, before its `{`. */
  indent: "    ",
  /** The line that closes the member, followed by `,` when more members come. */
  close: "  ]",
} as const;
