/**
 * Untrusted text made safe for a single line: terminal escape sequences and control characters
 * removed (a tool message must not drive the terminal or forge log lines), whitespace collapsed.
 */
export function oneLine(text: string): string {
  return text.replace(ANSI_SEQUENCE, "").replace(CONTROL, " ").replace(/\s+/g, " ").trim();
}

// --- internal ---

// ESC/CSI sequences: ESC [ params final-byte, and ESC followed by one character; plus the 8-bit CSI.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANSI_SEQUENCE = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|\u001b[@-_]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
