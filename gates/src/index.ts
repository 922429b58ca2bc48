export * from "./errors.js";
export * from "./findings/finding.js";
export * from "./findings/format.js";
export * from "./findings/fingerprint.js";
export * from "./findings/redact.js";
export * from "./policy/schema.js";
export * from "./report/schema.js";
export type * from "./tools/types.js";
export { PORTCULLIS_VERSION } from "./version.js";
