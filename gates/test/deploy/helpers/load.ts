import { Pool } from "undici";

/** One response seen by the load generator. */
export interface Hit {
  at: number;
  version: string | null;
  ok: boolean;
  status: number;
  error?: string;
}

export interface Load {
  hits: Hit[];
  stop(): Promise<Hit[]>;
}

/**
 * A bounded concurrent load generator: `concurrency` loops of requests, until stopped,
 * `maxRequests` or `maxMs`, whichever comes first. Failed requests are recorded, never retried.
 */
export function startLoad(
  url: string,
  options: { concurrency: number; maxRequests: number; maxMs: number; path?: string },
): Load {
  const pool = new Pool(url, { connections: options.concurrency, keepAliveTimeout: 2_000 });
  const hits: Hit[] = [];
  const deadline = Date.now() + options.maxMs;
  let stopped = false;
  const loop = async (): Promise<void> => {
    while (!stopped && hits.length < options.maxRequests && Date.now() < deadline) {
      try {
        // A fresh connection per request: nginx's graceful reload closes idle keep-alive
        // connections, and a request racing that close would fail without any fault of ours.
        // Real clients retry those; this one never retries, so every failure counts.
        const response = await pool.request({
          path: options.path ?? "/",
          method: "GET",
          headersTimeout: 5_000,
          bodyTimeout: 5_000,
          reset: true,
        });
        await response.body.dump();
        const version = response.headers["x-version"];
        hits.push({
          at: Date.now(),
          version: typeof version === "string" ? version : null,
          ok: response.statusCode === 200,
          status: response.statusCode,
        });
      } catch (error) {
        hits.push({
          at: Date.now(),
          version: null,
          ok: false,
          status: 0,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
      }
    }
  };
  const loops = Promise.all(Array.from({ length: options.concurrency }, loop));
  return {
    hits,
    async stop() {
      stopped = true;
      await loops;
      await pool.close();
      return hits;
    },
  };
}

/** Share of hits from `version` among hits between two times. */
export function share(
  hits: readonly Hit[],
  version: string,
  from: number,
  to: number,
): { share: number; count: number } {
  const inRange = hits.filter((hit) => hit.at >= from && hit.at <= to);
  const matching = inRange.filter((hit) => hit.version === version).length;
  return { share: inRange.length === 0 ? 0 : matching / inRange.length, count: inRange.length };
}
