import { randomBytes } from "node:crypto";
import { hostname, userInfo } from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { createAnalyzer } from "../deploy/analysis/analyzer.js";
import { lockOwner } from "../deploy/lock.js";
import {
  checkHealthTimeout,
  checkProbeBudget,
  probePaths,
  requireRouterSettings,
  resolveSettings,
  resolveThresholds,
  resolveWebhooks,
  slotUrls,
  type FlagValues,
  type PerformanceDefaults,
} from "../deploy/config.js";
import type { ControllerDeps } from "../deploy/controller.js";
import { createNotifier } from "../deploy/notify.js";
import { commandRouter } from "../deploy/routers/command.js";
import { nginxRouter, nginxServers } from "../deploy/routers/nginx.js";
import type { Router } from "../deploy/routers/router.js";
import { DeploySettings, SETTING_FLAGS, flagName } from "../policy/deploy-settings.js";
import { dirStore } from "../deploy/stores/dir.js";
import { gitRefStore } from "../deploy/stores/git-ref.js";
import type { StateStore } from "../deploy/stores/store.js";
import { parseDuration } from "../policy/duration.js";
import { loadEnvironment } from "../policy/load-files.js";
import { PerformanceGatePolicy } from "../policy/schema.js";
import type { CliIo } from "./io.js";

/**
 * What every deploy command shares: the flags (one per `deploy:` setting), the environment file,
 * the settings in force, and the adapters built from them (store, router, analysis, webhooks).
 */
export interface DeployContext {
  io: CliIo;
  environment: string;
  /** The environment's policy, when `--env` named one: a gate report must have been judged by it. */
  policy: { hash: string; source: string } | undefined;
  settings: DeploySettings;
  performance: PerformanceDefaults;
  store: StateStore;
  actor: string;
}

/**
 * `--env` and `--actor`, plus a flag per deploy setting. Every deploy command takes them all, so
 * one set of flags (or one environment file) serves deploy, status, rollback and the records.
 */
export function addDeployOptions(command: Command): Command {
  command
    .option("--env <name|path>", "environment name (environments/<name>.yml) or policy file")
    .option("--actor <name>", "who acts (default: $GITHUB_ACTOR, then $USER)");
  for (const key of Object.keys(SETTING_FLAGS)) {
    const description = DeploySettings.shape[key as keyof DeploySettings].description ?? key;
    if (SETTING_FLAGS[key as keyof DeploySettings] === "boolean") command.option(`--${flagName(key)}`, description);
    else command.option(`--${flagName(key)} <value>`, description);
  }
  return command;
}

export function loadDeployContext(options: Readonly<Record<string, unknown>>, io: CliIo): DeployContext {
  const envRef = typeof options["env"] === "string" ? options["env"] : undefined;
  const loaded = envRef === undefined ? undefined : loadEnvironment(envRef, io.cwd);
  const flags: Record<string, string | boolean | undefined> = {};
  for (const key of Object.keys(SETTING_FLAGS)) {
    const value = options[camel(flagName(key))];
    if (typeof value === "string" || typeof value === "boolean") flags[key] = value;
  }
  const settings = resolveSettings(loaded?.policy.deploy, flags satisfies FlagValues, loaded?.file);
  const environment = loaded?.policy.name ?? "default";
  const actorOption = typeof options["actor"] === "string" ? options["actor"] : undefined;
  return {
    io,
    environment,
    policy: loaded === undefined ? undefined : { hash: loaded.hash, source: loaded.source },
    settings,
    performance: loaded?.policy.gates.performance ?? PerformanceGatePolicy.parse({}),
    store: storeOf(settings, environment, io.cwd),
    actor: actorOption ?? io.env["GITHUB_ACTOR"] ?? io.env["USER"] ?? loginName() ?? "unknown",
  };
}

/** The router the settings name; gateway-api loads the Kubernetes client only when used. */
export async function routerOf(context: DeployContext): Promise<Router> {
  const { settings, io } = context;
  requireRouterSettings(settings);
  const timeoutMs = parseDuration(settings.command_timeout);
  switch (settings.router) {
    case "nginx": {
      const urls = slotUrls(settings);
      return nginxRouter({
        upstreamFile: settings.nginx_upstream_file ?? "",
        upstream: settings.nginx_upstream,
        servers: nginxServers(urls.blue, urls.green),
        testCmd: settings.nginx_test_cmd,
        reloadCmd: settings.nginx_reload_cmd,
        liveUrl: settings.nginx_live_url ?? "",
        timeoutMs,
        cwd: io.cwd,
      });
    }
    case "command":
      return commandRouter({ set: settings.command_set ?? "", get: settings.command_get, timeoutMs, cwd: io.cwd });
    case "gateway-api": {
      const { gatewayApiRouter } = await import("../deploy/routers/gateway-api.js");
      return gatewayApiRouter({
        route: settings.gateway_route ?? "",
        namespace: settings.gateway_namespace,
        rule: settings.gateway_rule,
        backends: { blue: settings.gateway_blue_backend ?? "", green: settings.gateway_green_backend ?? "" },
        kubeconfig:
          settings.gateway_kubeconfig === undefined ? undefined : path.resolve(io.cwd, settings.gateway_kubeconfig),
        timeoutMs,
      });
    }
  }
}

/** Everything the controller needs to move traffic and analyse. */
export function controllerDeps(
  context: DeployContext,
  router: Router,
  log: (line: string) => void,
  hookSignal?: AbortSignal,
): ControllerDeps {
  const { settings, io } = context;
  const urls = slotUrls(settings);
  const intervalMs = parseDuration(settings.interval);
  const thresholds = resolveThresholds(settings, context.performance);
  checkProbeBudget(settings, thresholds);
  checkHealthTimeout(settings);
  return {
    store: context.store,
    router,
    analyzer: createAnalyzer({
      urls,
      environment: context.environment,
      healthPath: settings.health_path,
      healthTimeoutMs: parseDuration(settings.health_timeout),
      probePaths: probePaths(settings),
      probeRate: settings.probe_rate,
      probeTimeoutMs: parseDuration(settings.probe_timeout),
      intervalMs,
      warmupMs: parseDuration(settings.warmup),
      thresholds,
      prometheusUrl: settings.prometheus_url,
      queries: settings.prometheus_queries,
      trafficQuery: settings.prometheus_traffic_query,
      accessLog:
        settings.nginx_access_log === undefined
          ? undefined
          : { file: path.resolve(io.cwd, settings.nginx_access_log), servers: nginxServers(urls.blue, urls.green) },
    }),
    notifier: createNotifier({
      webhooks: resolveWebhooks(settings, io.env),
      timeoutMs: parseDuration(settings.notify_timeout),
      retries: settings.notify_retries,
      onFailure: (message) => io.stderr(`portcullis: notification: ${message}\n`),
    }),
    hooks: {
      deploy: settings.deploy_hook,
      retire: settings.retire_hook,
      timeoutMs: parseDuration(settings.hook_timeout),
      cwd: io.cwd,
      urls,
      signal: hookSignal,
    },
    timing: {
      bakeMs: parseDuration(settings.bake),
      intervalMs,
      scaleDownDelayMs: parseDuration(settings.scale_down_delay),
      leaseMs: parseDuration(settings.lock_lease),
      rollbackDeadlineMs: parseDuration(settings.rollback_deadline),
    },
    environment: context.environment,
    actor: context.actor,
    owner: lockOwner(context.actor, hostname(), process.pid, randomBytes(3).toString("hex")),
    log,
  };
}

/** Progress lines: timestamped, on stdout; a TTY gets them as they happen like any other line. */
export function progressLog(io: CliIo): (line: string) => void {
  return (line) => io.stdout(`${io.isTty ? "" : `${new Date().toISOString().slice(11, 23)} `}${line}\n`);
}

// --- internal ---

function storeOf(settings: DeploySettings, environment: string, cwd: string): StateStore {
  if (settings.state_git_ref !== undefined)
    return gitRefStore({ cwd, ref: settings.state_git_ref, remote: settings.state_git_remote, environment });
  return dirStore(path.resolve(cwd, settings.state_dir), environment, settings.state_dir);
}

/** commander's attribute name for a kebab-case flag. */
function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Who runs the command when neither $GITHUB_ACTOR nor $USER says (cron, a container): the account's name. */
function loginName(): string | undefined {
  try {
    const name = userInfo().username;
    return name === "" ? undefined : name;
  } catch {
    // No passwd entry for this uid (an arbitrary container user).
    return undefined;
  }
}
