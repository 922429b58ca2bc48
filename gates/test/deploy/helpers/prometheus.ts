import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { freePort, stopChild, until } from "./processes.js";

/** A real Prometheus on a loopback port scraping `targets` every second. */
export interface TestPrometheus {
  url: string;
  /** The value of an instant query, or null for an empty result. */
  value(query: string): Promise<number | null>;
  stop(): Promise<void>;
}

export async function startPrometheus(dir: string, targets: readonly string[]): Promise<TestPrometheus> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "scrape_configs:",
    "  - job_name: slots",
    "    static_configs:",
    `      - targets: [${targets.map((target) => JSON.stringify(target)).join(", ")}]`,
    "",
  ].join("\n");
  await writeFile(path.join(dir, "prometheus.yml"), config);
  const child: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${path.join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(dir, "prometheus-data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=error",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const prometheus: TestPrometheus = {
    url,
    async value(query) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await response.json()) as { data?: { resultType: string; result: unknown } };
      const result = body.data?.result;
      if (!Array.isArray(result)) throw new Error(`unexpected answer to ${query}: ${JSON.stringify(body)}`);
      const first = result[0] as { value: [number, string] } | undefined;
      return first === undefined ? null : Number(first.value[1]);
    },
    stop: () => stopChild(child),
  };
  try {
    await until(async () => (await fetch(`${url}/-/ready`)).ok, 30_000, "prometheus is ready");
  } catch (error) {
    // The caller never gets a handle to stop it with: stop it here.
    await prometheus.stop();
    throw error;
  }
  return prometheus;
}
