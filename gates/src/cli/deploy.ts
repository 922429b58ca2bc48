import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { planOf, resolveWebhooks } from "../deploy/config.js";
import { checkGateReport } from "../deploy/gate-report.js";
import { createNotifier } from "../deploy/notify.js";
import type { ControllerDeps } from "../deploy/controller.js";
import { runDeploy, runIntervention, type RunResult } from "../deploy/runner.js";
import { UsageError } from "../errors.js";
import { parseDuration } from "../policy/duration.js";
import type { RegisterCommand } from "./commands.js";
import {
  addDeployOptions,
  controllerDeps,
  loadDeployContext,
  progressLog,
  routerOf,
  type DeployContext,
} from "./deploy-context.js";
import { EXIT, type CliIo } from "./io.js";
import { referenceLine } from "./docs-page.js";

/**
 * `portcullis deploy --release <v>`: blue-green deploy of a release to the idle slot, step by
 * step with analysis, rolled back automatically when the analysis fails.
 * Exit 0 live, 1 rolled back or aborted, 2 bad input or a broken ledger, 3 could not start or
 * failed before any traffic moved (lock held, gate report missing or blocked, state and router
 * disagree, new slot unhealthy, router refused), 4 the rollback failed: traffic is still on it.
 */
export const registerDeploy: RegisterCommand = (program, io, setExit) => {
  const command = program
    .command("deploy")
    .description(
      "Blue-green deploy: move traffic to the idle slot step by step, analysing each step; roll back on failure",
    )
    .requiredOption("--release <version>", "the version being deployed (recorded in the ledger)")
    .option("--commit <sha>", "commit being deployed; must match the gate report")
    .option("--commit-time <iso>", "commit time, for lead-time metrics")
    .option("--gate-report <file>", "passing report.json of the same commit and environment")
    .option("--force", "deploy without a passing gate report (needs --reason; recorded and notified)")
    .option("--reason <text>", "why --force is used");
  addDeployOptions(command).addHelpText(
    "after",
    [
      "",
      "Exit codes: 0 live, 1 rolled back or aborted, 2 bad input or broken ledger, 3 could not start,",
      "  4 rollback failed (traffic still on the new release).",
      "Example:",
      "  portcullis deploy --env production --release 1.4.2 --commit $GITHUB_SHA --gate-report out/report.json \\",
      "    --router nginx --blue http://10.0.0.5:8080 --green http://10.0.0.6:8080 --nginx-upstream-file /etc/nginx/portcullis.conf",
      referenceLine("deploy"),
      "",
    ].join("\n"),
  );
  command.action(async (options: Record<string, unknown>) => {
    setExit(await deploy(options, io));
  });
};

// --- internal ---

async function deploy(options: Record<string, unknown>, io: CliIo): Promise<number> {
  const release = text(options, "release") ?? "";
  if (!/^[A-Za-z0-9][A-Za-z0-9._+\-/]*$/.test(release)) {
    throw new UsageError("USAGE", `--release ${JSON.stringify(release)} is not a version`, {
      fix: "use letters, digits and . _ + - / (1.4.2, v2025.01.3, sha-abc123)",
    });
  }
  const commitTime = text(options, "commitTime") ?? null;
  // ISO 8601 with its zone only: `Date.parse` also takes `1` (2001) and reads a time without a zone
  // in this machine's own, so one ledger gave lead times hours apart on two machines.
  if (commitTime !== null && !isIsoTimeWithZone(commitTime))
    throw new UsageError("USAGE", `--commit-time ${JSON.stringify(commitTime)} is not an ISO 8601 time with its zone`, {
      fix: "pass the commit's own time, as `git show -s --format=%cI <sha>` prints it: 2025-01-31T12:00:00+01:00 (or …Z)",
    });
  // A little clock skew between the machine that committed and this one is expected; more is a wrong date.
  if (commitTime !== null && Date.parse(commitTime) > Date.now() + COMMIT_CLOCK_SKEW_MS)
    throw new UsageError("USAGE", `--commit-time ${commitTime} is in the future`, {
      fix: "pass the commit's own time (`git show -s --format=%cI <sha>`), with its time zone",
    });
  const context = loadDeployContext(options, io);
  const commit = text(options, "commit") ?? null;
  const forcedReason = await gateDecision(options, context, commit);
  if (typeof forcedReason === "number") return forcedReason;
  const router = await routerOf(context);
  const log = progressLog(io);
  // A cancelled deploy stops the hook it is running once the abort has taken the deploy over (and
  // recorded it as aborted), not after the hook's own timeout.
  const hooks = new AbortController();
  const deps = controllerDeps(context, router, log, hooks.signal);
  const cancel = onCancel(
    () => controllerDeps(context, router, log),
    io,
    () => hooks.abort(),
  );
  try {
    const result = await runDeploy(deps, {
      id: `${context.environment}-${new Date().toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${randomBytes(2).toString("hex")}`,
      release,
      commit,
      commit_time: commitTime,
      forced_reason: forcedReason,
      plan: planOf(context.settings),
    });
    await cancel.settled();
    const cancelledBy = cancel.signal();
    if (result.kind === "taken_over" && cancelledBy !== undefined) {
      // Taken over by this command's own abort, whose outcome is printed above.
      io.stderr(`portcullis: deploy stopped: cancelled (${cancelledBy})\n`);
      return EXIT.blocked;
    }
    return report(result, io);
  } finally {
    cancel.dispose();
    await deps.analyzer.close();
  }
}

/** How far ahead of this machine's clock a commit's time may be. */
const COMMIT_CLOCK_SKEW_MS = 5 * 60_000;
/** `2025-01-31T12:00:00Z`, `…12:00:00.123+01:00`: a date, a time and a zone (git's `%cI`). */
const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 time with its zone, on a day the calendar has (`Date.parse` takes 2025-02-30 for 2 March). */
function isIsoTimeWithZone(text: string): boolean {
  const match = ISO_WITH_ZONE.exec(text);
  if (match === null || Number.isNaN(Date.parse(text))) return false;
  const [year, month, day] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day && month >= 1 && month <= 12;
}

/**
 * A cancelled pipeline (SIGINT, SIGTERM) must not leave traffic half-moved: the signal starts an
 * abort, which takes the lock over like `portcullis abort` and moves all traffic back at once; the
 * deploy then stops on its next save, and the command exits 1.
 */
function onCancel(
  makeDeps: () => ControllerDeps,
  io: CliIo,
  stopHook: () => void,
): { settled: () => Promise<void>; signal: () => NodeJS.Signals | undefined; dispose: () => void } {
  let aborting: Promise<void> | undefined;
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    if (aborting !== undefined) return;
    received = signal;
    io.stderr(`portcullis: ${signal}: aborting the deploy, all traffic back to the old slot\n`);
    const deps = makeDeps();
    aborting = runIntervention(deps, {
      kind: "abort",
      reason: `deploy cancelled (${signal})`,
      toPrevious: false,
      deployHook: false,
    })
      .then((result) =>
        io.stderr(`portcullis: ${result.kind === "finished" ? result.reason : `abort: ${result.reason}`}\n`),
      )
      .finally(() => {
        stopHook();
        return deps.analyzer.close();
      });
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    settled: async () => {
      await aborting;
    },
    signal: () => received,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/** null: gates passed; a string: the recorded --force reason; a number: refused, with this exit code. */
async function gateDecision(
  options: Record<string, unknown>,
  context: DeployContext,
  commit: string | null,
): Promise<string | null | number> {
  const { io } = context;
  const reason = text(options, "reason");
  if (options["force"] === true) {
    if (reason === undefined || reason.trim() === "")
      throw new UsageError("USAGE", "--force needs --reason <why>", {
        fix: "say why the gates are skipped; it is recorded in the ledger and notified",
      });
    io.stdout(`gates skipped with --force: ${reason}\n`);
    return reason;
  }
  const file = text(options, "gateReport");
  const shown = file ?? "(none)";
  const check = checkGateReport(file === undefined ? undefined : readOptional(path.resolve(io.cwd, file)), shown, {
    environment: context.environment,
    commit,
    policy: context.policy,
  });
  if (check.ok) {
    io.stdout(`${check.summary}\n`);
    return null;
  }
  io.stderr(
    `portcullis: deploy not started: ${file === undefined ? "no --gate-report given" : check.reason} — fix: ${check.fix}\n`,
  );
  const notifier = createNotifier({
    webhooks: resolveWebhooks(context.settings, io.env),
    timeoutMs: parseDuration(context.settings.notify_timeout),
    retries: context.settings.notify_retries,
    onFailure: (message) => io.stderr(`portcullis: notification: ${message}\n`),
  });
  notifier.send({
    event: "gate_blocked",
    severity: "high",
    environment: context.environment,
    deploy_id: null,
    release: text(options, "release") ?? null,
    message: `deploy refused: ${check.reason}`,
    at: new Date().toISOString(),
  });
  await notifier.flush(5_000);
  return EXIT.notStarted;
}

function report(result: RunResult, io: CliIo): number {
  switch (result.kind) {
    case "not_started":
    case "rejected":
      io.stderr(`portcullis: deploy not started: ${result.reason}\n`);
      return EXIT.notStarted;
    case "taken_over":
      io.stderr(`portcullis: deploy stopped: ${result.reason}\n`);
      return EXIT.blocked;
    case "ledger_broken":
      io.stderr(`portcullis: deploy not started: ${result.reason}\n`);
      return EXIT.usage;
    case "misconfigured":
      io.stderr(
        `portcullis: deploy not started: ${result.reason} — fix: correct the query in prometheus_queries (or prometheus_traffic_query); try it in Prometheus' expression browser first\n`,
      );
      return EXIT.usage;
    case "finished":
      io.stdout(`${result.outcome}: ${result.reason}\n`);
      if (result.outcome === "succeeded") return EXIT.ok;
      if (result.rollback_failed) return EXIT.rollbackFailed;
      if (result.outcome === "failed" && !result.traffic_moved) return EXIT.notStarted;
      return EXIT.blocked;
  }
}

function text(options: Record<string, unknown>, key: string): string | undefined {
  const value = options[key];
  return typeof value === "string" ? value : undefined;
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
