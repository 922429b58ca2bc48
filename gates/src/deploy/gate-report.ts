import { Report } from "../model/report.js";
import { PORTCULLIS_VERSION } from "../version.js";
import { describeIssues, schemaIssues } from "../zod-issues.js";

/**
 * Gates before deploy: a deploy needs a passing report.json of the same environment and commit.
 * Pure: the CLI reads the file and passes its text (undefined when absent).
 */
export type GateReportCheck = { ok: true; summary: string } | { ok: false; reason: string; fix: string };

export function checkGateReport(
  text: string | undefined,
  file: string,
  expected: {
    environment: string;
    commit: string | null;
    /** The deploy's environment policy; undefined without `--env`. */
    policy?: { hash: string; source: string } | undefined;
  },
): GateReportCheck {
  if (text === undefined)
    return {
      ok: false,
      reason: `gate report ${file} not found`,
      fix: "run `portcullis evaluate --out <dir>` (or `portcullis ci`) and pass <dir>/report.json",
    };
  let document: unknown;
  try {
    document = JSON.parse(text) as unknown;
  } catch {
    return {
      ok: false,
      reason: `gate report ${file} is not JSON (empty or cut short?)`,
      fix: "pass the report.json written by `portcullis evaluate --out`",
    };
  }
  const parsed = Report.safeParse(document);
  if (!parsed.success) {
    return {
      ok: false,
      reason: `${file} is not a portcullis report.json: ${describeIssues(schemaIssues(parsed.error), 3)}`,
      fix: "pass the report.json written by `portcullis evaluate --out`",
    };
  }
  const report = parsed.data;
  if (report.prediction !== undefined) {
    return {
      ok: false,
      reason: `gate report ${file} is a prediction, not a scan (${report.prediction.basis})`,
      fix: "scan the commit being deployed (`portcullis ci`, or `portcullis evaluate` on fresh reports) and pass that report.json",
    };
  }
  if (report.environment !== expected.environment) {
    return {
      ok: false,
      reason: `gate report is for environment ${report.environment}, not ${expected.environment}`,
      fix: `evaluate with --env ${expected.environment}`,
    };
  }
  if (report.onlyGates !== undefined) {
    return {
      ok: false,
      reason: `gate report ${file} judged only ${report.onlyGates.join(", ")} (--gate), not every gate of ${report.environment}`,
      fix: `evaluate without --gate (\`portcullis ci --env ${expected.environment}\`) and pass that report.json`,
    };
  }
  if (expected.policy !== undefined && report.policyHash !== expected.policy.hash) {
    // A hash covers the policy with the defaults of the version that read it: across versions the
    // same file can hash differently, so say which versions met.
    const versions =
      report.portcullisVersion === PORTCULLIS_VERSION
        ? ""
        : `; the report was judged by Portcullis ${report.portcullisVersion}, this is ${PORTCULLIS_VERSION}, and a policy's hash includes its version's defaults`;
    return {
      ok: false,
      reason: `gate report was judged by another policy (${report.policySource ?? "source not recorded"}, ${report.policyHash.slice(0, 12)}) than this deploy's (${expected.policy.source}, ${expected.policy.hash.slice(0, 12)})${versions}`,
      fix: `evaluate with the deploy's --env ${expected.environment}${versions === "" ? "" : ` and this version of Portcullis`}, and pass that report.json`,
    };
  }
  if (expected.commit === null)
    return {
      ok: false,
      reason: "no --commit given to match the gate report against",
      fix: "pass --commit <sha> (the commit being deployed)",
    };
  if (report.commit === undefined || !sameCommit(report.commit, expected.commit)) {
    return {
      ok: false,
      reason: `gate report is for commit ${report.commit ?? "(none recorded)"}, not ${expected.commit}`,
      fix: "evaluate the commit being deployed",
    };
  }
  if (!report.passed) {
    const blocking = report.verdicts
      .filter((verdict) => verdict.blocking)
      .map((verdict) => `${verdict.gate} ${verdict.status}`);
    return {
      ok: false,
      reason: `gates blocked this commit: ${blocking.join(", ") || "report not passed"}`,
      fix: "fix the blocking gates, or deploy with --force --reason <why> (recorded and notified)",
    };
  }
  return { ok: true, summary: `gates passed for ${report.environment} at ${report.commit} (${report.generatedAt})` };
}

/** Full and abbreviated SHAs match when one starts with the other (at least 7 characters). */
function sameCommit(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a.toLowerCase(), b.toLowerCase()] : [b.toLowerCase(), a.toLowerCase()];
  return short.length >= 7 && long.startsWith(short);
}
