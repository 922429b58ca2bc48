import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { IoError, messageOf } from "../errors.js";
import type { ProjectFiles } from "../fix/ecosystem.js";
import { renderPatch } from "../fix/patch.js";
import type { FixPlan } from "../fix/plan.js";
import { renderPullRequest, type VerdictChange } from "../fix/render.js";

/** The files `portcullis fix` writes to its output folder. */
export const FIX_OUTPUT_FILES = ["report.json", "fix.patch", "pull-request.md"] as const;

export interface FixOutputs {
  plan: FixPlan;
  changes: readonly VerdictChange[];
  /** report.json of the re-judged run, already rendered (and scrubbed). */
  report: string;
  before: ProjectFiles;
  after: ProjectFiles;
  /** How the findings were obtained, for the pull-request body. */
  source: string;
  /** What the prediction cannot see, when the "after" verdicts are predicted. */
  prediction?: string | undefined;
}

/**
 * Writes report.json, fix.patch and pull-request.md to `dir` (created when absent); returns their
 * paths. The patch names files from the top of the git repository holding `root`, as `git apply`
 * reads them (from the project folder when it is in none).
 */
export function writeFixOutputs(dir: string, root: string, outputs: FixOutputs): string[] {
  const rendered: Readonly<Record<(typeof FIX_OUTPUT_FILES)[number], string>> = {
    "report.json": outputs.report,
    "fix.patch": renderPatch(outputs.before, outputs.after, repositoryPrefix(root)),
    "pull-request.md": renderPullRequest({
      plan: outputs.plan,
      changes: outputs.changes,
      source: outputs.source,
      prediction: outputs.prediction,
    }),
  };
  try {
    mkdirSync(dir, { recursive: true });
    return FIX_OUTPUT_FILES.map((name) => {
      const file = path.join(dir, name);
      writeFileSync(file, rendered[name]);
      return file;
    });
  } catch (error) {
    throw new IoError(`cannot write the fix outputs: ${messageOf(error)}`, {
      file: dir,
      fix: "check that the folder is writable (or pass --out <dir>)",
      cause: error,
    });
  }
}

/** The project folder's path from the top of its git repository (`app/`), or "" outside one. */
function repositoryPrefix(root: string): string {
  try {
    return execFileSync("git", ["rev-parse", "--show-prefix"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "";
  }
}
