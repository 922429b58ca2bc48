import { UsageError } from "../errors.js";
import { createFileAnalyzer, type FileFacts } from "./analyze.js";
import { defaultValidateConfig, type ValidateConfig } from "./config.js";
import { resolveAll } from "./crossref.js";
import { toFindings, type ValidateResult } from "./findings.js";
import { globMatcher } from "./globs.js";
import type { SourceFile } from "./parse.js";
import { PathIndex } from "./resolve.js";
import { brokenLinks } from "./rules/broken-link.js";
import { missingIncludes } from "./rules/missing-include.js";
import { missingReferences } from "./rules/missing-reference.js";
import { orphanModules } from "./rules/orphan-module.js";
import { referenceCycles } from "./rules/reference-cycle.js";
import { analyzeInWorkers, autoWorkerCount } from "./workers.js";

/** What the pure core reads: file contents and the list of existing paths. */
export interface ValidateInput {
  /** Markdown files (repository-relative paths, `/`-separated); include/exclude are applied here. */
  files: readonly SourceFile[];
  /** Every file path of the repository, for resolving links and references (default: the files'). */
  paths?: Iterable<string>;
  /** Folders whose contents were not listed: links and references into them are not judged. */
  unlisted?: readonly string[];
}

/** How the work is spread; the result does not depend on it. */
export interface ValidateOptions {
  /** Worker threads for the per-file work: a number (0 or 1: in this thread) or `auto` (by tree size). */
  workers?: number | "auto";
  /** Called as files are analysed (files done, files in all), for a progress display. */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/**
 * The pure core of `portcullis validate`: files in, findings out. Each file is parsed once and every
 * per-file check reads that parse (on worker threads for large trees); links, includes and
 * references are then resolved across the tree for the cross-file checks.
 */
export async function validateFiles(
  input: ValidateInput,
  config: ValidateConfig = defaultValidateConfig(),
  options: ValidateOptions = {},
): Promise<ValidateResult> {
  checkPaths(input.files);
  const included = globMatcher(config.include);
  const excluded = globMatcher(config.exclude);
  const files = input.files
    .filter((file) => included(file.path) && !excluded(file.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const workers =
    options.workers === undefined || options.workers === "auto" ? autoWorkerCount(files) : options.workers;
  const progress = options.onProgress ?? (() => undefined);
  const facts =
    workers > 1 ? await analyzeInWorkers(files, config, workers, progress) : await analyzeHere(files, config, progress);

  const index = new PathIndex([...(input.paths ?? []), ...input.files.map((file) => file.path)], input.unlisted ?? []);
  const resolved = resolveAll(facts, index, config.references.roots);
  const raw = [
    ...facts.flatMap((file) => file.findings),
    ...brokenLinks(resolved),
    ...missingIncludes(resolved),
    ...missingReferences(resolved),
    ...referenceCycles(resolved),
    ...orphanModules(resolved, globMatcher(config.modules)),
  ];
  return { filesScanned: files.length, findings: toFindings(raw) };
}

// --- internal ---

/** Files analysed between two progress reports in this thread. */
const PROGRESS_STEP = 64;

async function analyzeHere(
  files: readonly SourceFile[],
  config: ValidateConfig,
  progress: (done: number, total: number) => void,
): Promise<FileFacts[]> {
  const analyzer = createFileAnalyzer(config);
  try {
    const facts: FileFacts[] = [];
    for (let start = 0; start < files.length; start += PROGRESS_STEP) {
      facts.push(...(await analyzer.analyze(files.slice(start, start + PROGRESS_STEP))));
      progress(facts.length, files.length);
    }
    return facts;
  } finally {
    analyzer.dispose();
  }
}

function checkPaths(files: readonly SourceFile[]): void {
  const seen = new Set<string>();
  for (const { path } of files) {
    if (
      path === "" ||
      path.startsWith("/") ||
      path.includes("\\") ||
      path.split("/").some((part) => part === ".." || part === ".")
    ) {
      throw new UsageError("USAGE", `file path ${JSON.stringify(path)} is not repository-relative`, {
        fix: "pass paths relative to the repository root, separated by `/`",
      });
    }
    if (seen.has(path)) throw new UsageError("USAGE", `file ${path} is given twice`, { fix: "pass each file once" });
    seen.add(path);
  }
}
