import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { request } from "undici";
import { parseLedger, type LedgerRecord } from "../../../src/deploy/ledger.js";
import { renderUpstream } from "../../../src/deploy/routers/nginx.js";
import { runShell } from "../../../src/deploy/shell.js";
import { DeployState, type Weights } from "../../../src/deploy/state.js";
import { UPSTREAM, startNginx, type TestNginx } from "./nginx.js";
import { sleep, startVersionServer, type VersionServer } from "./processes.js";

/**
 * The real components of a blue-green acceptance test on loopback: two version servers, a real
 * nginx in front of them, and a webhook receiver; plus the readings a test makes of them.
 */
export interface Stand {
  work: string;
  blue: VersionServer;
  green: VersionServer;
  nginx: TestNginx;
  /** Notices received by the webhook, in order. */
  notices: { event: string; severity: string; message: string }[];
  webhook: string;
  /** Every flag the nginx router needs, a state directory, short analysis; `extra` wins. */
  flags(stateDir: string, extra?: Record<string, string>): string[];
  /** Puts nginx on `weights` (file and reload), as an operator or a crashed controller would. */
  serve(weights: Weights): Promise<void>;
  /** Writes the include without reloading: what a crash between write and reload leaves. */
  writeOnly(weights: Weights): Promise<void>;
  /** `count` requests through nginx, each on a fresh connection: the versions users get. */
  versions(count: number, urlPath?: string): Promise<{ version: string | null; status: number }[]>;
  state(stateDir: string): Promise<DeployState | null>;
  ledger(stateDir: string): Promise<LedgerRecord[]>;
  ledgerFile(stateDir: string): string;
  stop(): Promise<void>;
}

export async function startStand(prefix: string): Promise<Stand> {
  const work = await mkdtemp(path.join(tmpdir(), prefix));
  const blue = await startVersionServer("v1");
  const green = await startVersionServer("v2");
  const servers = { blue: `127.0.0.1:${blue.port}`, green: `127.0.0.1:${green.port}` };
  const nginx = await startNginx(path.join(work, "nginx"), servers);
  const notices: Stand["notices"] = [];
  const hooks: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    req.on("end", () => {
      notices.push(JSON.parse(text) as Stand["notices"][number]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, "127.0.0.1", resolve));
  const address = hooks.address();
  const webhook = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/notify`;
  const ledgerFile = (stateDir: string): string => path.join(stateDir, "default", "ledger.jsonl");
  return {
    work,
    blue,
    green,
    nginx,
    notices,
    webhook,
    flags(stateDir, extra = {}) {
      const base: Record<string, string> = {
        router: "nginx",
        blue: blue.url,
        green: green.url,
        "nginx-upstream-file": nginx.upstreamFile,
        "nginx-upstream": UPSTREAM,
        "nginx-live-url": nginx.liveUrl,
        "nginx-test-cmd": nginx.testCmd,
        "nginx-reload-cmd": nginx.reloadCmd,
        "state-dir": stateDir,
        steps: "50,100",
        bake: "600ms",
        interval: "300ms",
        "probe-rate": "100",
        "min-requests": "10",
        "max-p95": "1s",
        warmup: "200ms",
        "health-timeout": "1s",
        webhooks: webhook,
        ...extra,
      };
      return Object.entries(base).flatMap(([key, value]) => [`--${key}`, value]);
    },
    async serve(weights) {
      await writeFile(nginx.upstreamFile, renderUpstream(UPSTREAM, servers, weights));
      const reload = await runShell(nginx.reloadCmd, { cwd: work, timeoutMs: 10_000 });
      if (!reload.ok) throw new Error(`reload failed: ${reload.stderr}`);
      await sleep(300);
    },
    async writeOnly(weights) {
      await writeFile(nginx.upstreamFile, renderUpstream(UPSTREAM, servers, weights));
    },
    async versions(count, urlPath = "/") {
      const seen: { version: string | null; status: number }[] = [];
      for (let i = 0; i < count; i += 1) {
        const response = await request(`${nginx.url}${urlPath}`, { reset: true, headersTimeout: 5_000 });
        await response.body.dump();
        const version = response.headers["x-version"];
        seen.push({ version: typeof version === "string" ? version : null, status: response.statusCode });
      }
      return seen;
    },
    async state(stateDir) {
      try {
        return DeployState.parse(JSON.parse(await readFile(path.join(stateDir, "default", "state.json"), "utf8")));
      } catch {
        return null;
      }
    },
    async ledger(stateDir) {
      return parseLedger(await readFile(ledgerFile(stateDir), "utf8"));
    },
    ledgerFile,
    async stop() {
      await nginx.stop();
      await blue.stop();
      await green.stop();
      await new Promise((resolve) => hooks.close(resolve));
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** The share of each version among responses. */
export function tally(seen: readonly { version: string | null }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { version } of seen) counts[version ?? "none"] = (counts[version ?? "none"] ?? 0) + 1;
  return counts;
}
