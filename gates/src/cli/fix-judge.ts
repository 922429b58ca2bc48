import path from "node:path";
import { ToolRunError } from "../errors.js";
import { evaluate } from "../evaluate/evaluate.js";
import type { EvaluateOutput, RunInput, RunMeta } from "../evaluate/types.js";
import type { ToolResult } from "../findings/finding.js";
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

/** A new scan where trivy is installed; otherwise the same findings judged against the new lockfile, marked as a prediction. */
export async function rejudge(input: RejudgeInput, io: CliIo): Promise<Awaited<ReturnType<typeof judge>>> {
  const executable = input.rescan ? findTrivy(io) : undefined;
  if (executable !== undefined) {
    const output = path.join(input.scratch, "trivy.after.json");
    return judge(
      input.prepared,
      await scanWithTrivy(
        {
          executable,
          root: input.root,
          output,
          shown: "trivy fs (after fix)",
          otherwise: "run fix again with --no-rescan to predict the verdict from the new lockfile",
        },
        io,
      ),
    );
  }
  const run = input.run;
  const after = input.adapter.inventory(input.afterFiles);
  const predicted = predictFindings(run.result.findings, after, {
    trivyTypes: input.adapter.trivyTypes,
    versions: input.adapter.versions,
  });
  return judge(
    input.prepared,
    { run: run.run, result: { ...run.result, findings: predicted.findings } },
    {
      basis: `${input.source.replaceAll("`", "")} judged against the new ${input.adapter.lockfile} (${predicted.resolved.length} findings resolved)`,
      limits: "no scanner ran after the change, so advisories against the new versions are not seen.",
    },
  );
}
