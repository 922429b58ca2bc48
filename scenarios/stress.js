// Stress: raise the arrival rate in steps past capacity to find the knee, where latency and
// errors climb. The SLA thresholds are expected to fail here; they do not abort, so the whole
// curve is recorded. A separate guard stops the run once the target is clearly broken.
import { SUMMARY_TREND_STATS, slaFromEnv, slaThresholds } from "./lib/sla.js";
import { hitEveryPath, targetFromEnv } from "./lib/target.js";
import { summaryHandler } from "./lib/summary.js";

const target = targetFromEnv(__ENV);
const step = __ENV["STRESS_STEP"] ?? "1m";
const maxRate = Number(__ENV["STRESS_MAX_RATE"] ?? "800");

/** @type {import("k6/options").Options} */
export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  scenarios: {
    stress: {
      executor: "ramping-arrival-rate",
      startRate: Math.max(1, Math.round(maxRate / 16)),
      timeUnit: "1s",
      preAllocatedVUs: 50,
      maxVUs: Number(__ENV["STRESS_MAX_VUS"] ?? "1000"),
      stages: [
        { duration: step, target: Math.round(maxRate / 8) },
        { duration: step, target: Math.round(maxRate / 4) },
        { duration: step, target: Math.round(maxRate / 2) },
        { duration: step, target: maxRate },
        { duration: step, target: 0 },
      ],
    },
  },
  thresholds: {
    ...slaThresholds(slaFromEnv(__ENV)),
    "http_req_failed{scenario:stress}": [
      { threshold: `rate<${__ENV["STRESS_ABORT_ERROR_RATE"] ?? "0.5"}`, abortOnFail: true, delayAbortEval: "20s" },
    ],
  },
};

export default function () {
  hitEveryPath(target);
}

export const handleSummary = summaryHandler(__ENV);
