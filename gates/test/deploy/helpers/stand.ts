import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { parseLedger, type LedgerRecord } from "../../../src/deploy/ledger.js";
import { renderUpstream } from "../../../src/deploy/routers/nginx.js";
import { waitForGeneration } from "../../../src/deploy/routers/nginx-live.js";
import { runShell } from "../../../src/deploy/shell.js";
import { DeployState, type Weights } from "../../../src/deploy/state.js";
import { cli, type CliRun } from "./cli.js";
import { UPSTREAM, startNginx, type TestNginx } from "./nginx.js";
import { sleep, startVersionServer, type VersionServer } from "./processes.js";
import { startWebhookReceiver } from "./webhook.js";

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
  notices: Notice[];
  webhook: string;
  /**
   * Every flag the nginx router needs, a state directory and a quick analysis (fast probes, few
   * requests, short warm-up), leaving the rollout's steps, bake and interval to the caller or the
   * defaults; `extra` wins.
   */
  routerFlags(stateDir: string, extra?: Record<string, string>): string[];
  /** `routerFlags` with a short two-step rollout, a 1 s health timeout and the stand's webhook; `extra` wins. */
  flags(stateDir: string, extra?: Record<string, string>): string[];
  /** Puts nginx on `weights` (file and reload), as an operator or a crashed controller would. */
  serve(weights: Weights): Promise<void>;
  /** Writes the include without reloading: what a crash between write and reload leaves. */
  writeOnly(weights: Weights): Promise<void>;
  /** `count` requests through nginx, each on a fresh connection: the versions users get. */
  versions(count: number, urlPath?: string): Promise<{ version: string | null; status: number }[]>;
  state(stateDir: string): Promise<DeployState | null>;
  /** Resolves once the deploy in `stateDir` analyses its step `step` (from 0), bounded by `timeoutMs`. */
  untilAnalysing(stateDir: string, step: number, timeoutMs: number): Promise<void>;
  ledger(stateDir: string): Promise<LedgerRecord[]>;
  ledgerFile(stateDir: string): string;
  stop(): Promise<void>;
}

interface Notice {
  event: string;
  severity: string;
  message: string;
}

/** Starts a stand in a fresh temporary folder named after `prefix`; a test file uses it through `useStand`. */
export async function startStand(prefix: string): Promise<Stand> {
  const work = await mkdtemp(path.join(tmpdir(), prefix));
  const blue = await startVersionServer("v1");
  const green = await startVersionServer("v2");
  const servers = { blue: `127.0.0.1:${blue.port}`, green: `127.0.0.1:${green.port}` };
  const nginx = await startNginx(path.join(work, "nginx"), servers);
  const hooks = await startWebhookReceiver<Notice>();
  const state = async (stateDir: string): Promise<DeployState | null> => {
    try {
      return DeployState.parse(JSON.parse(await readFile(path.join(stateDir, "default", "state.json"), "utf8")));
    } catch {
      return null;
    }
  };
  const routerFlags = (stateDir: string, extra: Record<string, string> = {}): string[] => {
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
      "probe-rate": "100",
      "min-requests": "10",
      "max-p95": "1s",
      warmup: "200ms",
      ...extra,
    };
    return Object.entries(base).flatMap(([key, value]) => [`--${key}`, value]);
  };
  const ledgerFile = (stateDir: string): string => path.join(stateDir, "default", "ledger.jsonl");
  return {
    work,
    blue,
    green,
    nginx,
    notices: hooks.notices,
    webhook: hooks.url,
    routerFlags,
    flags(stateDir, extra = {}) {
      return routerFlags(stateDir, {
        steps: "50,100",
        bake: "600ms",
        interval: "300ms",
        "health-timeout": "1s",
        webhooks: hooks.url,
        ...extra,
      });
    },
    async serve(weights) {
      const generation = `test-${randomBytes(4).toString("hex")}`;
      await writeFile(nginx.upstreamFile, renderUpstream(UPSTREAM, servers, weights, generation));
      const reload = await runShell(nginx.reloadCmd, { cwd: work, timeoutMs: 10_000 });
      if (!reload.ok) throw new Error(`reload failed: ${reload.stderr}`);
      // A reload is asynchronous: on a loaded machine old workers served the old file for over
      // 150 ms. Wait, as the router does, until nginx serves only this file.
      const seen = await waitForGeneration(nginx.liveUrl, generation, 10_000);
      if (!seen.settled) {
        throw new Error(`nginx did not take the new upstream within 10 s: ${seen.error ?? JSON.stringify(seen.live)}`);
      }
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
    state,
    async untilAnalysing(stateDir, step, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = await state(stateDir);
        if (current?.phase === "analysing" && current.rollout?.step === step) return;
        if (Date.now() > deadline) {
          throw new Error(
            `the deploy never analysed step ${step} within ${timeoutMs}ms; last: phase ${current?.phase} step ${current?.rollout?.step}`,
          );
        }
        await sleep(25);
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
      await hooks.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** What a test reads of the stand its file shares: the stand itself and the running test's own store. */
export interface StandScenario {
  readonly stand: Stand;
  /** A state directory of the running test's own: every test starts from a fresh store. */
  readonly stateDir: string;
  /** The running test's number in its file, for names of files of its own. */
  readonly scenario: number;
  /** `portcullis <args…>` in process on the stand, with `stand.flags(stateDir, extra)`. */
  run: (args: readonly string[], extra?: Record<string, string>) => Promise<CliRun>;
  /** `portcullis deploy` of `release`, forced past the gate report: these tests judge the rollout. */
  deploy: (release: string, extra?: Record<string, string>) => Promise<CliRun>;
}

/**
 * Starts one stand for the calling `describe` (stopped after its tests) and puts it back before
 * each test: a fresh store, so blue is the live slot, hence nginx all on blue, both slots healthy
 * and no notices yet. Call it inside the `describe`; read the accessors inside tests and hooks.
 */
export function useStand(prefix: string): StandScenario {
  let started: Stand | undefined;
  let scenario = 0;
  const stand = (): Stand => {
    if (started === undefined) throw new Error("the stand is read outside the tests of the describe that uses it");
    return started;
  };
  beforeAll(async () => {
    started = await startStand(prefix);
  });
  afterAll(async () => {
    await started?.stop();
  });
  beforeEach(async () => {
    scenario += 1;
    stand().notices.length = 0;
    await stand().blue.fail("off");
    await stand().green.fail("off");
    await stand().serve({ blue: 100, green: 0 });
  });
  const stateDir = (): string => path.join(stand().work, `state-${scenario}`);
  const run = (args: readonly string[], extra: Record<string, string> = {}): Promise<CliRun> =>
    cli([...args, ...stand().flags(stateDir(), extra)], stand().work);
  return {
    get stand() {
      return stand();
    },
    get stateDir() {
      return stateDir();
    },
    get scenario() {
      return scenario;
    },
    run,
    deploy: (release, extra = {}) => run(["deploy", "--release", release, "--force", "--reason", "acceptance"], extra),
  };
}

/** The share of each version among responses. */
export function tally(seen: readonly { version: string | null }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { version } of seen) counts[version ?? "none"] = (counts[version ?? "none"] ?? 0) + 1;
  return counts;
}
