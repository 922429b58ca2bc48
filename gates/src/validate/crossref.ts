import type { FileFacts, Located, LocatedReference } from "./analyze.js";
import { decodeCharacterReference } from "./extract.js";
import {
  parentOf,
  referenceFolders,
  resolveReference,
  resolveRelative,
  type PathIndex,
  type Resolution,
} from "./resolve.js";

/** Where a Markdown link leads. */
export type LinkResolution =
  /** A URL with a scheme (`https:`, `mailto:`) or `//host`: not fetched. */
  | { kind: "external" }
  | { kind: "unknown" }
  | { kind: "missing"; path: string }
  | { kind: "folder"; path: string }
  /** A file (the linking file itself for `#anchor`), with the anchor asked for, if any. */
  | { kind: "file"; path: string; fragment: string | undefined };

/** One file with each of its links, imports and references resolved. */
export interface ResolvedFile {
  facts: FileFacts;
  links: { link: Located; resolution: LinkResolution }[];
  includes: { include: Located; resolution: Resolution }[];
  references: { reference: LocatedReference; resolution: Resolution }[];
}

/** Resolves every pointer of every file once; the cross-file rules read the result. */
export function resolveAll(files: readonly FileFacts[], index: PathIndex, roots: readonly string[]): ResolvedFile[] {
  const rootsCache = new Map<string, string[]>();
  return files.map((facts) => {
    const folder = parentOf(facts.path);
    let folders = rootsCache.get(folder);
    if (folders === undefined) {
      folders = referenceFolders(roots, facts.path, index);
      rootsCache.set(folder, folders);
    }
    const searched = folders;
    return {
      facts,
      links: facts.links.map((link) => ({ link, resolution: resolveLink(link.target, facts.path, index) })),
      includes: facts.includes.map((include) => ({
        include,
        resolution: resolveInclude(include.target, folder, index),
      })),
      references: facts.references.map((reference) => ({
        reference,
        resolution: resolveReference(reference.target, searched, index),
      })),
    };
  });
}

/** Resolves a Markdown link destination the way GitHub does for a file at `from`. */
export function resolveLink(raw: string, from: string, index: PathIndex): LinkResolution {
  const destination = raw.replace(ESCAPE, "$1").replace(REFERENCE, (reference) => decodeCharacterReference(reference));
  if (SCHEME.test(destination) || destination.startsWith("//")) return { kind: "external" };
  const hash = destination.indexOf("#");
  const beforeHash = hash < 0 ? destination : destination.slice(0, hash);
  const fragment = hash < 0 ? undefined : percentDecode(destination.slice(hash + 1));
  const query = beforeHash.indexOf("?");
  const path = percentDecode(query < 0 ? beforeHash : beforeHash.slice(0, query));
  if (path === "") return hash < 0 ? { kind: "unknown" } : { kind: "file", path: from, fragment };
  const resolution = resolveRelative(path, parentOf(from), index);
  switch (resolution.kind) {
    case "found":
      return { kind: "file", path: resolution.path, fragment };
    case "folder":
      return resolution;
    case "missing":
      return { kind: "missing", path: resolution.tried[0] ?? path };
    case "unknown":
      return resolution;
  }
}

// --- internal ---

/** Claude Code resolves an import from the importing file's folder; `/` and `~/` leave the repository. */
function resolveInclude(target: string, folder: string, index: PathIndex): Resolution {
  if (target.startsWith("/") || target.startsWith("~")) return { kind: "unknown" };
  return resolveRelative(target, folder, index);
}

const ESCAPE = /\\([!-/:-@[-`{-~])/g;
const REFERENCE = /&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|amp|lt|gt|quot|apos);/g;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
