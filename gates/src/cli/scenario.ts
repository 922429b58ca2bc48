import { statSync } from "node:fs";
import path from "node:path";
import { BUILTIN_SCENARIOS_DIR } from "../policy/builtin.js";
import { insideRelative } from "../paths.js";

/** A k6 scenario found for `--scenario`, or the name that was not and every place looked in. */
export type FoundScenario = { file: string } | { name: string; searched: string[] };

/**
 * `--scenario smoke` -> dir/scenarios/smoke.js, else the built-in smoke.js; a value with a slash or
 * `.js` is a path from the current directory.
 */
export function findScenario(value: string, where: { root: string; cwd: string }): FoundScenario {
  const candidates = /[/\\]|\.m?js$/.test(value)
    ? [path.resolve(where.cwd, value)]
    : [path.join(where.root, "scenarios", `${value}.js`), path.join(BUILTIN_SCENARIOS_DIR, `${value}.js`)];
  const file = candidates.find((candidate) => statSync(candidate, { throwIfNoEntry: false })?.isFile() === true);
  return file === undefined
    ? { name: value, searched: candidates.map((candidate) => path.relative(where.cwd, candidate) || candidate) }
    : { file };
}

/** Which scenario runs, in words: the repository's file or the built-in one. */
export function describeScenario(file: string, root: string): string {
  if (file.startsWith(BUILTIN_SCENARIOS_DIR)) {
    return `built-in ${path.basename(file, ".js")} scenario (no scenarios/${path.basename(file)} in this repository)`;
  }
  return insideRelative(root, file) ?? file;
}
