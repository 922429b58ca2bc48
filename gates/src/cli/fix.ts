import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ReportError, ToolRunError, UsageError, quote } from "../errors.js";
import { errorText } from "./problem-lines.js";
import type { RunInput, RunMeta } from "../evaluate/types.js";
import type { ToolResult } from "../findings/finding.js";
import { redactText, scrubList } from "../findings/redact.js";
import type { EcosystemAdapter, FixStep, LockMove, ProjectFiles } from "../fix/ecosystem.js";
import { npm } from "../fix/npm.js";
import { planFixes, unappliedUpgrades, type FixPlan } from "../fix/plan.js";
import { renderMoves, renderPlan, renderVerdictChanges, verdictChanges, type VerdictChange } from "../fix/render.js";
import type { Report } from "../model/report.js";
import { renderJson } from "../report/json.js";
import { reportParsers } from "../tools/index.js";
import type { RegisterCommand } from "./commands.js";
import { collect } from "./evaluate.js";
import { prepareEvaluation, type PreparedEvaluation } from "./evaluation.js";
import { readProjectFiles, restoreSnapshot, runSteps, snapshotText, takeSnapshot } from "./fix-apply.js";
import { findTrivy, judge, rejudge, scanWithTrivy } from "./fix-judge.js";
import { writeFixOutputs } from "./fix-outputs.js";
import { EXIT, type CliIo } from "./io.js";
import { parseReportFlag, readReport } from "./read-reports.js";

/** The ecosystems fix knows, tried in order; the first whose lockfile is in the folder is used. */
export const FIX_ADAPTERS: readonly EcosystemAdapter[] = [npm];

/** Where fix writes report.json, fix.patch and pull-request.md, relative to the project folder. */
export const DEFAULT_FIX_OUT = path.join("reports", "fix");

interface FixFlags {
  env: string;
  report?: string[] | undefined;
  allowMajor?: boolean | undefined;
  dryRun?: boolean | undefined;
  rescan: boolean;
  out?: string | undefined;
  waivers?: string | undefined;
  commit?: string | undefined;
}

/** `portcullis fix`: the smallest upgrades that unblock the vulnerabilities gate, applied by the package manager. */
export const registerFix: RegisterCommand = (program, io, setExit) => {
  program
    .command("fix")
    .description(
      "Upgrade vulnerable dependencies through the package manager, re-judge, and write a patch and a pull-request body. Exit 0 the gates pass, 1 still blocked or reverted, 2 usage",
    )
    .argument("[dir]", "the project folder (with package-lock.json)", ".")
    .option(
      "--report <trivy=file>",
      "the trivy JSON report to fix (default: scan with trivy when it is installed)",
      collect,
    )
    .option("--env <name|path>", "environment whose policy judges before and after", "production")
    .option("--allow-major", "also apply fixes that need a new major version")
    .option("--dry-run", "print the plan; change nothing")
    .option("--no-rescan", "judge a prediction even when trivy is installed")
    .option("--out <dir>", `where report.json, fix.patch and pull-request.md go (default: dir/${DEFAULT_FIX_OUT})`)
    .option("--waivers <file>", "waivers file (default: .portcullis/waivers.yml in dir when present)")
    .option("--commit <sha>", "the commit judged (default: $GITHUB_SHA when set)")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  portcullis fix --report trivy=reports/trivy.vuln.json --dry-run",
        "  portcullis fix . --report trivy=trivy.json --env staging --allow-major",
        "",
        "A failed npm step or an unplanned lockfile change puts every file back as it was. Reference: docs/fix.md",
        "",
      ].join("\n"),
    )
    .action(async (dir: string, flags: FixFlags) => {
      setExit(await runFix(dir, flags, io));
    });
};

// --- internal ---

/** Lockfiles of package managers fix does not drive, for a refusal that names them. */
const OTHER_LOCKFILES = [
  { file: "yarn.lock", manager: "yarn" },
  { file: "pnpm-lock.yaml", manager: "pnpm" },
  { file: "bun.lock", manager: "bun" },
] as const;

async function runFix(dir: string, flags: FixFlags, io: CliIo): Promise<number> {
  const root = path.resolve(io.cwd, dir);
  const adapter = detectAdapter(root, dir);
  const prepared = prepareEvaluation(
    { env: flags.env, waivers: flags.waivers, commit: flags.commit },
    { cwd: io.cwd, root },
    io,
    new Date(),
  );
  const scratch = mkdtempSync(path.join(os.tmpdir(), "portcullis-fix-"));
  try {
    const scan = await findings(flags, { root, scratch }, io);
    if ("error" in scan.run) {
      io.stderr(`portcullis fix: ${scan.run.error.describe()}\n`);
      return EXIT.usage;
    }
    const { result } = scan.run;
    const before = await judge(prepared, scan.run);
    const lockText = readProjectFiles(root, [adapter.lockfile]);
    const touched = [adapter.lockfile, ...adapter.manifestFiles(lockText.get(adapter.lockfile) ?? "")];
    const inventory = adapter.inventory(readProjectFiles(root, touched));
    const plan = planFixes({
      findings: result.findings,
      ecosystem: adapter.name,
      trivyTypes: adapter.trivyTypes,
      inventory,
      versions: adapter.versions,
      allowMajor: flags.allowMajor === true,
      cannotRewrite: (name, declaration) => adapter.cannotRewrite(name, declaration),
    });
    const steps = adapter.steps(plan, inventory);
    io.stdout(renderPlan(plan, steps));
    if (flags.dryRun === true) return EXIT.ok;
    if (plan.upgrades.length === 0) {
      const unchanged = verdictChanges(before.report.verdicts, before.report.verdicts);
      io.stdout(`\nNothing to change.\n${renderVerdictChanges(unchanged, false)}`);
      return blocked(unchanged) ? EXIT.blocked : EXIT.ok;
    }

    const applied = await applyPlan({ root, touched, steps, plan, adapter }, io);
    if (applied.kind === "refused") return EXIT.blocked;
    try {
      const scanned = { run: { run: scan.run.run, result }, source: scan.source };
      return await finish(
        { flags, prepared, adapter, root, scratch, scan: scanned, before: before.report, plan, dir, applied },
        io,
      );
    } catch (error) {
      // All or nothing: a failed re-scan or an unwritable output folder does not leave half a fix behind.
      applied.restore();
      // A re-scan that failed reverted the change: exit 1, as any reverted change.
      if (!(error instanceof ToolRunError || error instanceof ReportError)) throw error;
      io.stderr(`${errorText(error)}portcullis fix: the re-scan failed, so every file is back as it was.\n`);
      return EXIT.blocked;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface Applied {
  kind: "applied";
  before: ProjectFiles;
  after: ProjectFiles;
  restore: () => void;
}

/**
 * Runs the steps on a snapshot of the files they may write. A failed step, a lockfile move nobody
 * planned or an upgrade npm did not carry out puts every file back and says why.
 */
async function applyPlan(
  input: {
    root: string;
    touched: readonly string[];
    steps: readonly FixStep[];
    plan: FixPlan;
    adapter: EcosystemAdapter;
  },
  io: CliIo,
): Promise<Applied | { kind: "refused" }> {
  const snapshot = takeSnapshot(input.root, input.touched);
  const restore = (): void => restoreSnapshot(input.root, snapshot);
  const refuse = (message: string): { kind: "refused" } => {
    restore();
    io.stderr(`portcullis fix: ${message}`);
    return { kind: "refused" };
  };
  let applied: Awaited<ReturnType<typeof runSteps>>;
  try {
    applied = await runSteps(input.root, input.steps, io);
  } catch (error) {
    restore();
    throw error;
  }
  if (!applied.ok && "cancelled" in applied) {
    return refuse(`interrupted (${applied.cancelled}) while applying the plan. Every file is back as it was.\n`);
  }
  if (!applied.ok) {
    const what = applied.step.kind === "run" ? applied.step.argv.join(" ") : applied.step.why;
    const tail = applied.outcome.startError ?? applied.outcome.outputTail.join("\n  ");
    return refuse(
      `step ${applied.index + 1} failed (exit ${applied.outcome.exitCode}): ${what}\n  ${tail}\nEvery file is back as it was.\n`,
    );
  }
  const before = snapshotText(snapshot);
  const after = readProjectFiles(input.root, input.touched);
  const moves = input.adapter.unplannedMoves(before, after, input.plan);
  if (moves.length > 0) return refuse(movedMessage(moves));
  const unapplied = unappliedUpgrades(input.plan, input.adapter.inventory(after));
  if (unapplied.length > 0) {
    const listed = unapplied.map((upgrade) => `  ${upgrade.name} ${upgrade.from} → ${upgrade.to}\n`).join("");
    return refuse(
      `npm finished but did not carry out these upgrades, so nothing was kept:\n${listed}Run the plan's steps by hand (--dry-run prints them) and read npm's output.\n`,
    );
  }
  return { kind: "applied", before, after, restore };
}

/**
 * Why the moves revert the fix, and what to do. An entry fix had npm resolve again that came back
 * newer (within its range) is taken by updating it first; any other move means a lockfile out of
 * step with its manifests.
 */
function movedMessage(moves: readonly LockMove[]): string {
  const resolvedAgain = moves.filter((move) => move.resolvedAgain);
  const other = moves.filter((move) => !move.resolvedAgain);
  const parts = ["npm also moved packages the plan did not touch, so nothing was kept:\n"];
  if (resolvedAgain.length > 0) {
    const names = [...new Set(resolvedAgain.map((move) => move.name))].join(" ");
    parts.push(
      `${renderMoves(resolvedAgain)}These lead to an overridden package through a workspace, so fix had npm resolve them again (npm does not apply a new override there otherwise: npm/cli#8986), and npm brought them back at other versions (within their ranges) or places. To take them as npm resolves them, run \`npm update ${names} --package-lock-only --ignore-scripts\`, review and commit it, then run fix again.\n`,
    );
  }
  if (other.length > 0) {
    parts.push(
      `${renderMoves(other)}Bring package-lock.json in line with package.json first (\`npm install\`, reviewed and committed), then run fix again.\n`,
    );
  }
  return parts.join("");
}

interface FinishInput {
  flags: FixFlags;
  prepared: PreparedEvaluation;
  adapter: EcosystemAdapter;
  root: string;
  scratch: string;
  scan: { run: { run: RunMeta; result: ToolResult }; source: string };
  before: Report;
  plan: FixPlan;
  dir: string;
  applied: Applied;
}

/** Re-judges, prints the verdict change per gate, writes report.json, fix.patch and pull-request.md. */
async function finish(input: FinishInput, io: CliIo): Promise<number> {
  const { flags, prepared, adapter, root, scratch, scan, plan, applied } = input;
  const rejudged = await rejudge(
    {
      rescan: flags.rescan,
      prepared,
      adapter,
      root,
      scratch,
      run: scan.run,
      afterFiles: applied.after,
      source: scan.source,
    },
    io,
  );
  const changes = verdictChanges(input.before.verdicts, rejudged.report.verdicts);
  io.stdout(`\n${renderVerdictChanges(changes, rejudged.report.prediction !== undefined)}`);
  const written = writeFixOutputs(path.resolve(io.cwd, flags.out ?? path.join(input.dir, DEFAULT_FIX_OUT)), root, {
    plan,
    changes,
    report: renderJson(rejudged.report),
    before: applied.before,
    after: applied.after,
    source: scan.source,
    prediction: rejudged.report.prediction?.limits,
  });
  io.stdout(`Wrote ${written.map((file) => path.relative(io.cwd, file) || file).join(", ")}\n`);
  return blocked(changes) ? EXIT.blocked : EXIT.ok;
}
function detectAdapter(root: string, dir: string): EcosystemAdapter {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UsageError("USAGE", `${quote(dir)} is not a folder`, {
      fix: "give the project folder, or run from inside it",
    });
  }
  const adapter = FIX_ADAPTERS.find((candidate) => existsSync(path.join(root, candidate.lockfile)));
  const supported = FIX_ADAPTERS.map((candidate) => `${candidate.name} (${candidate.lockfile})`).join(", ");
  if (adapter === undefined) {
    const other = OTHER_LOCKFILES.find((entry) => existsSync(path.join(root, entry.file)));
    if (other !== undefined)
      throw new UsageError(
        "USAGE",
        `${quote(dir)} is a ${other.manager} project (${other.file}): fix supports ${supported} only`,
        {
          file: other.file,
          fix: `upgrade with ${other.manager} itself (the fixed versions are in the trivy report), or fix this project by hand`,
        },
      );
    throw new UsageError("USAGE", `no lockfile fix can work with in ${quote(dir)}`, {
      fix: `fix supports ${supported}; run it in the folder that holds the lockfile`,
    });
  }
  const unsupported = adapter.unsupportedFiles.find((entry) => existsSync(path.join(root, entry.file)));
  if (unsupported !== undefined)
    throw new UsageError("USAGE", unsupported.why, { file: unsupported.file, fix: unsupported.fix });
  return adapter;
}

/** The findings to fix: `--report trivy=<file>`, else a trivy scan when trivy is installed. */
async function findings(
  flags: FixFlags,
  where: { root: string; scratch: string },
  io: CliIo,
): Promise<{ run: RunInput; source: string }> {
  const reports = flags.report ?? [];
  if (reports.length > 1)
    throw new UsageError("USAGE", "fix reads one trivy report", { fix: "pass --report trivy=<file> once" });
  const [flag] = reports;
  if (flag !== undefined) {
    const source = parseReportFlag(flag, io.cwd);
    if (source.kind !== "trivy") {
      throw new UsageError("USAGE", `--report ${quote(flag)}: fix reads trivy reports`, {
        fix: "pass --report trivy=<file> (trivy fs --format json)",
      });
    }
    const run = await readReport(source, reportParsers);
    // Its path is written to pull-request.md: scrubbed of the report's secrets like every other text.
    const secrets = scrubList("result" in run ? run.result.secrets : []);
    return { run, source: redactText(`the trivy report \`${source.shown}\``, secrets) };
  }
  const executable = findTrivy(io);
  if (executable === undefined) {
    throw new UsageError("USAGE", "no report given and trivy is not installed", {
      fix: "pass --report trivy=<file> (from `trivy fs --format json`), or install trivy so fix can scan",
    });
  }
  const output = path.join(where.scratch, "trivy.before.json");
  return {
    run: await scanWithTrivy(
      {
        executable,
        root: where.root,
        output,
        shown: "trivy fs (before fix)",
        otherwise: "pass the report of a scan you ran with --report trivy=<file>",
      },
      io,
    ),
    source: "a new trivy scan",
  };
}

function blocked(changes: readonly VerdictChange[]): boolean {
  return changes.some((change) => change.blockingAfter);
}
