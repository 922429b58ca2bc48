import type { ResolvedFile } from "../crossref.js";
import type { RawFinding } from "../rule-ids.js";

/** Rule 9 (advisory): a file under the module globs that no other file links, includes or references. */
export function orphanModules(files: readonly ResolvedFile[], isModule: (path: string) => boolean): RawFinding[] {
  const referenced = new Set<string>();
  for (const file of files) {
    const from = file.facts.path;
    const add = (path: string) => {
      if (path !== from) referenced.add(path);
    };
    for (const { resolution } of file.links) if (resolution.kind === "file") add(resolution.path);
    for (const { resolution } of file.includes) if (resolution.kind === "found") add(resolution.path);
    for (const { resolution } of file.references) if (resolution.kind === "found") add(resolution.path);
  }
  return files
    .map((file) => file.facts.path)
    .filter((path) => isModule(path) && !referenced.has(path))
    .map((path) => ({
      ruleId: "orphan-module",
      path,
      line: 1,
      column: 1,
      message:
        "module is not referenced by any other file. Fix: reference it where it is used (a dependency tag, a link or an @include), or delete it.",
      target: "",
    }));
}
