import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * README.md is assembled from the sections in docs/readme/, in this order, so each part of the
 * project documents itself next to the others and the README cannot lose a section. A test keeps
 * the committed README equal to the assembly: run `npm run readme` after editing a section.
 */
export const README_SECTIONS = [
  "intro.md",
  "policy.md",
  "gates-and-reports.md",
  "adapters-gitleaks-semgrep-sarif.md",
  "adapters-trivy-k6.md",
  "cli-and-runner.md",
  "validate.md",
  "scenarios-and-html.md",
  "dagger.md",
  "deploy.md",
  "compliance.md",
  "development.md",
] as const;

const SECTIONS_DIR = new URL("./readme/", import.meta.url);
export const README_FILE = new URL("../README.md", import.meta.url);

export function assembleReadme(): string {
  const parts = README_SECTIONS.map((name) => readFileSync(new URL(name, SECTIONS_DIR), "utf8").trim());
  return `${parts.join("\n\n")}\n\n<!-- Assembled from docs/readme/*.md by \`npm run readme\`: edit those files, not this one. -->\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(README_FILE, assembleReadme());
  console.log("wrote README.md");
}
