import { mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors.js";

/**
 * Output paths given on the command line (`--out`). Folders are created here, one level at a time,
 * never with Node's `mkdir({ recursive: true })`: where a parent exists but refuses new entries
 * with ENOENT (`/proc`, some FUSE mounts) that call retries forever at 100 % CPU. Creating each
 * missing level once bounds the attempt by the depth of the path.
 */

/** Creates `dir` and its missing parents; a path that cannot be created is a usage error (exit 2). */
export function makeDirectory(dir: string, flag: string): void {
  const absolute = path.resolve(dir);
  const missing: string[] = [];
  for (let current = absolute; ; current = path.dirname(current)) {
    const kind = entryKind(current, flag);
    if (kind === "directory") break;
    if (kind === "other") {
      throw new UsageError("USAGE", `${flag}: ${current} exists and is not a folder`, {
        file: current,
        fix: `give ${flag} a folder path, or remove the file in the way`,
      });
    }
    missing.push(current);
    if (path.dirname(current) === current) break;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level);
    } catch (error) {
      if (errorCode(error) === "EEXIST" && entryKind(level, flag) === "directory") continue;
      throw new UsageError("USAGE", `${flag}: cannot create the folder ${level}: ${reason(error)}`, {
        file: dir,
        fix: `give ${flag} a path in a writable folder`,
        cause: error,
      });
    }
  }
}

/**
 * Where `evidence --out` writes the bundle: an existing folder, or a path ending in `/`, means
 * `evidence.tar.gz` inside that folder; anything else is the bundle's own file name.
 */
export function bundleTarget(out: string, cwd: string, fileName: string): string {
  const absolute = path.resolve(cwd, out);
  const intoFolder = /[/\\]$/.test(out) || entryKind(absolute, "--out") === "directory";
  return intoFolder ? path.join(absolute, fileName) : absolute;
}

// --- internal ---

function entryKind(file: string, flag: string): "directory" | "other" | "absent" {
  try {
    return statSync(file).isDirectory() ? "directory" : "other";
  } catch (error) {
    const code = errorCode(error);
    // ENOTDIR: a parent is a file; walking up names it.
    if (code === "ENOENT" || code === "ENOTDIR") return "absent";
    throw new UsageError("USAGE", `${flag}: cannot use ${file}: ${reason(error)}`, {
      file,
      fix: `give ${flag} a path you can write to`,
      cause: error,
    });
  }
}

function errorCode(error: unknown): unknown {
  return error instanceof Error && "code" in error ? error.code : undefined;
}

function reason(error: unknown): string {
  const code = errorCode(error);
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EROFS") return "read-only file system";
  if (code === "ENOENT") return "the system refuses to create it there";
  return error instanceof Error ? error.message : String(error);
}
