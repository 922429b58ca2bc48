// Load: ramp to the design's concurrency (100 users), hold, ramp down. Aborts early once the SLA
// is clearly lost: the rest of the run would only confirm it.
import { sleep } from "k6";
import { SUMMARY_TREND_STATS, slaFromEnv, slaThresholds } from "./lib/sla.js";
import { hitEveryPath, targetFromEnv } from "./lib/target.js";
import { summaryHandler } from "./lib/summary.js";

const target = targetFromEnv(__ENV);
const peak = Number(__ENV["LOAD_VUS"] ?? "100");

/** @type {import("k6/options").Options} */
export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  scenarios: {
    load: {
      executor: "ramping-vus",
      startVUs: 0,
      stages: [
        { duration: __ENV["LOAD_RAMP"] ?? "1m", target: peak },
        { duration: __ENV["LOAD_HOLD"] ?? "3m", target: peak },
        { duration: __ENV["LOAD_RAMP_DOWN"] ?? "30s", target: 0 },
      ],
      gracefulRampDown: "10s",
    },
  },
  thresholds: slaThresholds(slaFromEnv(__ENV), { abort: true, delayAbortEval: "30s" }),
};

export default function () {
  hitEveryPath(target);
  sleep(Number(__ENV["THINK_TIME"] ?? "1"));
}

export const handleSummary = summaryHandler(__ENV);
