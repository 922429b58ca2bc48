import type { RunInput } from "../evaluate/types.js";

/**
 * Drops the findings located in the runner's own reports folder: the scanners walk the whole tree,
 * and the previous run's summary, SARIF and HTML (or a report another tool is writing right now)
 * are Portcullis' output, not the repository's code. Judging them would make every rerun find more.
 * `folder` is repository-relative with forward slashes; "" (the reports folder is the tree itself,
 * or outside it) drops nothing.
 */
export function withoutOwnOutput(runs: readonly RunInput[], folder: string): { runs: RunInput[]; dropped: number } {
  if (folder === "") return { runs: [...runs], dropped: 0 };
  let dropped = 0;
  const inside = (file: string | undefined): boolean =>
    file !== undefined && (file === folder || file.startsWith(`${folder}/`) || file.startsWith(`./${folder}/`));
  const kept = runs.map((input): RunInput => {
    if (!("result" in input)) return input;
    const findings = input.result.findings.filter((finding) => !inside(finding.location?.path));
    const left = input.result.findings.length - findings.length;
    dropped += left;
    if (left === 0) return input;
    return { run: { ...input.run, ownOutputFindings: left }, result: { ...input.result, findings } };
  });
  return { runs: kept, dropped };
}
