import { GITHUB_LIMITS } from "./limits.js";
import type { Report, ReportedFinding } from "../model/report.js";
import { digestOf, type WorstFindings } from "./digest.js";

/** What report.sarif holds for one tool. */
export interface SarifToolPlan {
  tool: string;
  /** Why the tool has no run (its findings would mislead code scanning); undefined when it has one. */
  omitted?: string | undefined;
  /** Results written, most important first (new before accepted, then by severity). */
  findings: ReportedFinding[];
  /** Results the tool had before the per-run cap. */
  total: number;
}

/**
 * Decides report.sarif's runs: one per tool, at most 5,000 results each (all that code scanning
 * stores of a run; the most important are kept: new before accepted, then by severity), at most 20
 * runs. A tool with a report that could not be used gets no run: an empty or partial run would tell
 * code scanning that its open alerts were fixed.
 */
export function planSarif(report: Pick<Report, "tools" | "findings" | "verdicts">): SarifToolPlan[] {
  const broken = new Set(report.tools.filter((run) => run.error !== undefined).map((run) => run.tool));
  const byTool = new Map<string, WorstFindings | undefined>();
  // Load tests are not code scanning: k6 reports get no (always empty) run.
  for (const run of report.tools) if (run.kind !== "k6" && !byTool.has(run.tool)) byTool.set(run.tool, undefined);
  for (const [tool, worst] of digestOf(report).tools) byTool.set(tool, worst);
  let runs = 0;
  return [...byTool].map(([tool, worst]): SarifToolPlan => {
    const total = worst?.total ?? 0;
    if (broken.has(tool)) return { tool, omitted: `a ${tool} report could not be used`, findings: [], total };
    if (runs >= GITHUB_LIMITS.sarifRunsPerFile) {
      return {
        tool,
        omitted: `GitHub accepts at most ${GITHUB_LIMITS.sarifRunsPerFile} runs per file`,
        findings: [],
        total,
      };
    }
    runs += 1;
    return { tool, findings: worst?.take(GITHUB_LIMITS.sarifResultsStoredPerRun) ?? [], total };
  });
}

/**
 * The report with sentences about what report.sarif leaves out added to its notices, so that every
 * output states them. Applied where the outputs are written: judging the gates knows nothing of SARIF.
 */
export function withSarifNotices(report: Report): Report {
  const notices = sarifNotices(planSarif(report));
  return notices.length === 0 ? report : { ...report, notices: [...report.notices, ...notices] };
}

/** Sentences for report.notices about what report.sarif leaves out. */
export function sarifNotices(plan: readonly SarifToolPlan[]): string[] {
  return plan.flatMap((entry) => {
    if (entry.omitted !== undefined) return [`report.sarif has no ${entry.tool} run: ${entry.omitted}`];
    if (entry.findings.length < entry.total) {
      return [
        `report.sarif: ${entry.tool} has ${entry.total} results; only the ${entry.findings.length} most important are included ` +
          `(GitHub code scanning keeps at most ${GITHUB_LIMITS.sarifResultsStoredPerRun} per run); report.json has them all`,
      ];
    }
    return [];
  });
}
