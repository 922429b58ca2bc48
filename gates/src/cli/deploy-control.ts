import type { Command } from "commander";
import { describeLock, viewLock } from "../deploy/lock.js";
import { requestPromotion, runIntervention, type RunResult } from "../deploy/runner.js";
import type { Router } from "../deploy/routers/router.js";
import { allOn, sameWeights, type DeployState, type Weights } from "../deploy/state.js";
import { PortcullisError, UsageError, messageOf } from "../errors.js";
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
 * `status`, `promote`, `abort` and `rollback`. Rollback and abort are never blocked by the lock:
 * they take it over (recording whose it was and why) and move all traffic at once, without
 * analysis, then confirm through the router. Exit 0 once traffic is confirmed on the old slot.
 */
export const registerDeployControl: RegisterCommand = (program, io, setExit) => {
  withOptions(
    program
      .command("status")
      .description("Deployment state: slots, live weights (as the router reports them), phase, lock"),
  )
    .option("--format <format>", "text or json", "text")
    .action(async (options: Record<string, unknown>) => setExit(await status(options, io)));

  withOptions(
    program
      .command("promote")
      .description("Let a paused or analysing deploy go on to its next step (recorded and notified)"),
  ).action(async (options: Record<string, unknown>) => {
    const context = loadDeployContext(options, io);
    setExit(
      exitOf(
        await requestPromotion({ store: context.store, actor: context.actor, environment: context.environment }),
        io,
        "promote",
      ),
    );
  });

  withOptions(
    program.command("abort").description("Stop the deploy in progress: all traffic back to the old slot at once"),
  )
    .option("--reason <text>", "why (recorded and notified)", "aborted by hand")
    .action(async (options: Record<string, unknown>) => setExit(await intervene("abort", options, io)));

  withOptions(
    program.command("rollback").description("All traffic to the previous slot at once, no analysis, then confirm"),
  )
    .option(
      "--to-previous",
      "restore the last stable release recorded in the ledger (redeployed with deploy_hook if no slot serves it)",
    )
    .option("--reason <text>", "why (recorded and notified)", "rolled back by hand")
    .action(async (options: Record<string, unknown>) => setExit(await intervene("rollback", options, io)));
};

// --- internal ---

function withOptions(command: Command): Command {
  return addDeployOptions(command).addHelpText("after", `\n${referenceLine("deploy")}\n`);
}

async function intervene(kind: "rollback" | "abort", options: Record<string, unknown>, io: CliIo): Promise<number> {
  const context = loadDeployContext(options, io);
  const router = await routerOf(context);
  const deps = controllerDeps(context, router, progressLog(io));
  try {
    const result = await runIntervention(deps, {
      kind,
      reason: typeof options["reason"] === "string" ? options["reason"] : kind,
      toPrevious: options["toPrevious"] === true,
      deployHook: context.settings.deploy_hook !== undefined,
    });
    return exitOf(result, io, kind);
  } finally {
    await deps.analyzer.close();
  }
}

function exitOf(result: RunResult, io: CliIo, what: string): number {
  switch (result.kind) {
    case "finished":
      if (result.outcome !== "failed") {
        io.stdout(`${result.reason}\n`);
        return EXIT.ok;
      }
      io.stderr(`portcullis: ${what} failed: ${result.reason}\n`);
      return result.rollback_failed ? EXIT.rollbackFailed : EXIT.blocked;
    case "ledger_broken":
    case "misconfigured":
      io.stderr(`portcullis: ${what} refused: ${result.reason}\n`);
      return EXIT.usage;
    case "rejected":
      io.stderr(`portcullis: nothing to ${what}: ${result.reason}\n`);
      return EXIT.usage;
    case "not_started":
      io.stderr(`portcullis: ${what}: ${result.reason}\n`);
      return EXIT.notStarted;
    case "taken_over":
      io.stderr(`portcullis: ${what} interrupted: ${result.reason}\n`);
      return EXIT.blocked;
  }
}

interface StatusView {
  environment: string;
  store: string;
  state: DeployState | null;
  router: { description: string; weights: Weights | null; error: string | null } | null;
  lock: { owner: string; command: string; age_ms: number; stale: boolean } | null;
  warnings: string[];
}

async function status(options: Record<string, unknown>, io: CliIo): Promise<number> {
  const context = loadDeployContext(options, io);
  const snapshot = await context.store.load();
  const view = await buildStatus(context, snapshot.state);
  if (options["format"] === "json") io.stdout(`${JSON.stringify(view, null, 2)}\n`);
  else if (options["format"] === "text") io.stdout(renderStatus(view));
  else
    throw new UsageError("USAGE", `--format ${String(options["format"])} is not text or json`, {
      fix: "use --format text or --format json",
    });
  return EXIT.ok;
}

async function buildStatus(context: DeployContext, state: DeployState | null): Promise<StatusView> {
  const lock = viewLock(state, new Date());
  const warnings: string[] = [];
  let router: StatusView["router"] = null;
  let live: Router | undefined;
  try {
    live = await routerOf(context);
  } catch (error) {
    warnings.push(`router not checked: ${error instanceof PortcullisError ? error.message : String(error)}`);
  }
  if (live !== undefined) {
    try {
      router = { description: live.description, weights: await live.readWeights(), error: null };
      const unserved = await live.unserved?.();
      if (unserved !== undefined && unserved !== null) warnings.push(unserved);
    } catch (error) {
      router = {
        description: live.description,
        weights: null,
        error: messageOf(error),
      };
    }
  }
  const stored = state?.weights ?? allOn("blue");
  if (router !== null && router.weights !== null && !sameWeights(router.weights, stored)) {
    const claim =
      state === null
        ? "no state is stored (a deploy would take blue for live)"
        : `the state last confirmed blue ${stored.blue} % / green ${stored.green} %`;
    const fix =
      state === null || state.phase === "idle"
        ? ": run `portcullis state sync` to rebuild the state from the router"
        : "";
    warnings.push(
      `DISAGREEMENT: the router serves blue ${router.weights.blue} % / green ${router.weights.green} % but ${claim}${fix}`,
    );
  }
  if (state !== null && state.phase !== "idle" && (lock === null || lock.stale)) {
    warnings.push(
      `no controller is running this ${state.phase} (${lock === null ? "no lock" : "lock lease expired"}): ${recoveryAdvice(state)}`,
    );
  }
  return {
    environment: context.environment,
    store: context.store.description,
    state,
    router,
    lock:
      lock === null
        ? null
        : { owner: lock.lock.owner, command: lock.lock.command, age_ms: lock.ageMs, stale: lock.stale },
    warnings,
  };
}

/** What gets an interrupted deploy or rollback out of its phase: each refuses the others' way out. */
export function recoveryAdvice(state: DeployState): string {
  const rollback = state.rollback;
  if (state.rollout !== null)
    return `run \`portcullis abort\` (traffic back to ${rollback?.target ?? state.rollout.from}) or deploy again`;
  // A redeployed previous release is unproven: only `--to-previous` may send users to it.
  if (rollback !== null && (state.phase === "preparing" || rollback.kind === "to_previous"))
    return `run \`portcullis rollback --to-previous\` again (it redeploys ${rollback.release ?? "the previous release"} on ${rollback.target}), or \`portcullis state sync\` to take the router's weights as they are`;
  if (rollback !== null)
    return `run \`portcullis rollback\` again (it checks ${rollback.target} and moves all traffic there), or \`portcullis state sync\` to take the router's weights as they are`;
  return `deploy again (traffic stays on ${state.active})`;
}

function renderStatus(view: StatusView): string {
  const lines = [`environment  ${view.environment} (${view.store})`];
  const state = view.state;
  if (state === null) {
    lines.push("state        nothing deployed yet");
  } else {
    const slot = (name: "blue" | "green"): string => {
      const { release, retired, standing } = state.slots[name];
      const marks = [...(retired ? ["retired"] : []), ...(standing === "unproven" ? ["unproven"] : [])];
      return `${name} ${release ?? "-"}${marks.length === 0 ? "" : ` (${marks.join(", ")})`}`;
    };
    lines.push(`active       ${state.active} (${state.slots[state.active].release ?? "no release recorded"})`);
    lines.push(`slots        ${slot("blue")} | ${slot("green")}`);
    lines.push(
      `weights      blue ${state.weights.blue} % / green ${state.weights.green} % (last confirmed)${state.pending_weights === null ? "" : `; asked for ${state.pending_weights.blue}/${state.pending_weights.green}, not confirmed`}`,
    );
    const rollout = state.rollout;
    const detail =
      rollout === null
        ? ""
        : ` — deploy ${rollout.id}: ${rollout.release} to ${rollout.to}, step ${rollout.step + 1}/${rollout.plan.steps.length}${rollout.paused_reason === null ? "" : `, paused: ${rollout.paused_reason}`}`;
    lines.push(
      `phase        ${state.phase}${detail}${state.rollback === null ? "" : ` — rollback to ${state.rollback.target}: ${state.rollback.reason}`}`,
    );
  }
  if (view.router !== null) {
    const weights = view.router.weights;
    lines.push(
      `router       ${view.router.description}, live: ${view.router.error ?? (weights === null ? "no weights yet" : `blue ${weights.blue} % / green ${weights.green} %`)}`,
    );
  }
  const lock = view.state === null ? null : viewLock(view.state, new Date());
  lines.push(`lock         ${lock === null ? "free" : describeLock(lock)}`);
  const hook = view.state?.hook ?? null;
  if (hook !== null)
    lines.push(
      `hook         ${hook.kind} hook for ${hook.slot} (${hook.release}), process group ${hook.pgid} on ${hook.host}, since ${hook.started_at}`,
    );
  for (const warning of view.warnings) lines.push(`WARNING      ${warning}`);
  return `${lines.join("\n")}\n`;
}
