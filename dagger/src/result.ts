/**
 * What a run's reports turn into: the Result of `ci` and `evaluate` (the verdict table, whether the
 * gates passed and every report, as `portcullis evaluate` wrote them) and the evidence bundle
 * (`portcullis evidence`). The module reads the CLI's exit code and output; it decides nothing itself.
 */
import { dag, func, object, ReturnType, type Directory, type File, type Secret } from "@dagger.io/dagger";
import { checkOperand } from "./argv.js";
import { cliIn, withScanRun } from "./containers.js";
import { CLI_EXIT_CODES } from "./exit-codes.gen.js";
import { LAYOUT } from "./layout.js";
import { cli, type Toolbox } from "./toolbox.js";

/** What `portcullis evaluate` exits with when it judged: the gates passed, or a mandatory one blocked. */
const JUDGED = { passed: CLI_EXIT_CODES.ok.code, blocked: CLI_EXIT_CODES.blocked.code } as const;

/** The bundle `evidence` returns, and the variable the CLI reads its signing key from. */
const EVIDENCE_FILE = "evidence.tar.gz";
const EVIDENCE_KEY_ENV = "PORTCULLIS_EVIDENCE_KEY";

/** What the gates decided, and every report behind it. */
@object()
export class Result {
  /**
   * The verdict table: one line per gate with its status and the reason.
   * Usage: dagger call ci --source=. summary
   */
  @func()
  summary = "";

  /**
   * True when no mandatory gate failed or errored (advisory gates may warn).
   * Usage: dagger call ci --source=. passed
   */
  @func()
  passed = false;

  /**
   * report.json, report.sarif, summary.md, junit.xml and each tool's own report, named by the
   * `--reports` contract (`trivy.fs.json`, `gitleaks.exitcode`…).
   * Usage: dagger call ci --source=. reports export --path=./reports
   */
  @func()
  reports: Directory = dag.directory();

  /**
   * Fails when a mandatory gate blocked; otherwise prints the verdict table.
   * Usage: dagger call ci --source=. assert
   */
  @func()
  assert(): string {
    if (!this.passed) throw new Error(`Portcullis: blocked by a mandatory gate\n\n${this.summary}`);
    return this.summary;
  }
}

/** What `portcullis evaluate` is given: the reports and the tree they are about, judged for one environment. */
export interface EvaluateInput {
  reports: Directory;
  /** The caller's tree: its environments/, waivers and baseline apply, over Portcullis' default policies. */
  source: Directory;
  env: string;
  commit: string | undefined;
  /** Stages that did not report, listed under the verdict table. */
  notes: readonly string[];
  /** Judge only these gates (`portcullis evaluate --gate`); all when absent. */
  gates?: readonly string[] | undefined;
}

/**
 * Runs `portcullis evaluate` over the reports in the CLI container working in the caller's tree:
 * exit 0 passed, 1 blocked, anything else fails the call with the CLI's message.
 */
export async function evaluateReports(tools: Toolbox, input: EvaluateInput): Promise<Result> {
  const { reports, notes } = input;
  const commit = input.commit === undefined ? [] : ["--commit", checkOperand("commit", input.commit)];
  const gates = input.gates === undefined ? [] : ["--gate", input.gates.join(",")];
  const ran = withScanRun(cliIn(cli(tools), input.source))
    .withMountedDirectory(LAYOUT.reports, reports)
    .withExec(
      [
        "portcullis",
        "evaluate",
        "--env",
        checkOperand("env", input.env),
        "--reports",
        LAYOUT.reports,
        "--out",
        LAYOUT.out,
        "--format",
        "text",
        ...commit,
        ...gates,
      ],
      { expect: ReturnType.Any },
    );
  const exitCode = await ran.exitCode();
  if (exitCode !== JUDGED.passed && exitCode !== JUDGED.blocked) {
    throw new Error(`portcullis evaluate failed (exit ${exitCode}):\n${await ran.stderr()}`);
  }
  const result = new Result();
  result.passed = exitCode === JUDGED.passed;
  result.summary = withNotes(await ran.stdout(), notes);
  result.reports = reports.withDirectory(".", ran.directory(LAYOUT.out));
  return result;
}

/** What `evidence` is given: a run's reports, the repository, and optionally the policy and a signing key. */
export interface EvidenceInput {
  reports: Directory;
  source: Directory;
  /** By default the environment report.json names. */
  env: string | undefined;
  signingKey: Secret | undefined;
}

/** `portcullis evidence`: the verifiable bundle of one run; the signing key only as a secret variable. */
export function evidenceBundle(tools: Toolbox, input: EvidenceInput): File {
  const environment = input.env === undefined ? [] : ["--env", checkOperand("env", input.env)];
  let container = cliIn(cli(tools), input.source).withMountedDirectory(LAYOUT.reports, input.reports);
  if (input.signingKey !== undefined) container = container.withSecretVariable(EVIDENCE_KEY_ENV, input.signingKey);
  const bundle = `${LAYOUT.out}/${EVIDENCE_FILE}`;
  const argv = ["portcullis", "evidence", "--from", LAYOUT.reports, "--source", ".", "--out", bundle, ...environment];
  return container.withExec(argv, { expect: ReturnType.Success }).file(bundle);
}

// --- internal ---

function withNotes(summary: string, notes: readonly string[]): string {
  if (notes.length === 0) return summary;
  return `${summary.trimEnd()}\n\nStages that did not report (their gates are error):\n${notes.map((note) => `- ${note}`).join("\n")}\n`;
}
