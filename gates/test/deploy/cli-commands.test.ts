import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DoraMetrics } from "../../src/deploy/metrics.js";
import { parseLedger } from "../../src/deploy/ledger.js";
import { cli, storyArgs, writeStoryEnvironment } from "./helpers/cli.js";
import { loadEnvironment } from "../../src/policy/load-files.js";
import { REPORT_COMMIT, passingReport } from "./helpers/gate-report.js";
import { startVersionServer, type VersionServer } from "./helpers/processes.js";
import { startWebhookReceiver, type WebhookReceiver } from "./helpers/webhook.js";

/**
 * The deploy commands end to end with the command router, a directory store and an environment
 * file carrying a `deploy:` section: gates before deploy, post-release rollback, rollback to the
 * previous release through the hooks, history, metrics, and ledger tampering caught by
 * `ledger verify`. One story, in order.
 */
describe("deploy commands on one environment's story", { timeout: 120_000 }, () => {
  let work: string;
  let blue: VersionServer;
  let green: VersionServer;
  let hooks: WebhookReceiver<unknown>;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "portcullis-cli-"));
    blue = await startVersionServer("v1");
    green = await startVersionServer("v2");
    hooks = await startWebhookReceiver();
    // The router's live weights before anything was deployed: all traffic on blue.
    await writeStoryEnvironment(work, {
      performance: ["max_p95: 2s", "max_p99: 3s", "min_requests: 3"],
      deploy: [
        "steps: [50, 100]",
        "bake: 300ms",
        "interval: 300ms",
        "warmup: 0s",
        "probe_rate: 30",
        "webhooks: [env:DEPLOY_WEBHOOK]",
      ],
    });
  });

  afterAll(async () => {
    await blue?.stop();
    await green?.stop();
    await hooks?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  const common = (): string[] => storyArgs(work, { blue, green });
  const run = (...args: string[]) => cli([...args, ...common()], work, { DEPLOY_WEBHOOK: hooks.url });
  const ledgerFile = (): string => path.join(work, "state", "staging", "ledger.jsonl");

  it("refuses to deploy without a passing gate report, and says so to the webhooks", async () => {
    const missing = await run("deploy", "--release", "v2", "--commit", REPORT_COMMIT);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/deploy not started: no --gate-report given — fix: run `portcullis evaluate/);
    expect(hooks.notices).toContainEqual(
      expect.objectContaining({ event: "gate_blocked", severity: "high", environment: "staging" }),
    );

    await writeFile(
      path.join(work, "blocked.json"),
      JSON.stringify(
        passingReport({
          environment: "staging",
          policyHash: loadEnvironment(path.join(work, "staging.yml"), work).hash,
          passed: false,
        }),
      ),
    );
    const blocked = await run("deploy", "--release", "v2", "--commit", REPORT_COMMIT, "--gate-report", "blocked.json");
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toMatch(/gates blocked this commit/);

    const noReason = await run("deploy", "--release", "v2", "--force");
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--force needs --reason/);
  });

  it.each([
    { args: ["--steps", "10,5,100"], message: /--steps: steps must increase strictly/ },
    { args: ["--release", "two words"], message: /is not a version/ },
    { args: ["--probe-rate", "lots"], message: /--probe-rate: expected a number/ },
    {
      args: ["--commit-time", new Date(Date.now() + 3 * 3_600_000).toISOString()],
      message: /--commit-time \S+ is in the future/,
    },
    // `Date.parse` reads "1" as 2001, and a time without a zone in the machine's own.
    { args: ["--commit-time", "1"], message: /--commit-time "1" is not an ISO 8601 time with its zone/ },
    { args: ["--commit-time", "2026-11-30T12:00:00"], message: /is not an ISO 8601 time with its zone/ },
    { args: ["--commit-time", "2025-02-30T12:00:00Z"], message: /is not an ISO 8601 time with its zone/ },
  ])("rejects bad input $args with exit 2", async ({ args, message }) => {
    const result = await run("deploy", "--release", "v2", "--force", "--reason", "t", ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("refuses a report that judged only some gates (--gate), or by another policy than the deploy's", async () => {
    const policyHash = loadEnvironment(path.join(work, "staging.yml"), work).hash;
    const reports = {
      "narrowed.json": passingReport({ environment: "staging", policyHash, onlyGates: ["documentation"] }),
      "other-policy.json": passingReport({ environment: "staging", policySource: "./lax.yml" }),
    };
    for (const [file, report] of Object.entries(reports))
      await writeFile(path.join(work, file), JSON.stringify(report));
    const deployWith = (file: string) =>
      run("deploy", "--release", "v2", "--commit", REPORT_COMMIT, "--gate-report", file);
    const narrowed = await deployWith("narrowed.json");
    expect(narrowed.code).toBe(3);
    expect(narrowed.stderr).toMatch(/judged only documentation \(--gate\), not every gate of staging/);
    const other = await deployWith("other-policy.json");
    expect(other.code).toBe(3);
    expect(other.stderr).toMatch(/judged by another policy \(\.\/lax\.yml, abc\) than this deploy's/);
  });

  it("deploys with a passing report, then promote and abort have nothing to act on", async () => {
    const policyHash = loadEnvironment(path.join(work, "staging.yml"), work).hash;
    await writeFile(
      path.join(work, "report.json"),
      JSON.stringify(passingReport({ environment: "staging", policyHash })),
    );
    const deployed = await run(
      "deploy",
      "--release",
      "v2",
      "--commit",
      REPORT_COMMIT.slice(0, 8),
      "--commit-time",
      new Date(Date.now() - 3_600_000).toISOString(),
      "--gate-report",
      "report.json",
    );
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    expect(deployed.stdout).toMatch(/gates passed for staging/);
    expect(await readFile(path.join(work, "weights"), "utf8")).toBe("0 100");
    expect(hooks.notices).toContainEqual(
      expect.objectContaining({ schema: "portcullis.notice/v1", event: "deploy_completed", release: "v2" }),
    );
    expect((await run("promote")).code).toBe(2);
    expect((await run("abort")).code).toBe(2);
  });

  it("rolls a released version back to the other slot, and restores the previous release through the hooks", async () => {
    const hookLog = path.join(work, "hooks.log");
    const v3 = await run(
      "deploy",
      "--release",
      "v3",
      "--force",
      "--reason",
      "hotfix",
      "--retire-hook",
      `echo retire $PORTCULLIS_SLOT >> ${hookLog}`,
      "--scale-down-delay",
      "0s",
    );
    expect(v3.code, v3.stdout + v3.stderr).toBe(0);
    const status = JSON.parse((await run("status", "--format", "json")).stdout) as {
      state: { active: string; slots: { green: { retired: boolean } } };
    };
    expect(status.state.active).toBe("blue");
    expect(status.state.slots.green.retired).toBe(true);

    const plain = await run("rollback");
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/the green slot was retired \(v2\): use `rollback --to-previous`/);

    const previous = await run(
      "rollback",
      "--to-previous",
      "--reason",
      "v3 broken",
      "--deploy-hook",
      `echo deploy $PORTCULLIS_RELEASE $PORTCULLIS_SLOT >> ${hookLog}`,
    );
    expect(previous.code, previous.stdout + previous.stderr).toBe(0);
    expect(await readFile(hookLog, "utf8")).toBe("retire green\ndeploy v2 green\n");
    expect(await readFile(path.join(work, "weights"), "utf8")).toBe("0 100");

    const back = await run("rollback", "--reason", "v2 after all was worse");
    expect(back.code).toBe(0);
    expect(await readFile(path.join(work, "weights"), "utf8")).toBe("100 0");
  });

  it("shows history and metrics from the ledger", async () => {
    const history = await run("history");
    expect(history.stdout).toMatch(/deploy_finished\s+v3 \(staging-\S+\) SUCCEEDED/);
    expect(history.stdout).toMatch(/rollback_to_previous by \S+: v3 broken/);
    const metrics = JSON.parse((await run("metrics", "--format", "json", "--window", "1d")).stdout) as DoraMetrics;
    expect(metrics.deploys).toMatchObject({ succeeded: 2, failed: 0 });
    expect(metrics.deploys.reverted).toBe(1);
    expect(metrics.metrics.lead_time_hours.samples).toBe(1);
    expect(metrics.metrics.lead_time_hours.value).toBeGreaterThan(0.99);
    const text = await run("metrics");
    expect(text.stdout).toMatch(/change failure rate\s+50\.0 %\s+target < 5 %\s+MISSED/);
  });

  it("detects an edited record and a truncated ledger", async () => {
    expect((await run("ledger", "verify")).code).toBe(0);
    const original = await readFile(ledgerFile(), "utf8");
    const lines = original.trimEnd().split("\n");
    const edited = lines.map((line, i) => (i === 1 ? line.replace('"actor":"', '"actor":"mallory-') : line));
    await writeFile(ledgerFile(), `${edited.join("\n")}\n`);
    const tampered = await run("ledger", "verify");
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/TAMPERED: line 2: content does not match its hash \(record 2 was modified\)/);

    await writeFile(ledgerFile(), `${lines.slice(0, -2).join("\n")}\n`);
    const truncated = await run("ledger", "verify");
    expect(truncated.code).toBe(1);
    expect(truncated.stdout).toMatch(/TAMPERED: the ledger ends at record \d+ but the state records \d+/);
    // Without the state, the cut cannot be seen: verify says its end is unchecked, never plainly intact.
    const stateFile = path.join(path.dirname(ledgerFile()), "state.json");
    const state = await readFile(stateFile, "utf8");
    await rm(stateFile);
    const unanchored = await run("ledger", "verify");
    expect(unanchored.code).toBe(0);
    expect(unanchored.stdout).toMatch(
      /intact: \d+ records, head #\d+ \w+ \(its end is not checked: no state records the head/,
    );
    await writeFile(stateFile, state);
    await writeFile(ledgerFile(), original);
    expect(parseLedger(original).length).toBe(lines.length);
  });

  it("does not start moving traffic to a slot that never gets healthy, or whose deploy hook fails (exit 3)", async () => {
    const before = await readFile(path.join(work, "weights"), "utf8");
    const deployV9 = ["deploy", "--release", "v9", "--force", "--reason", "t"];
    // The dead slots' URLs come after the common flags, so they win.
    const dead = await cli(
      [
        ...deployV9,
        ...common(),
        "--green",
        "http://127.0.0.1:9",
        "--blue",
        "http://127.0.0.1:9",
        "--health-timeout",
        "1s",
      ],
      work,
      { DEPLOY_WEBHOOK: hooks.url },
    );
    expect(dead.code).toBe(3);
    expect(dead.stdout).toMatch(
      /failed: the (blue|green) slot is not healthy: http:\/\/127\.0\.0\.1:9\/healthz not healthy within 1000ms \(last: ECONNREFUSED; 3 2xx answers in a row needed\)/,
    );
    const hook = await run(...deployV9, "--deploy-hook", "echo no capacity >&2; exit 4");
    expect(hook.code).toBe(3);
    expect(hook.stdout).toMatch(
      /deploy hook failed on the \w+ slot: `echo no capacity >&2; exit 4` exited 4: no capacity/,
    );
    expect(await readFile(path.join(work, "weights"), "utf8")).toBe(before);
    expect(parseLedger(await readFile(ledgerFile(), "utf8")).at(-1)).toMatchObject({
      type: "deploy_finished",
      outcome: "failed",
      release: "v9",
    });
  });
});
