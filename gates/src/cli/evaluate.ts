import path from "node:path";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { REPORT_KINDS } from "../model/report.js";
import { reportParsers } from "../tools/index.js";
import type { RegisterCommand } from "./commands.js";
import {
  OUTPUT_FORMATS,
  collectEvidence,
  finishEvaluation,
  prepareEvaluation,
  type EvaluationFlags,
  type EvaluationNotes,
} from "./evaluation.js";
import type { CliIo } from "./io.js";
import { OUTPUT_FILES } from "./write-outputs.js";
import { listReportDir, parseReportFlag, readReports, type ReportSource } from "./read-reports.js";
import { referenceLine } from "./docs-page.js";

interface EvaluateFlags extends EvaluationFlags {
  report?: string[] | undefined;
  reports?: string | undefined;
}

/** `portcullis evaluate`: tool reports in, per-environment verdicts and reports out. */
export const registerEvaluate: RegisterCommand = (program, io, setExit) => {
  const command = program
    .command("evaluate")
    .description(
      "Judge tool reports against an environment's policy. Exit 0 passed, 1 blocked, 2 usage or configuration error",
    )
    .requiredOption("--env <name|path>", "environment name (environments/<name>.yml) or a policy file")
    .option(
      "--report <kind=file>",
      `a tool report; repeatable, the same kind merges. Kinds: ${REPORT_KINDS.join(", ")} (kind.label=file to tell several apart)`,
      collect,
    )
    .option("--reports <dir>", "read every <kind>[.<label>].json|.sarif in dir, with its <kind>[.<label>].exitcode")
    .option(
      "--source <dir>",
      "the repository the reports are about: the compliance controls inspect it, and secrets gitleaks masked are read back from it to scrub other tools' copies (default: the current directory)",
    );
  addEvaluationOptions(command).addHelpText(
    "after",
    [
      "",
      "Examples:",
      "  portcullis evaluate --env staging --reports reports/ --out out/",
      "  portcullis evaluate --env development --report gitleaks=gitleaks.json --report trivy=trivy.json",
      "  portcullis evaluate --env production --reports reports/ --baseline main/report.json --format json",
      "",
      "A missing, empty, truncated or wrong-tool report, or an exit code saying the tool crashed, makes",
      "its gates `error`: blocking when mandatory.",
      referenceLine("cli"),
      "",
    ].join("\n"),
  );
  command.action(async (flags: EvaluateFlags) => {
    setExit(await runEvaluate(flags, io));
  });
};

/** The options `evaluate` and `ci` share (policy inputs and outputs). */
export function addEvaluationOptions(command: Command): Command {
  return command
    .option("--baseline <report.json>", "a previous report.json: only findings new since then count")
    .option("--waivers <file>", "waivers file (default: .portcullis/waivers.yml when present)")
    .option(
      "--bypass <gate>",
      "override a gate (repeatable or comma-separated); needs --reason and --approver",
      collect,
    )
    .option(
      "--gate <gate>",
      "judge only this gate (repeatable or comma-separated); the others are disabled for this run",
      collect,
    )
    .option("--reason <text>", "why the bypassed gates are overridden (recorded in the report)")
    .option("--approver <name>", "who approved the bypass (recorded in the report)")
    .option("--base <ref>", "compliance: the branch this change goes into (default: origin/$GITHUB_BASE_REF)")
    .option("--controls <file>", "compliance: controls file (default: .portcullis/controls.yml when present)")
    .option("--ledger <file>", "compliance: deployment ledger (default: the environment's deploy store)")
    .option("--out <dir>", `write ${OUTPUT_FILES.join(", ")} to dir`)
    .option("--format <format>", `what to print: ${OUTPUT_FORMATS.join(" (verdict table) or ")} (report.json)`, "text")
    .option("--commit <sha>", "the commit judged (default: $GITHUB_SHA when set)");
}

/** Repeatable options: commander calls this once per occurrence. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

// --- internal ---

async function runEvaluate(flags: EvaluateFlags, io: CliIo): Promise<number> {
  const reportFlags = flags.report ?? [];
  if (reportFlags.length === 0 && flags.reports === undefined) {
    throw new UsageError("USAGE", "no reports given", {
      fix: "pass --reports <dir> and/or --report <kind>=<file> (or run `portcullis ci` to produce them)",
    });
  }
  const now = new Date();
  const prepared = prepareEvaluation(flags, { cwd: io.cwd, root: io.cwd }, io, now);
  const sources: ReportSource[] = reportFlags.map((value) => parseReportFlag(value, io.cwd));
  const notes: EvaluationNotes = { ignored: [], notes: [], timings: {} };
  if (flags.reports !== undefined) {
    const listing = listReportDir(flags.reports, io.cwd);
    sources.push(...listing.sources);
    const dir = flags.reports;
    notes.ignored.push(...listing.ignored.map((entry) => ({ ...entry, file: path.join(dir, entry.file) })));
    if (listing.problem !== undefined) notes.notes.push(listing.problem);
    notes.reportsDir = path.resolve(io.cwd, dir);
  }
  // The compliance evidence (git, files) is gathered while the reports are parsed. Awaited, and its
  // errors thrown, in finishEvaluation; the catch only keeps it from counting as unhandled meanwhile.
  const evidence = collectEvidence(prepared, notes.reportsDir, io);
  evidence.catch(() => undefined);
  const started = performance.now();
  const runs = await readReports(sources, reportParsers);
  notes.timings["read_reports_ms"] = Math.round(performance.now() - started);
  return finishEvaluation(prepared, runs, notes, io, evidence);
}
