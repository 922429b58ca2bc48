import { UsageError } from "../errors.js";
import { SHORTEST_HEALTH_TIMEOUT_MS } from "./analysis/analyzer.js";
import { parseDuration } from "../policy/duration.js";
import { describeIssues, schemaIssues } from "../zod-issues.js";
import type { Webhook } from "./notify.js";
import { DeploySettings, SETTING_FLAGS, convertFlag, flagName, type FlagKind } from "../policy/deploy-settings.js";
import type { Plan, Slot } from "./state.js";

/**
 * From the environment's `deploy:` section and the command-line flags to the settings in force
 * (flags win), then what each part of the controller needs from them. Pure: the CLI passes the
 * values in.
 */

/** Flag values as commander hands them over, keyed by setting name; undefined when not given. */
export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

export function resolveSettings(
  fromFile: DeploySettings | undefined,
  flags: FlagValues,
  file: string | undefined,
): DeploySettings {
  const given: Record<string, unknown> = {};
  const flagged = new Set<string>();
  for (const [key, kind] of Object.entries<FlagKind>(SETTING_FLAGS)) {
    const raw = flags[key];
    if (raw === undefined) continue;
    const converted = convertFlag(kind, raw);
    if ("error" in converted)
      throw new UsageError("USAGE", `--${flagName(key)}: ${converted.error}`, {
        fix: `see \`portcullis deploy --help\``,
      });
    given[key] = converted.value;
    flagged.add(key);
  }
  if (flagged.has("probe_path") && flagged.has("probe_paths"))
    throw new UsageError("USAGE", "--probe-path and --probe-paths name the probed paths twice", {
      fix: "give --probe-paths only (--probe-path is the deprecated one-path form)",
    });
  // The paths given on the command line win over the file's deprecated single path.
  const fileSettings =
    flagged.has("probe_paths") && fromFile !== undefined ? { ...fromFile, probe_path: undefined } : fromFile;
  const parsed = DeploySettings.safeParse({ ...fileSettings, ...given });
  if (parsed.success) return parsed.data;
  const issues = schemaIssues(parsed.error).map((issue) => {
    const key = issue.path.split(".")[0] ?? "";
    return { ...issue, path: flagged.has(key) ? `--${flagName(issue.path)}` : `deploy.${issue.path}` };
  });
  throw new UsageError("USAGE", `invalid deploy settings: ${describeIssues(issues)}`, {
    file,
    fix: "correct the flag or the environment file's deploy: section",
  });
}

/** The application paths analysis probes: probe_paths, or the deprecated single probe_path. */
export function probePaths(settings: DeploySettings): string[] {
  return settings.probe_path === undefined ? settings.probe_paths : [settings.probe_path];
}

/** The slot URLs, required by anything that checks health or probes. */
export function slotUrls(settings: DeploySettings): Record<Slot, string> {
  if (settings.blue === undefined || settings.green === undefined) {
    throw new UsageError("USAGE", `the ${settings.blue === undefined ? "blue" : "green"} slot URL is not set`, {
      fix: "pass --blue <url> --green <url>, or set deploy.blue and deploy.green in the environment file",
    });
  }
  return { blue: settings.blue, green: settings.green };
}

/**
 * A window can only pass with at least min_requests probes; if probe_rate × interval cannot
 * reach that, every deploy would end inconclusive. Said before anything starts.
 */
/** A health check that could never pass: it needs three answers 250 ms apart. */
export function checkHealthTimeout(settings: DeploySettings): void {
  if (parseDuration(settings.health_timeout) < SHORTEST_HEALTH_TIMEOUT_MS) {
    throw new UsageError(
      "USAGE",
      `health_timeout ${settings.health_timeout} is too short: a slot is healthy once it answers 2xx three times in a row, 250 ms apart`,
      { fix: "set --health-timeout (health_timeout) to 1s or more" },
    );
  }
}

export function checkProbeBudget(settings: DeploySettings, thresholds: Thresholds): void {
  if (settings.probe_rate === 0) {
    if (settings.nginx_access_log === undefined && settings.prometheus_traffic_query === undefined)
      throw new UsageError("USAGE", "probe_rate 0 turns probes off, and no real traffic is read either", {
        fix: "set nginx_access_log or prometheus_traffic_query, or a probe_rate above 0",
      });
    return;
  }
  const perWindow = Math.floor((settings.probe_rate * parseDuration(settings.interval)) / 1000);
  if (perWindow < thresholds.minRequests) {
    throw new UsageError(
      "USAGE",
      `probe_rate ${settings.probe_rate}/s over interval ${settings.interval} gives at most ${perWindow} probes per window, fewer than min_requests ${thresholds.minRequests}: no window could ever pass`,
      { fix: "raise --probe-rate or --interval, or lower --min-requests" },
    );
  }
}

/** The settings each router cannot work without, checked before anything moves. */
export function requireRouterSettings(settings: DeploySettings): void {
  const missing: Record<DeploySettings["router"], (keyof DeploySettings)[]> = {
    nginx: ["nginx_upstream_file", "nginx_live_url", "blue", "green"],
    "gateway-api": ["gateway_route", "gateway_blue_backend", "gateway_green_backend"],
    command: ["command_set"],
  };
  const absent = missing[settings.router].filter((key) => settings[key] === undefined);
  if (absent.length > 0) {
    throw new UsageError(
      "USAGE",
      `router ${settings.router} needs ${absent.map((key) => `--${flagName(key)}`).join(", ")}`,
      {
        fix: `pass them as flags or set them in the environment file's deploy: section (${absent.join(", ")})`,
      },
    );
  }
}

export function planOf(settings: DeploySettings): Plan {
  return {
    steps: settings.steps,
    failure_limit: settings.failure_limit,
    inconclusive_limit: settings.inconclusive_limit,
    on_inconclusive: settings.on_inconclusive,
    manual_promotion: settings.manual_promotion,
    deploy_hook: settings.deploy_hook !== undefined,
    retire_hook: settings.retire_hook !== undefined,
    slow_after_ms: parseDuration(settings.slow_after),
    rollback_deadline_ms: parseDuration(settings.rollback_deadline),
  };
}

/** Webhook URLs, `env:NAME` read from the environment (webhook URLs are often secrets). */
export function resolveWebhooks(
  settings: DeploySettings,
  env: Readonly<Record<string, string | undefined>>,
): Webhook[] {
  const resolve = (value: string, key: string): string => {
    if (!value.startsWith("env:")) return value;
    const name = value.slice("env:".length);
    const found = env[name];
    if (found === undefined || found === "") {
      throw new UsageError("USAGE", `${key}: environment variable ${name} is not set`, {
        fix: `export ${name}, or remove it from ${key}`,
      });
    }
    return found;
  };
  return [
    ...settings.webhooks.map((url) => ({ url: resolve(url, "webhooks"), format: "json" as const })),
    ...settings.slack_webhooks.map((url) => ({ url: resolve(url, "slack_webhooks"), format: "slack" as const })),
  ];
}

/** The analysis thresholds in force: the deploy settings, else the environment's performance gate. */
export interface Thresholds {
  maxErrorRate: number;
  maxP95Ms: number;
  minRequests: number;
}

/** Performance policy values the thresholds default from (`gates.performance`). */
export interface PerformanceDefaults {
  max_error_rate: number;
  max_p95: string;
  min_requests: number;
}

export function resolveThresholds(settings: DeploySettings, performance: PerformanceDefaults): Thresholds {
  return {
    maxErrorRate: settings.max_error_rate ?? performance.max_error_rate,
    maxP95Ms: parseDuration(settings.max_p95 ?? performance.max_p95),
    minRequests: settings.min_requests ?? performance.min_requests,
  };
}
