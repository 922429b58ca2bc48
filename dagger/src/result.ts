/**
 * The result of `ci` and `evaluate`: the verdict table, whether the gates passed and every report,
 * as the `portcullis evaluate` CLI wrote them. The module reads the CLI's exit code and output; it
 * decides nothing itself.
 */
import { dag, func, object, ReturnType, type Container, type Directory } from "@dagger.io/dagger";
import { checkOperand } from "./argv.js";
import { LAYOUT } from "./layout.js";

/** What `portcullis evaluate` exits with. */
const EVALUATE_EXIT = { passed: 0, blocked: 1 } as const;

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
   * `--reports` contract (`trivy.json`, `gitleaks.exitcode`…).
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

/**
 * Runs `portcullis evaluate` over `reports` in `cli` (the CLI container working in the caller's
 * tree): exit 0 passed, 1 blocked, anything else fails the call with the CLI's message. `notes`
 * (stages that did not report) go under the verdict table.
 */
export async function evaluateInto(
  cli: Container,
  input: {
    reports: Directory;
    env: string;
    commit: string | undefined;
    notes: readonly string[];
    gates?: readonly string[] | undefined;
  },
): Promise<Result> {
  const { reports, notes } = input;
  const commit = input.commit === undefined ? [] : ["--commit", checkOperand("commit", input.commit)];
  const gates = input.gates === undefined ? [] : ["--gate", input.gates.join(",")];
  const ran = cli
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
  if (exitCode !== EVALUATE_EXIT.passed && exitCode !== EVALUATE_EXIT.blocked) {
    throw new Error(`portcullis evaluate failed (exit ${exitCode}):\n${await ran.stderr()}`);
  }
  const result = new Result();
  result.passed = exitCode === EVALUATE_EXIT.passed;
  result.summary = withNotes(await ran.stdout(), notes);
  result.reports = reports.withDirectory(".", ran.directory(LAYOUT.out));
  return result;
}

// --- internal ---

function withNotes(summary: string, notes: readonly string[]): string {
  if (notes.length === 0) return summary;
  return `${summary.trimEnd()}\n\nStages that did not report (their gates are error):\n${notes.map((note) => `- ${note}`).join("\n")}\n`;
}
