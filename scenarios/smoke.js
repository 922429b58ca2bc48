// Smoke: a few users for a short while. Proves the target answers and the SLA holds at rest.
import { sleep } from "k6";
import { SUMMARY_TREND_STATS, slaFromEnv, slaThresholds } from "./lib/sla.js";
import { hitEveryPath, targetFromEnv } from "./lib/target.js";
import { summaryHandler } from "./lib/summary.js";

const target = targetFromEnv(__ENV);

/** @type {import("k6/options").Options} */
export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  // Five: at the SLA's p95 latency a run still makes the requests the gate needs (min_requests).
  vus: Number(__ENV["SMOKE_VUS"] ?? "5"),
  duration: __ENV["SMOKE_DURATION"] ?? "30s",
  thresholds: slaThresholds(slaFromEnv(__ENV)),
};

export default function () {
  hitEveryPath(target);
  sleep(Number(__ENV["THINK_TIME"] ?? "0.5"));
}

export const handleSummary = summaryHandler(__ENV);
