/**
 * GitHub's limits on what Portcullis writes for it, in one place so that renderers, the evaluator's
 * notices and the documentation agree. Source: GitHub's code-scanning SARIF documentation and the
 * Actions workflow-command and job-summary documentation.
 */
export const GITHUB_LIMITS = {
  /** Code scanning rejects a SARIF file with more runs. */
  sarifRunsPerFile: 20,
  /**
   * Code scanning stores at most this many results of a run (it rejects a run of more than 25,000)
   * and warns about the rest ("Analysis SARIF file exceeded alert limits"). Which ones it keeps is
   * its choice, not the most severe whatever its documentation says (github/docs issue 38085), so
   * Portcullis picks them itself.
   */
  sarifResultsStoredPerRun: 5_000,
  /** Code scanning rejects a run with more rules. */
  sarifRulesPerRun: 25_000,
  /** Tags per rule: more are rejected; 10 are shown. */
  sarifTagsPerRule: 20,
  /** Rule name, short and full description: longer text is cut by GitHub. */
  sarifDescriptionChars: 1024,
  sarifRuleNameChars: 255,
  /** A SARIF upload, gzip-compressed, may be at most 10 MB. */
  sarifGzipBytes: 10 * 1024 * 1024,
  /** Annotations shown per step, per level (error, warning, notice); 50 per job in all. */
  annotationsPerStepPerLevel: 10,
  annotationsPerJob: 50,
  /** $GITHUB_STEP_SUMMARY accepts at most 1 MiB per step. */
  stepSummaryBytes: 1024 * 1024,
} as const;
