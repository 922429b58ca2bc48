import { open, stat } from "node:fs/promises";
import { build } from "hdr-histogram-js";
import type { ProbeSample } from "./probe.js";

/**
 * Real requests per upstream, from nginx's access log, where the controller runs beside nginx.
 * The log must use this format (one field per `|`, none of which can contain one):
 *
 *   log_format portcullis '$msec|$upstream_addr|$upstream_status|$upstream_response_time|$status';
 *
 * Each upstream attempt of a request is counted for the server it went to; an attempt fails on a
 * 5xx (nginx logs 502/504 for a refused or timed-out upstream), as the probes do.
 */
export const ACCESS_LOG_FORMAT =
  "log_format portcullis '$msec|$upstream_addr|$upstream_status|$upstream_response_time|$status';";

/** The attempts that went to `server` (host:port) among log lines at or after `sinceMs`. */
export function sampleAccessLog(text: string, server: string, sinceMs: number): ProbeSample {
  const histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let requests = 0;
  let failures = 0;
  let firstFailure: string | null = null;
  for (const line of text.split("\n")) {
    const fields = line.split("|");
    if (fields.length !== 5 || Number(fields[0]) * 1000 < sinceMs) continue;
    const addrs = splitAttempts(fields[1] ?? "");
    const statuses = splitAttempts(fields[2] ?? "");
    const times = splitAttempts(fields[3] ?? "");
    addrs.forEach((addr, index) => {
      if (addr !== server) return;
      requests += 1;
      const status = Number(statuses[index]);
      if (!(status < 500)) {
        failures += 1;
        firstFailure ??= `upstream answered ${statuses[index] ?? "nothing"}`;
      }
      const seconds = Number(times[index]);
      if (Number.isFinite(seconds)) histogram.recordValue(Math.max(1, Math.round(seconds * 1_000_000)));
    });
  }
  const toMs = (p: number): number => (histogram.totalCount === 0 ? 0 : histogram.getValueAtPercentile(p) / 1000);
  const sample = { requests, failures, p50Ms: toMs(50), p95Ms: toMs(95), p99Ms: toMs(99), firstFailure };
  histogram.destroy();
  return sample;
}

/** Follows a log file from a byte offset; a file that shrank was rotated and is read from its start. */
export function accessLogReader(file: string): { mark(): Promise<void>; readSinceMark(): Promise<string> } {
  let offset = 0;
  const size = async (): Promise<number> => {
    try {
      return (await stat(file)).size;
    } catch {
      return 0;
    }
  };
  return {
    async mark() {
      offset = await size();
    },
    async readSinceMark() {
      const end = await size();
      const from = end < offset ? 0 : offset;
      if (end <= from) return "";
      const handle = await open(file, "r");
      try {
        const buffer = Buffer.alloc(end - from);
        await handle.read(buffer, 0, buffer.length, from);
        return buffer.toString("utf8");
      } finally {
        await handle.close();
      }
    },
  };
}

// --- internal ---

/** `$upstream_*` list several attempts as `a, b` and internal redirects as `a : b`. */
function splitAttempts(value: string): string[] {
  return value
    .split(/\s*,\s*|\s+:\s+/)
    .map((part) => part.trim())
    .filter((part) => part !== "");
}
