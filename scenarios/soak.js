// Soak: modest load for a long time, to surface leaks and slow degradation. Aborts once the SLA
// is lost (after a longer settling delay), because an hour-long run should not finish in vain.
import { sleep } from "k6";
import { SUMMARY_TREND_STATS, slaFromEnv, slaThresholds } from "./lib/sla.js";
import { hitEveryPath, targetFromEnv } from "./lib/target.js";
import { summaryHandler } from "./lib/summary.js";

const target = targetFromEnv(__ENV);

/** @type {import("k6/options").Options} */
export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  scenarios: {
    soak: {
      executor: "constant-vus",
      vus: Number(__ENV["SOAK_VUS"] ?? "20"),
      duration: __ENV["SOAK_DURATION"] ?? "1h",
    },
  },
  thresholds: slaThresholds(slaFromEnv(__ENV), { abort: true, delayAbortEval: "5m" }),
};

export default function () {
  hitEveryPath(target);
  sleep(Number(__ENV["THINK_TIME"] ?? "1"));
}

export const handleSummary = summaryHandler(__ENV);
