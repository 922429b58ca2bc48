// handleSummary shared by every scenario: writes k6's summary data (the JSON the performance gate
// reads) and keeps k6's normal stdout summary, which k6 drops as soon as handleSummary exists.
import { textSummary } from "https://jslib.k6.io/k6-summary/0.0.2/index.js";

/**
 * @param {Record<string, string | undefined>} env k6's __ENV
 * @returns {(data: object) => Record<string, string>}
 */
export function summaryHandler(env) {
  const path = env["K6_SUMMARY_PATH"] ?? "k6-summary.json";
  return (data) => ({
    stdout: textSummary(data, { indent: " ", enableColors: env["NO_COLOR"] === undefined }),
    [path]: JSON.stringify(data),
  });
}
