import { chainEntries, parseLedger } from "../deploy/ledger.js";
import { describeLock, viewLock } from "../deploy/lock.js";
import { StoreConflictError } from "../deploy/stores/store.js";
import { planSync } from "../deploy/sync.js";
import { ConfigError } from "../errors.js";
import type { RegisterCommand } from "./commands.js";
import { addDeployOptions, loadDeployContext, routerOf } from "./deploy-context.js";
import { EXIT, type CliIo } from "./io.js";

/**
 * `portcullis state sync`: rebuilds the deployment state from the router's live weights, for a
 * state lost or contradicted by the router (a deploy refuses to start on either, exit 3).
 * Exit 0 synced or already in agreement, 2 the router cannot report or the ledger is broken,
 * 3 a controller holds the lock or the router splits traffic.
 */
export const registerDeployState: RegisterCommand = (program, io, setExit) => {
  const state = program.command("state").description("The stored deployment state");
  addDeployOptions(
    state.command("sync").description("Rebuild the state from the router's live weights (recorded in the ledger)"),
  )
    .addHelpText(
      "after",
      "\nExit codes: 0 synced, 2 router unreadable or ledger broken, 3 lock held or traffic split.\nReference: docs/deploy.md\n",
    )
    .action(async (options: Record<string, unknown>) => setExit(await sync(options, io)));
};

// --- internal ---

async function sync(options: Record<string, unknown>, io: CliIo): Promise<number> {
  const context = loadDeployContext(options, io);
  const router = await routerOf(context);
  const snapshot = await context.store.load();
  if (snapshot.ledgerBroken !== null)
    throw new ConfigError("CONFIG_INVALID", `the ledger's chain is broken at ${snapshot.ledgerBroken}`, {
      file: context.store.description,
      fix: "run `portcullis ledger verify`, restore the ledger, then sync",
    });
  const live = await router.readWeights();
  if (live === null)
    throw new ConfigError("CONFIG_INVALID", `${router.description} cannot report its live weights`, {
      fix: "set command_get (command router) so the live weights can be read",
    });
  const lock = viewLock(snapshot.state, new Date());
  if (lock !== null && !lock.stale) {
    io.stderr(`portcullis: state sync: a controller is running: ${describeLock(lock)}\n`);
    return EXIT.notStarted;
  }
  const at = new Date().toISOString();
  const plan = planSync({
    state: snapshot.state,
    environment: context.environment,
    live,
    records: parseLedger(snapshot.ledgerText),
    actor: context.actor,
    at,
  });
  if (plan.kind === "refused") {
    io.stderr(`portcullis: state sync: ${plan.reason}\n`);
    return EXIT.notStarted;
  }
  if (plan.kind === "in_sync") {
    io.stdout(`${plan.message}\n`);
    return EXIT.ok;
  }
  const chained = chainEntries(snapshot.ledgerHead, [plan.entry]);
  try {
    await context.store.save(
      {
        ...plan.state,
        revision: (snapshot.state?.revision ?? 0) + 1,
        updated_at: at,
        ledger_head: chained.head,
        lock: null,
      },
      chained.lines,
      snapshot.token,
    );
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
    io.stderr(`portcullis: state sync: ${error.message}: run it again\n`);
    return EXIT.notStarted;
  }
  io.stdout(`${plan.message}\n`);
  return EXIT.ok;
}
