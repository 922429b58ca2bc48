import { request } from "undici";
import type { Weights } from "../state.js";
import { RouterError } from "./router.js";

/**
 * What nginx itself serves. Open-source nginx does not expose upstream weights, so the include
 * Portcullis writes also defines `$<upstream>_weights` (`generation=<id> blue=<w> green=<w>`) and
 * a `location` the user adds returns it: reading it through nginx shows the configuration its
 * workers run, not the file on disk.
 */
export interface LiveWeights {
  generation: string;
  weights: Weights;
}

/** The variable the include defines: `portcullis_backend_weights` for upstream `portcullis_backend`. */
export function liveVariable(upstream: string): string {
  return `${upstream}_weights`;
}

/** The `map` line of the include carrying the weights and the generation of the file. */
export function renderLiveMap(upstream: string, generation: string, weights: Weights): string {
  return `map $host $${liveVariable(upstream)} { default "${describeLive({ generation, weights })}"; }`;
}

export function describeLive(live: LiveWeights): string {
  return `generation=${live.generation} blue=${live.weights.blue} green=${live.weights.green}`;
}

/** `generation=<id> blue=<w> green=<w>` anywhere in a text (the include or the location's answer). */
export function parseLive(text: string): LiveWeights | null {
  const match = /generation=(\S+?)\s+blue=(\d+)\s+green=(\d+)/.exec(text);
  if (match === null) return null;
  return { generation: match[1] ?? "", weights: { blue: Number(match[2]), green: Number(match[3]) } };
}

/** One read of the live location, on a fresh connection (an idle one may belong to an old worker). */
export async function readLive(url: string, timeoutMs: number): Promise<LiveWeights> {
  let text: string;
  let status: number;
  try {
    const response = await request(url, { reset: true, signal: AbortSignal.timeout(timeoutMs) });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    throw new RouterError(
      "nginx",
      `live weights unreadable at ${url}: ${error instanceof Error ? error.message : String(error)}`,
      {
        applied: true,
        fix: "check that nginx runs and that nginx_live_url points at the location returning $<upstream>_weights",
      },
    );
  }
  const live = status === 200 ? parseLive(text) : null;
  if (live === null)
    throw new RouterError(
      "nginx",
      `${url} answered HTTP ${status} without live weights (${JSON.stringify(text.slice(0, 80))})`,
      {
        applied: true,
        fix: `add \`location = /portcullis/weights { return 200 "$<upstream>_weights"; }\` (see docs/deploy.md)`,
      },
    );
  return live;
}

/** What nginx served while waiting for a generation. */
export interface GenerationReading {
  /** The last weights read (kept when a later read failed). */
  live: LiveWeights | null;
  /** Why the last read failed, or null. */
  error: string | null;
  /** True only when nginx served the generation, and nothing else, for the whole settle time. */
  settled: boolean;
}

/**
 * Polls the live location until nginx serves `generation` and nothing else for `settleMs`: a
 * reload is asynchronous (workers pick the new configuration up a moment after the command
 * returns, and old workers may still accept a connection or two meanwhile). Returns the last
 * reading, unsettled, when nginx does not start serving it within `timeoutMs` or stops before the
 * settle time is over (a generation seen once, then another or no answer, is not one nginx serves).
 */
export async function waitForGeneration(
  url: string,
  generation: string,
  timeoutMs: number,
  settleMs = 250,
): Promise<GenerationReading> {
  const deadline = Date.now() + timeoutMs;
  let last: GenerationReading = { live: null, error: null, settled: false };
  let servedSince: number | null = null;
  for (;;) {
    try {
      last = { live: await readLive(url, 2_000), error: null, settled: false };
      if (last.live?.generation === generation) {
        servedSince ??= Date.now();
        if (Date.now() - servedSince >= settleMs) return { ...last, settled: true };
      } else servedSince = null;
    } catch (error) {
      servedSince = null;
      last = { live: last.live, error: error instanceof Error ? error.message : String(error), settled: false };
    }
    // Past the deadline only to finish a settle already under way: a timeout shorter than the
    // settle time must not refuse an nginx that serves the generation.
    if (Date.now() + 25 > deadline && servedSince === null) return last;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
