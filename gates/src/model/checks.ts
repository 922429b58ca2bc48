import { z } from "zod";
import { ControlStatus } from "./controls.js";

/** The units a limit check measures in; renderers format the numbers by them. */
export const CHECK_UNITS = ["count", "ms", "ratio"] as const;
export const CheckUnit = z.enum(CHECK_UNITS);
export type CheckUnit = z.infer<typeof CheckUnit>;

/**
 * A number compared with a limit from the policy: `max.high` at most 0, `http_req_duration p(95)`
 * at most 500 ms, `http_reqs count` at least 100. Limits are inclusive.
 */
export const LimitCheck = z
  .object({
    kind: z.literal("limit"),
    /** The policy key or the metric and statistic compared (`max.high`, `http_req_duration p(95)`). */
    name: z.string(),
    /** The report whose figures were compared, when several of one kind fed the gate (`k6.smoke`). */
    source: z.string().optional(),
    /** max: the measured value must be at most the limit; min: at least. */
    bound: z.enum(["max", "min"]),
    limit: z.number(),
    measured: z.number(),
    unit: CheckUnit,
    ok: z.boolean(),
  })
  .strict();
export type LimitCheck = z.infer<typeof LimitCheck>;

/** One of k6's own thresholds, as k6 judged it (`policy.honour_k6_thresholds`). */
export const K6ThresholdCheck = z
  .object({
    kind: z.literal("k6_threshold"),
    /** The k6 report, when several fed the gate. */
    source: z.string().optional(),
    metric: z.string(),
    /** The threshold as written in the script (`p(95)<500`). */
    expression: z.string(),
    ok: z.boolean(),
  })
  .strict();
export type K6ThresholdCheck = z.infer<typeof K6ThresholdCheck>;

/** One compliance control's result; it must be `pass`. */
export const ControlCheck = z
  .object({
    kind: z.literal("control"),
    /** The control's id (`CTRL-SEC-01`). */
    control: z.string(),
    status: ControlStatus,
    ok: z.boolean(),
  })
  .strict();
export type ControlCheck = z.infer<typeof ControlCheck>;

/** One comparison behind a verdict, typed by kind; renderers turn it into text. */
export const GateCheck = z.discriminatedUnion("kind", [LimitCheck, K6ThresholdCheck, ControlCheck]);
export type GateCheck = z.infer<typeof GateCheck>;
export type GateCheckKind = GateCheck["kind"];

/** The names of the performance gate's latency checks, which the HTML report's charts draw as SLA lines. */
export const LATENCY_CHECKS = { p95: "http_req_duration p(95)", p99: "http_req_duration p(99)" } as const;
