import type { Command } from "commander";
import { parseLedger, verifyLedger, type LedgerRecord } from "../deploy/ledger.js";
import { TARGETS, computeMetrics, type DoraMetrics, type MetricName } from "../deploy/metrics.js";
import { UsageError, ConfigError, messageOf } from "../errors.js";
import { parseDuration } from "../policy/duration.js";
import type { RegisterCommand } from "./commands.js";
import { addDeployOptions, loadDeployContext } from "./deploy-context.js";
import { EXIT, type CliIo } from "./io.js";

/** `history`, `ledger verify` and `metrics`: read-only views of the ledger. */
export const registerDeployRecords: RegisterCommand = (program, io, setExit) => {
  withOptions(program.command("history").description("Deploys, steps, rollbacks and manual actions, newest first"))
    .option("--limit <n>", "how many records", "20")
    .option("--format <format>", "text or json", "text")
    .action(async (options: Record<string, unknown>) => setExit(await history(options, io)));

  const ledger = program.command("ledger").description("The append-only, hash-chained deployment ledger");
  withOptions(
    ledger
      .command("verify")
      .description("Check the SHA-256 chain and the head kept in the state: exit 0 intact, 1 tampered or truncated"),
  ).action(async (options: Record<string, unknown>) => setExit(await verify(options, io)));

  withOptions(
    program
      .command("metrics")
      .description("DORA metrics from the ledger against the targets (> 5/week, < 4 h, < 5 %, < 15 min)"),
  )
    .option("--window <duration>", "how far back: 30d, 12h, 90m", "30d")
    .option("--format <format>", "text or json", "text")
    .action(async (options: Record<string, unknown>) => setExit(await metrics(options, io)));
};

/** `30d` or any policy duration (`12h`, `90m`) in milliseconds. */
export function parseWindow(text: string): number {
  const days = /^(\d+(?:\.\d+)?)d$/.exec(text.trim());
  if (days !== null) return Number(days[1]) * 86_400_000;
  try {
    return parseDuration(text.trim());
  } catch {
    throw new UsageError("USAGE", `--window ${JSON.stringify(text)} is not a duration`, {
      fix: "use days (30d), hours (12h) or minutes (90m)",
    });
  }
}

// --- internal ---

function withOptions(command: Command): Command {
  return addDeployOptions(command);
}

/** The ledger's records, once its chain verified: history and metrics never report from a broken one. */
async function load(
  options: Record<string, unknown>,
  io: CliIo,
): Promise<{ records: LedgerRecord[]; environment: string; text: string; head: { seq: number; hash: string } | null }> {
  const context = loadDeployContext(options, io);
  const snapshot = await context.store.load();
  if (snapshot.ledgerBroken !== null)
    throw new ConfigError("CONFIG_INVALID", `the ledger's chain is broken at ${snapshot.ledgerBroken}`, {
      file: context.store.description,
      fix: "run `portcullis ledger verify`, restore the ledger from a backup or the store's history",
    });
  let records: LedgerRecord[];
  try {
    records = parseLedger(snapshot.ledgerText);
  } catch (error) {
    throw new ConfigError("CONFIG_INVALID", messageOf(error), {
      file: context.store.description,
      fix: "run `portcullis ledger verify`",
    });
  }
  return {
    records,
    environment: context.environment,
    text: snapshot.ledgerText,
    head: snapshot.state?.ledger_head ?? null,
  };
}

function format(options: Record<string, unknown>): "text" | "json" {
  const value = options["format"];
  if (value === "text" || value === "json") return value;
  throw new UsageError("USAGE", `--format ${String(value)} is not text or json`, {
    fix: "use --format text or --format json",
  });
}

async function history(options: Record<string, unknown>, io: CliIo): Promise<number> {
  const as = format(options);
  const limit = Number(options["limit"]);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError("USAGE", "--limit must be a positive integer", { fix: "--limit 20" });
  const { records } = await load(options, io);
  const shown = records.slice(-limit).reverse();
  if (as === "json") {
    io.stdout(`${JSON.stringify(shown, null, 2)}\n`);
    return EXIT.ok;
  }
  if (shown.length === 0) io.stdout("no deployments recorded\n");
  for (const record of shown) io.stdout(`${historyLine(record)}\n`);
  return EXIT.ok;
}

function historyLine(record: LedgerRecord): string {
  const head = `${record.at}  #${record.seq}  ${record.type.padEnd(15)}`;
  const who = `${record.release ?? "-"}${record.deploy_id === null ? "" : ` (${record.deploy_id})`}`;
  switch (record.type) {
    case "deploy_started":
      return `${head} ${who} to ${record.to_slot ?? "?"} by ${record.actor}${record.forced_reason == null ? "" : `, FORCED: ${record.forced_reason}`}`;
    case "step":
      return `${head} ${who} ${record.step?.percent ?? "?"} %: ${record.step?.decision ?? "?"} — ${record.reason ?? ""}`;
    case "deploy_finished":
      return `${head} ${who} ${(record.outcome ?? "?").toUpperCase()} — ${record.reason ?? ""}`;
    case "manual":
      return `${head} ${record.action ?? "?"} by ${record.actor}: ${record.reason ?? ""}`;
    case "rollback":
      return `${head} to ${record.release ?? "?"} by ${record.actor} ${record.ok === true ? "confirmed" : "FAILED"}: ${record.reason ?? ""}`;
    case "retired":
      return `${head} ${record.from_slot ?? "?"} (${record.release ?? "-"}) ${record.ok === true ? "retired" : `retire failed: ${record.reason ?? ""}`}`;
  }
}

async function verify(options: Record<string, unknown>, io: CliIo): Promise<number> {
  const context = loadDeployContext(options, io);
  const snapshot = await context.store.load();
  const result = verifyLedger(snapshot.ledgerText, snapshot.state?.ledger_head ?? null);
  for (const problem of result.problems)
    io.stdout(`${problem.kind === "ahead" ? "note" : "TAMPERED"}: ${problem.message}\n`);
  if (!result.ok) {
    io.stdout(`ledger in ${context.store.description} FAILED verification (${result.records} readable records)\n`);
    return EXIT.blocked;
  }
  // The chain proves each record follows the one before; only the head kept in the state shows that
  // none was cut from the end.
  const unanchored =
    snapshot.state === null && result.records > 0
      ? " (its end is not checked: no state records the head, so records cut from the end would not show; restore state.json from the store's history rather than `state sync`, which would chain after the cut)"
      : "";
  io.stdout(
    `ledger in ${context.store.description} intact: ${result.records} records${result.head === null ? "" : `, head #${result.head.seq} ${result.head.hash.slice(0, 16)}`}${unanchored}\n`,
  );
  return EXIT.ok;
}

async function metrics(options: Record<string, unknown>, io: CliIo): Promise<number> {
  const as = format(options);
  const windowMs = parseWindow(typeof options["window"] === "string" ? options["window"] : "30d");
  const { records, environment } = await load(options, io);
  const result = computeMetrics(records, { now: new Date(), windowMs, environment });
  io.stdout(as === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderMetrics(result));
  return EXIT.ok;
}

function renderMetrics(result: DoraMetrics): string {
  const value = (name: MetricName): string => {
    const metric = result.metrics[name];
    if (metric.value === null) return "no data";
    if (name === "change_failure_rate") return `${(metric.value * 100).toFixed(1)} %`;
    return `${metric.value.toFixed(2)} ${TARGETS[name].unit.replace(/^\//, "per ")}`;
  };
  const labels: Record<MetricName, string> = {
    frequency_per_week: "deployment frequency",
    lead_time_hours: "lead time (median)",
    change_failure_rate: "change failure rate",
    time_to_restore_minutes: "time to restore (median)",
  };
  const d = result.deploys;
  const lines = [
    `${result.environment ?? "all environments"}, ${result.window.days} days to ${result.window.to}: ${d.succeeded} succeeded, ${d.rolled_back} rolled back, ${d.aborted} aborted, ${d.failed} failed, ${d.reverted} reverted after release`,
    ...(Object.keys(labels) as MetricName[]).map((name) => {
      const metric = result.metrics[name];
      const verdict = metric.met === null ? "NO DATA" : metric.met ? "met" : "MISSED";
      return `  ${labels[name].padEnd(26)} ${value(name).padEnd(14)} target ${metric.target.padEnd(10)} ${verdict} (${metric.samples} samples)`;
    }),
  ];
  const other = result.rollbacks_not_caused_by_the_release;
  lines.push(
    `  rollbacks not counted as change failures: ${other.telemetry} for missing or inconclusive telemetry, ${other.router} for router failures`,
  );
  if (result.restore_unknown > 0)
    lines.push(
      `  ${result.restore_unknown} failure(s) left out of the time to restore: their records do not say when the deploy started`,
    );
  if (result.commit_after_finish > 0)
    lines.push(
      `  ${result.commit_after_finish} deploy(s) left out of the lead time: their commit time is after they finished (check --commit-time and the clocks)`,
    );
  return `${lines.join("\n")}\n`;
}
