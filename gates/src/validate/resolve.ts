import { stripSuffix } from "./references.js";

/**
 * The repository's files, for resolving links and references. Folders that were not listed
 * (excluded ones such as node_modules) are `unlisted`: whether a path under them exists is unknown,
 * and an unknown target is never reported.
 */
export class PathIndex {
  private readonly files: ReadonlySet<string>;
  private readonly folders = new Set<string>([""]);
  private readonly children = new Map<string, Set<string>>();
  private readonly unlisted: readonly string[];

  constructor(paths: Iterable<string>, unlisted: readonly string[] = []) {
    this.files = new Set(paths);
    for (const file of this.files) {
      let child = file;
      for (let parent = parentOf(child); ; parent = parentOf(parent)) {
        const known = this.children.get(parent);
        if (known === undefined) this.children.set(parent, new Set([child]));
        else known.add(child);
        if (this.folders.has(parent)) break;
        this.folders.add(parent);
        child = parent;
      }
    }
    this.unlisted = unlisted.map((folder) => `${folder}/`);
  }

  isFile(path: string): boolean {
    return this.files.has(path);
  }

  isFolder(path: string): boolean {
    return this.folders.has(path);
  }

  /** True when `path` lies in a folder that was not listed. */
  isUnknown(path: string): boolean {
    return this.unlisted.some((folder) => path.startsWith(folder) || `${path}/` === folder);
  }

  /** The immediate subfolders of `folder`, sorted. */
  subfolders(folder: string): string[] {
    const children = this.children.get(folder) ?? new Set<string>();
    return [...children].filter((child) => this.folders.has(child)).sort();
  }
}

/** The folder of a repository-relative path (`""` for the root). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** Joins `relative` onto `folder` and normalises `.`/`..`; undefined when it climbs above the root. */
export function joinPath(folder: string, relative: string): string | undefined {
  const parts = folder === "" ? [] : folder.split("/");
  for (const part of relative.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join("/");
}

/** Where a path leads. */
export type Resolution =
  | { kind: "found"; path: string }
  | { kind: "folder"; path: string }
  | { kind: "missing"; tried: string[] }
  /** Under an unlisted folder, outside the repository, or in the home folder: not checkable. */
  | { kind: "unknown" };

/**
 * Compiles `references.roots` for one file: `.` is the file's folder, `/x` a folder from the root,
 * `/x/*` each immediate subfolder of `/x` in sorted order. Duplicates are dropped.
 */
export function referenceFolders(roots: readonly string[], from: string, index: PathIndex): string[] {
  const folders: string[] = [];
  for (const root of roots) {
    if (root === ".") folders.push(parentOf(from));
    else if (root.endsWith("/*")) folders.push(...index.subfolders(trimSlashes(root.slice(0, -2))));
    else folders.push(trimSlashes(root));
  }
  return [...new Set(folders)];
}

/** Resolves a framework reference against `folders` in order; `/x` is always from the root. */
export function resolveReference(target: string, folders: readonly string[], index: PathIndex): Resolution {
  const path = stripSuffix(target.startsWith("@") ? target.slice(1) : target);
  if (path.startsWith("~") || path.includes("\\")) return { kind: "unknown" };
  const candidates = path.startsWith("/") ? [""] : folders;
  const tried: string[] = [];
  let unknown = false;
  for (const folder of candidates) {
    const joined = joinPath(folder, path);
    if (joined === undefined) continue;
    if (index.isFile(joined)) return { kind: "found", path: joined };
    if (index.isUnknown(joined)) unknown = true;
    tried.push(joined);
  }
  return unknown || tried.length === 0 ? { kind: "unknown" } : { kind: "missing", tried };
}

/** Resolves a relative file path (link target, @include) against one folder. */
export function resolveRelative(path: string, folder: string, index: PathIndex): Resolution {
  const joined = path.startsWith("/") ? joinPath("", path) : joinPath(folder, path);
  if (joined === undefined || index.isUnknown(joined)) return { kind: "unknown" };
  if (index.isFile(joined)) return { kind: "found", path: joined };
  if (index.isFolder(joined)) return { kind: "folder", path: joined };
  return { kind: "missing", tried: [joined] };
}

// --- internal ---

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, "");
}
