import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The manual's pages (docs/<page>.md), one per area. */
export const DOC_PAGES = [
  "cli",
  "policy",
  "gates-and-reports",
  "validate",
  "adapters",
  "dagger",
  "deploy",
  "compliance",
  "development",
  "scenarios-and-html",
] as const;
export type DocPage = (typeof DOC_PAGES)[number];

/** Where the manual is read online when no copy is on disk. */
export const DOCS_ONLINE = "the docs/ folder of the Portcullis repository";

/**
 * `Reference: <where the page is>` for --help: the page as a path that exists where the user is
 * (the package's own docs/ when it ships them, the repository's docs/ in a clone), else the page's
 * name in the repository, never a path that is not there.
 */
export function referenceLine(page: DocPage, what = ""): string {
  const local = localPage(page);
  const where = local ?? `docs/${page}.md in ${DOCS_ONLINE}`;
  return `Reference: ${where}${what === "" ? "" : ` (${what})`}`;
}

// --- internal ---

function localPage(page: DocPage): string | undefined {
  // dist/cli/ or src/cli/ -> the package root (gates/), then the repository root above it.
  for (const base of ["../../docs/", "../../../docs/"]) {
    const file = fileURLToPath(new URL(`${base}${page}.md`, import.meta.url));
    if (existsSync(file)) return file;
  }
  return undefined;
}
