import type { PerformanceResult } from "../findings/finding.js";
import { escapeHtml } from "./html-escape.js";

/** One second (or bucket) of a k6 run, from the `--out json` stream. */
export interface TimePoint {
  /** Seconds since the start of the run. */
  t: number;
  requestsPerSecond: number;
  errorRate: number;
  p95Ms?: number | undefined;
}

/** One traffic step of a deploy, for the timeline. */
export interface DeployStep {
  /** Milliseconds since the deploy started. */
  atMs: number;
  /** Percentage of traffic on the new slot after the step. */
  weight: number;
  analysis?: "pass" | "fail" | "inconclusive" | "error" | undefined;
  note?: string | undefined;
}

export interface DeployTimeline {
  id: string;
  version: string;
  outcome: string;
  steps: DeployStep[];
}

/** SLA lines drawn across the latency chart. */
export interface SlaLines {
  p95Ms?: number | undefined;
  p99Ms?: number | undefined;
}

const WIDTH = 640;
const BAR_HEIGHT = 22;
const LEFT = 70;

/** Horizontal bars of the http_req_duration percentiles with the SLA limits as vertical lines. */
export function latencyChart(performance: PerformanceResult, sla: SlaLines): string {
  const trend = performance.metrics["http_req_duration"];
  if (trend === undefined) return "";
  const rows = ["min", "med", "p(90)", "p(95)", "p(99)", "max"]
    .map((key) => ({ key, value: trend.values[key] }))
    .filter((row): row is { key: string; value: number } => row.value !== undefined && Number.isFinite(row.value));
  if (rows.length === 0) return "";
  const limits = [sla.p95Ms, sla.p99Ms].filter((value): value is number => value !== undefined);
  const max = Math.max(...rows.map((row) => row.value), ...limits, 1);
  const scale = (value: number): number => LEFT + ((WIDTH - LEFT - 60) * value) / max;
  const height = rows.length * (BAR_HEIGHT + 6) + 24;
  const bars = rows
    .map((row, index) => {
      const y = 8 + index * (BAR_HEIGHT + 6);
      const over =
        (row.key === "p(95)" && sla.p95Ms !== undefined && row.value >= sla.p95Ms) ||
        (row.key === "p(99)" && sla.p99Ms !== undefined && row.value >= sla.p99Ms);
      return (
        `<text x="${LEFT - 6}" y="${y + 15}" text-anchor="end">${row.key}</text>` +
        `<rect x="${LEFT}" y="${y}" width="${(scale(row.value) - LEFT).toFixed(1)}" height="${BAR_HEIGHT}" class="${over ? "bar-bad" : "bar"}"/>` +
        `<text x="${(scale(row.value) + 4).toFixed(1)}" y="${y + 15}">${formatMs(row.value)}</text>`
      );
    })
    .join("");
  const lines = [
    { label: "SLA p95", value: sla.p95Ms },
    { label: "SLA p99", value: sla.p99Ms },
  ]
    .filter((line): line is { label: string; value: number } => line.value !== undefined)
    .map((line, index) => {
      const x = scale(line.value).toFixed(1);
      return (
        `<line x1="${x}" x2="${x}" y1="0" y2="${height - 14}" class="sla"/>` +
        `<text x="${x}" y="${height - 2 - index * 0}" text-anchor="${index === 0 ? "end" : "start"}" class="sla-label">${line.label} ${formatMs(line.value)}</text>`
      );
    })
    .join("");
  return svg(height, "http_req_duration percentiles against the SLA", bars + lines);
}

/** Request rate and error rate over time, and p95 latency over time with the SLA line. */
export function timeSeriesCharts(points: readonly TimePoint[], sla: SlaLines): string {
  if (points.length < 2) return "";
  const rate = lineChart(
    points.map((p) => ({ t: p.t, v: p.requestsPerSecond })),
    {
      title: "Requests per second",
      format: (v) => v.toFixed(0),
    },
  );
  const errors = lineChart(
    points.map((p) => ({ t: p.t, v: p.errorRate * 100 })),
    {
      title: "Error rate (%)",
      format: (v) => `${v.toFixed(2)}%`,
      bad: true,
    },
  );
  const latencyPoints = points
    .filter((p): p is TimePoint & { p95Ms: number } => p.p95Ms !== undefined)
    .map((p) => ({ t: p.t, v: p.p95Ms }));
  const latency = lineChart(latencyPoints, { title: "p95 latency (ms)", format: formatMs, limit: sla.p95Ms });
  return rate + errors + latency;
}

/** Traffic weight on the new slot over the deploy, with analysis outcomes and the outcome. */
export function deployTimelineChart(deploy: DeployTimeline): string {
  if (deploy.steps.length === 0) return "";
  const end = Math.max(...deploy.steps.map((s) => s.atMs), 1);
  const x = (ms: number): number => LEFT + ((WIDTH - LEFT - 20) * ms) / end;
  const y = (weight: number): number => 10 + (120 * (100 - weight)) / 100;
  let path = `M${x(0).toFixed(1)},${y(0).toFixed(1)}`;
  let previous = 0;
  for (const step of deploy.steps) {
    path += ` L${x(step.atMs).toFixed(1)},${y(previous).toFixed(1)} L${x(step.atMs).toFixed(1)},${y(step.weight).toFixed(1)}`;
    previous = step.weight;
  }
  const marks = deploy.steps
    .map((step) => {
      const cls = step.analysis === undefined ? "mark" : `mark mark-${step.analysis}`;
      const label = `${step.weight}%${step.analysis === undefined ? "" : ` ${step.analysis}`}${step.note === undefined ? "" : `: ${step.note}`}`;
      return `<circle cx="${x(step.atMs).toFixed(1)}" cy="${y(step.weight).toFixed(1)}" r="5" class="${cls}"><title>${escapeHtml(label)}</title></circle>`;
    })
    .join("");
  const axis = [0, 50, 100]
    .map(
      (w) =>
        `<text x="${LEFT - 6}" y="${y(w) + 4}" text-anchor="end">${w}%</text><line x1="${LEFT}" x2="${WIDTH - 20}" y1="${y(w)}" y2="${y(w)}" class="grid"/>`,
    )
    .join("");
  return svg(
    150,
    `Deploy ${deploy.id} (${deploy.version}): traffic on the new slot, outcome ${deploy.outcome}`,
    `${axis}<path d="${path}" class="weight"/>${marks}`,
  );
}

// --- internal ---

function lineChart(
  points: readonly { t: number; v: number }[],
  options: { title: string; format: (v: number) => string; limit?: number | undefined; bad?: boolean },
): string {
  if (points.length < 2) return "";
  const tMax = Math.max(...points.map((p) => p.t), 1);
  const vMax = Math.max(...points.map((p) => p.v), options.limit ?? 0, 1e-9);
  const height = 120;
  const x = (t: number): number => LEFT + ((WIDTH - LEFT - 20) * t) / tMax;
  const y = (v: number): number => 10 + ((height - 30) * (vMax - v)) / vMax;
  const d = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
  const limit =
    options.limit === undefined
      ? ""
      : `<line x1="${LEFT}" x2="${WIDTH - 20}" y1="${y(options.limit).toFixed(1)}" y2="${y(options.limit).toFixed(1)}" class="sla"/>` +
        `<text x="${WIDTH - 20}" y="${(y(options.limit) - 3).toFixed(1)}" text-anchor="end" class="sla-label">SLA ${options.format(options.limit)}</text>`;
  const axis =
    `<text x="${LEFT - 6}" y="${y(vMax) + 4}" text-anchor="end">${options.format(vMax)}</text>` +
    `<text x="${LEFT - 6}" y="${y(0) + 4}" text-anchor="end">0</text>` +
    `<text x="${WIDTH - 20}" y="${height - 4}" text-anchor="end">${tMax.toFixed(0)} s</text>`;
  return svg(
    height,
    options.title,
    `${axis}${limit}<path d="${d}" class="${options.bad === true ? "line-bad" : "line"}"/>`,
  );
}

function svg(height: number, title: string, body: string): string {
  return `<figure><svg viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${body}</svg><figcaption>${escapeHtml(title)}</figcaption></figure>`;
}

function formatMs(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}
