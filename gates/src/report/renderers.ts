/** Every output format of a report, one renderer each: pure functions from a report to a string. */
export { renderAnnotations, type AnnotationOptions } from "./annotations.js";
export { renderJson } from "./json.js";
export { renderJunit } from "./junit.js";
export { GITHUB_LIMITS } from "./limits.js";
export { renderMarkdown, type MarkdownOptions } from "./markdown.js";
export { planSarif, renderSarif, withSarifNotices, type SarifToolPlan } from "./sarif.js";
export { renderText, type TextOptions } from "./text.js";
