// Smoke: one or two users for a short while. Proves the target answers and the SLA holds at rest.
import { sleep } from "k6";
import { SUMMARY_TREND_STATS, slaFromEnv, slaThresholds } from "./lib/sla.js";
import { hitEveryPath, targetFromEnv } from "./lib/target.js";
import { summaryHandler } from "./lib/summary.js";

const target = targetFromEnv(__ENV);

/** @type {import("k6/options").Options} */
export const options = {
  summaryTrendStats: SUMMARY_TREND_STATS,
  vus: Number(__ENV["SMOKE_VUS"] ?? "2"),
  duration: __ENV["SMOKE_DURATION"] ?? "30s",
  thresholds: slaThresholds(slaFromEnv(__ENV)),
};

export default function () {
  hitEveryPath(target);
  sleep(Number(__ENV["THINK_TIME"] ?? "0.5"));
}

export const handleSummary = summaryHandler(__ENV);
