import path from "node:path";
import { ToolRunError } from "../errors.js";
import { evaluate } from "../evaluate/evaluate.js";
import type { EvaluateOutput, RunInput, RunMeta } from "../evaluate/types.js";
import type { Finding, ToolResult } from "../findings/finding.js";
import type { EcosystemAdapter } from "../fix/ecosystem.js";
import { predictFindings } from "../fix/predict.js";
import type { Report } from "../model/report.js";
import { reportParsers } from "../tools/index.js";
import { trivy } from "../tools/trivy.js";
import { findOnPath, runProcess } from "../runner/spawn.js";
import type { PreparedEvaluation } from "./evaluation.js";
import { trivyCacheDir } from "./ci.js";
import type { CliIo } from "./io.js";
import { readReport } from "./read-reports.js";

/** A trivy scan may download its vulnerability DB first. */
const SCAN_TIMEOUT_MS = 30 * 60_000;

/** trivy's full path when it is installed, undefined otherwise. */
export function findTrivy(io: CliIo): string | undefined {
  return findOnPath("trivy", io.env);
}

/**
 * `trivy fs --scanners vuln` on the project, read back through the trivy adapter. The report file
 * goes to `output`; `shown` is how report.json names it.
 */
export async function scanWithTrivy(
  options: { executable: string; root: string; output: string; shown: string; otherwise: string },
  io: CliIo,
): Promise<RunInput> {
  const args = trivy.argv.fs({ dir: ".", output: options.output, cacheDir: trivyCacheDir(io), scanners: ["vuln"] });
  io.stderr(`portcullis fix: trivy ${args.join(" ")}\n`);
  const outcome = await runProcess({
    executable: options.executable,
    args,
    cwd: options.root,
    env: io.env,
    timeoutMs: SCAN_TIMEOUT_MS,
  });
  if (trivy.exitMeaning(outcome.exitCode) === "error") {
    throw new ToolRunError(
      "TOOL_FAILED",
      `trivy exited with code ${outcome.exitCode}: ${outcome.startError ?? outcome.outputTail.join(" | ")}`,
      {
        tool: "trivy",
        fix: `read trivy's message and fix the cause (DB download, permissions), or ${options.otherwise}`,
      },
    );
  }
  return readReport({ kind: "trivy", path: options.output, shown: options.shown }, reportParsers);
}

/** Judges one trivy run against the prepared policy: the gates `evaluate --report trivy=…` would give. */
export async function judge(
  prepared: PreparedEvaluation,
  run: RunInput,
  prediction?: Report["prediction"],
): Promise<EvaluateOutput> {
  return evaluate({
    policy: prepared.loaded.policy,
    policyHash: prepared.loaded.hash,
    environment: prepared.environment,
    runs: [run],
    waivers: prepared.waivers,
    baseline: await prepared.baseline?.(),
    bypasses: prepared.bypasses,
    commit: prepared.commit,
    now: new Date(),
    timings: {},
    exitMeaning: reportParsers.exitMeaning,
    prediction,
  });
}

export interface RejudgeInput {
  /** False with --no-rescan: predict even where trivy is installed. */
  rescan: boolean;
  prepared: PreparedEvaluation;
  adapter: EcosystemAdapter;
  root: string;
  scratch: string;
  run: { run: RunMeta; result: ToolResult };
  afterFiles: ReadonlyMap<string, string>;
  source: string;
}

/**
 * A new scan where trivy is installed; otherwise the same findings judged against the new lockfile,
 * marked as a prediction. The new scan sees what fix's own trivy command sees: a finding of the
 * given report it did not see (a report scanned with `--include-dev-deps`, another folder) is kept
 * as the new lockfile predicts it, never dropped as fixed.
 */
export async function rejudge(input: RejudgeInput, io: CliIo): Promise<Awaited<ReturnType<typeof judge>>> {
  const run = input.run;
  const after = input.adapter.inventory(input.afterFiles);
  const predicted = predictFindings(run.result.findings, after, {
    trivyTypes: input.adapter.trivyTypes,
    versions: input.adapter.versions,
  });
  const executable = input.rescan ? findTrivy(io) : undefined;
  if (executable !== undefined) {
    const output = path.join(input.scratch, "trivy.after.json");
    const scanned = await scanWithTrivy(
      {
        executable,
        root: input.root,
        output,
        shown: "trivy fs (after fix)",
        otherwise: "run fix again with --no-rescan to predict the verdict from the new lockfile",
      },
      io,
    );
    if (!("result" in scanned)) return judge(input.prepared, scanned);
    const seen = new Set(scanned.result.findings.map((finding) => finding.fingerprint));
    // Unseen, and still where the report saw it: a copy fix moved to a version that is still
    // vulnerable is the new scan's to report, at its new version.
    const stillThere = (finding: Finding): boolean =>
      finding.location?.path !== after.lockfile ||
      after.packages.some(
        (entry) => entry.name === finding.package?.name && entry.version === finding.package.installed,
      );
    const unseen = predicted.findings.filter((finding) => !seen.has(finding.fingerprint) && stillThere(finding));
    if (unseen.length > 0) {
      io.stderr(
        `portcullis fix: ${unseen.length} finding(s) of ${input.source.replaceAll("`", "")} are outside what fix's own trivy scan covers (dev dependencies, other folders): judged as the new ${input.adapter.lockfile} predicts them\n`,
      );
    }
    return judge(input.prepared, {
      run: scanned.run,
      result: { ...scanned.result, findings: [...scanned.result.findings, ...unseen] },
    });
  }
  return judge(
    input.prepared,
    { run: run.run, result: { ...run.result, findings: predicted.findings } },
    {
      basis: `${input.source.replaceAll("`", "")} judged against the new ${input.adapter.lockfile} (${predicted.resolved.length} findings resolved)`,
      limits: "no scanner ran after the change, so advisories against the new versions are not seen.",
    },
  );
}
