import { REPORT_SCHEMA_ID, type Report } from "../../../src/model/report.js";
import { PORTCULLIS_VERSION } from "../../../src/version.js";

/** The commit the gate reports below were judged at (a full SHA, so abbreviations can be tested). */
export const REPORT_COMMIT = "0123456789abcdef0123456789abcdef01234567";

/**
 * A passing report.json of REPORT_COMMIT for production, as `portcullis evaluate` writes it;
 * `extra` wins. Typed as Report so that a change of the report schema breaks its users at
 * compile time.
 */
export function passingReport(extra: Partial<Report> = {}): Report {
  return {
    schema: REPORT_SCHEMA_ID,
    portcullisVersion: PORTCULLIS_VERSION,
    generatedAt: "2026-12-01T00:00:00.000Z",
    environment: "production",
    policyHash: "abc",
    commit: REPORT_COMMIT,
    passed: true,
    verdicts: [],
    findings: [],
    waivers: [],
    waiverProblems: [],
    bypasses: [],
    tools: [],
    notices: [],
    timings: {},
    ...extra,
  };
}
