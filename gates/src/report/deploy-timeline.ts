import type { LedgerRecord } from "../deploy/ledger.js";
import type { DeployStep, DeployTimeline } from "./html-charts.js";

/**
 * The deploys of a ledger as timelines for report.html: traffic on the new slot after each step,
 * each step's analysis decision, and the rollback or abort that ended it. Deploys appear in ledger
 * order; `only` keeps the deploys of one commit (the report's).
 */
export function deployTimelines(
  records: readonly LedgerRecord[],
  only?: { commit?: string | undefined },
): DeployTimeline[] {
  const deploys = new Map<string, { started: number; timeline: DeployTimeline; to: "blue" | "green" | undefined }>();
  for (const record of records) {
    if (record.deploy_id === null) continue;
    if (record.type === "deploy_started") {
      deploys.set(record.deploy_id, {
        started: Date.parse(record.at),
        to: record.to_slot,
        timeline: { id: record.deploy_id, version: record.release ?? "?", outcome: "in progress", steps: [] },
      });
      continue;
    }
    const deploy = deploys.get(record.deploy_id);
    if (deploy === undefined) continue;
    const atMs = Math.max(0, Date.parse(record.at) - deploy.started);
    if (record.type === "step" && record.step !== undefined) {
      const step = record.step;
      const weight = deploy.to === undefined ? step.percent : step.weights[deploy.to];
      deploy.timeline.steps.push({
        atMs: Math.max(0, Date.parse(step.decided_at ?? step.confirmed_at) - deploy.started),
        weight,
        analysis: analysisOf(step.decision),
        note: step.reason ?? undefined,
      });
    } else if (
      record.type === "rollback" ||
      (record.type === "manual" &&
        record.action !== undefined &&
        record.action !== "promote" &&
        record.action !== "lock_broken" &&
        record.action !== "hook_stopped")
    ) {
      deploy.timeline.steps.push({ atMs, weight: 0, note: record.reason ?? record.action ?? "rollback" });
    } else if (record.type === "deploy_finished" && record.outcome !== undefined) {
      deploy.timeline.outcome = record.outcome;
    }
  }
  const commits = new Map(
    records.filter((r) => r.type === "deploy_started" && r.deploy_id !== null).map((r) => [r.deploy_id, r.commit]),
  );
  return [...deploys.values()]
    .map((deploy) => deploy.timeline)
    .filter((timeline) => only?.commit === undefined || commits.get(timeline.id) === only.commit);
}

// --- internal ---

function analysisOf(decision: string | null): DeployStep["analysis"] {
  switch (decision) {
    case "pass":
    case "promoted":
      return "pass";
    case "fail":
      return "fail";
    case "inconclusive":
      return "inconclusive";
    case "router_failed":
    case "interrupted":
      return "error";
    default:
      return undefined;
  }
}
