/** The CLI's own version (kept equal to gates/package.json by a test). */
export const PORTCULLIS_VERSION = "0.1.0";
