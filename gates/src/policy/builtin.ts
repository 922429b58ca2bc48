import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The files the package ships for repositories that have none of their own: the development,
 * staging and production policies (with their JSON Schema) and the k6 scenarios. They are copied
 * from the repository's environments/ and scenarios/ into `<package>/builtin/` by
 * scripts/copy-builtins.js (run by the build and before `npm pack`), so the same path holds from
 * src/ under test and from dist/ once installed.
 */
export const BUILTIN_DIR = fileURLToPath(new URL("../../builtin/", import.meta.url));

/** The built-in environment files, `<name>.yml`. */
export const BUILTIN_ENVIRONMENTS_DIR = path.join(BUILTIN_DIR, "environments");

/** The built-in k6 scenarios, `<name>.js` (with their lib/). */
export const BUILTIN_SCENARIOS_DIR = path.join(BUILTIN_DIR, "scenarios");
