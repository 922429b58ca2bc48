import { request, type Dispatcher } from "undici";
import { z } from "zod";
import type { PrometheusQuery } from "../../policy/deploy-settings.js";
import type { QueryValue } from "./judge.js";
import { messageOf } from "../../errors.js";

/**
 * PromQL instant queries against the Prometheus HTTP API (`/api/v1/query`). A query must return
 * one value (a scalar or a one-series vector); an empty vector is "no data", never zero.
 */
const Sample = z.tuple([z.number(), z.string()]);
const Response = z.union([
  z.object({
    status: z.literal("success"),
    data: z.object({
      resultType: z.literal("vector"),
      result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: Sample })),
    }),
  }),
  z.object({ status: z.literal("success"), data: z.object({ resultType: z.literal("scalar"), result: Sample }) }),
  z.object({ status: z.literal("error"), errorType: z.string().optional(), error: z.string() }),
]);

export interface QueryContext {
  release: string;
  slot: string;
  environment: string;
}

/** Replaces `{release}`, `{slot}` and `{environment}` in a query. */
export function expandQuery(query: string, context: QueryContext): string {
  return query
    .replaceAll("{release}", context.release)
    .replaceAll("{slot}", context.slot)
    .replaceAll("{environment}", context.environment);
}

export async function queryPrometheus(
  baseUrl: string,
  query: PrometheusQuery,
  context: QueryContext,
  options: { timeoutMs: number; dispatcher: Dispatcher },
): Promise<QueryValue> {
  const url = `${baseUrl}/api/v1/query?query=${encodeURIComponent(expandQuery(query.query, context))}`;
  let body: unknown;
  let status: number;
  try {
    const response = await request(url, {
      dispatcher: options.dispatcher,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    status = response.statusCode;
    body = await response.body.json();
  } catch (error) {
    return {
      error: `${query.name}: Prometheus unreachable or not JSON (${messageOf(error)})`,
      cause: "unreachable",
    };
  }
  const parsed = Response.safeParse(body);
  if (!parsed.success)
    return { error: `${query.name}: unexpected Prometheus answer (HTTP ${status})`, cause: "unreachable" };
  const answer = parsed.data;
  // `bad_data` is the query itself (a parse error); a timeout or an overloaded Prometheus is not.
  if (answer.status === "error")
    return {
      error: `${query.name}: Prometheus rejected the query: ${answer.error}`,
      cause: answer.errorType === "bad_data" ? "query" : "unreachable",
    };
  if (answer.data.resultType === "scalar") return { value: sampleValue(answer.data.result[1]) };
  const series = answer.data.result;
  if (series.length > 1)
    return {
      error: `${query.name}: ${series.length} series returned; aggregate the query (sum, avg) to one value`,
      cause: "query",
    };
  const first = series[0];
  return { value: first === undefined ? null : sampleValue(first.value[1]) };
}

/**
 * A sample as Prometheus writes it: a decimal, `NaN`, or `+Inf`/`-Inf` (Go's strconv.FormatFloat),
 * which `Number` reads as NaN: a ratio whose denominator fell to 0 (every request failing) is then
 * infinite, a value over any max, not "no data".
 */
function sampleValue(text: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(text);
}
