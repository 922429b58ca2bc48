import yaml from "js-yaml";
import { ConfigError, type FamilyCode } from "../errors.js";

/**
 * Parses a YAML configuration document safely: the core schema only (no custom tags, and dates
 * stay strings, so `expires: 2026-01-31` is validated as text), duplicate keys rejected. A syntax
 * error (naming its line and column) or an empty document (fixed by `emptyFix`) is a ConfigError
 * with `code`.
 */
export function loadYaml(
  text: string,
  options: { file: string; code: FamilyCode<"config">; emptyFix: string },
): unknown {
  const { file, code } = options;
  let document: unknown;
  try {
    document = yaml.load(text, { filename: file, schema: yaml.CORE_SCHEMA });
  } catch (error) {
    if (!(error instanceof yaml.YAMLException)) throw error;
    // "expected a single document in the stream" carries no position: the file holds `---` twice.
    if (error.mark === undefined || error.mark === null) {
      throw new ConfigError(code, `YAML error: ${error.reason}`, {
        file,
        fix: "keep one YAML document in the file: remove the `---` line that starts a second one and merge what follows it",
        cause: error,
      });
    }
    // js-yaml counts lines and columns from 0; editors count from 1.
    const where = `line ${error.mark.line + 1}, column ${error.mark.column + 1}`;
    throw new ConfigError(code, `YAML syntax error at ${where}: ${error.reason}`, {
      file,
      fix: error.reason.includes("duplicated mapping key")
        ? `keep one of the two entries (line ${error.mark.line + 1}); YAML would otherwise silently keep the last`
        : `correct the YAML at ${where} (indentation, quoting, a missing ":" or closing bracket)`,
      cause: error,
    });
  }
  if (document === undefined || document === null) {
    throw new ConfigError(code, "the file is empty", { file, fix: options.emptyFix });
  }
  return document;
}
