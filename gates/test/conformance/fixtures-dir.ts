import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The folder of real tool outputs (`../shared/fixtures` beside the repository, or
 * PORTCULLIS_CONFORMANCE_DIR). Undefined when absent outside CI; under CI=true a missing folder
 * throws, so the conformance suite fails instead of skipping.
 */
export function conformanceDir(): string | undefined {
  const configured = process.env["PORTCULLIS_CONFORMANCE_DIR"];
  const dir = configured ?? path.resolve(REPO_ROOT, "..", "shared", "fixtures");
  if (existsSync(dir)) return dir;
  if (process.env["CI"] === "true") {
    throw new Error(
      `conformance fixtures not found at ${dir}: put the shared fixtures beside the repository or set PORTCULLIS_CONFORMANCE_DIR`,
    );
  }
  return undefined;
}

/** Same rule for the shared Markdown corpora (`../shared/corpora`, or PORTCULLIS_CORPORA_DIR). */
export function corporaDir(): string | undefined {
  const configured = process.env["PORTCULLIS_CORPORA_DIR"];
  const dir = configured ?? path.resolve(REPO_ROOT, "..", "shared", "corpora");
  if (existsSync(dir)) return dir;
  if (process.env["CI"] === "true") {
    throw new Error(
      `corpora not found at ${dir}: put the shared corpora beside the repository or set PORTCULLIS_CORPORA_DIR`,
    );
  }
  return undefined;
}
