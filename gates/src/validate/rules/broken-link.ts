import type { ResolvedFile } from "../crossref.js";
import type { RawFinding } from "../rule-ids.js";

/**
 * Rule 1: links, images and reference definitions to files that do not exist, or to `#anchors` no
 * heading (nor HTML `id`/`name`) of the target produces. Anchors are compared case-insensitively;
 * `#top`, GitHub line anchors (`#L10-L20`) and targets that were not scanned are not checked.
 */
export function brokenLinks(files: readonly ResolvedFile[]): RawFinding[] {
  const anchors = new Map(
    files.map((file) => [file.facts.path, new Set(file.facts.anchors.map((anchor) => anchor.toLowerCase()))]),
  );
  const findings: RawFinding[] = [];
  for (const file of files) {
    const { path } = file.facts;
    for (const { link, resolution } of file.links) {
      const at = { ruleId: "broken-link", path, line: link.line, column: link.column, target: link.target } as const;
      if (resolution.kind === "missing") {
        findings.push({
          ...at,
          message: `link target \`${link.target}\` does not exist (looked for \`${resolution.path}\`). Fix: correct the path (relative to this file, or \`/\` for the repository root) or create the file.`,
        });
        continue;
      }
      if (resolution.kind !== "file" || resolution.fragment === undefined || resolution.fragment === "") continue;
      const known = anchors.get(resolution.path);
      if (known === undefined || anchorExists(known, resolution.fragment)) continue;
      const where = resolution.path === path ? "this file" : `\`${resolution.path}\``;
      findings.push({
        ...at,
        message: `anchor \`#${resolution.fragment}\` matches no heading in ${where}. Fix: use the heading's GitHub anchor (lower case, punctuation removed, spaces as \`-\`, \`-1\`, \`-2\`… for repeated headings).`,
      });
    }
  }
  return findings;
}

// --- internal ---

const LINE_ANCHOR = /^L\d+(C\d+)?(-L\d+(C\d+)?)?$/;

function anchorExists(anchors: ReadonlySet<string>, fragment: string): boolean {
  const wanted = fragment.toLowerCase().replace(/^user-content-/, "");
  return anchors.has(wanted) || wanted === "top" || LINE_ANCHOR.test(fragment);
}
