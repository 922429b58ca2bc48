import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import type { ProjectFiles } from "./ecosystem.js";

/**
 * A git-style patch (`git apply fix.patch` applies it) of every file whose text differs between
 * two snapshots of the project. A file absent from one side is created or deleted. `prefix` is the
 * project folder's path from the repository's top (`app/`), where `git apply` takes paths from.
 */
export function renderPatch(before: ProjectFiles, after: ProjectFiles, prefix = ""): string {
  const files = [...new Set([...before.keys(), ...after.keys()])].sort();
  const parts: string[] = [];
  for (const name of files) {
    const old = before.get(name);
    const now = after.get(name);
    const file = `${prefix}${name}`;
    if (old === now) continue;
    const header = [
      `diff --git a/${file} b/${file}`,
      ...(old === undefined ? ["new file mode 100644"] : now === undefined ? ["deleted file mode 100644"] : []),
    ].join("\n");
    const body = createTwoFilesPatch(
      old === undefined ? "/dev/null" : `a/${file}`,
      now === undefined ? "/dev/null" : `b/${file}`,
      old ?? "",
      now ?? "",
      undefined,
      undefined,
      { context: 3, headerOptions: FILE_HEADERS_ONLY },
    );
    parts.push(`${header}\n${body}`);
  }
  return parts.join("");
}
