import { z } from "zod";
import { isFiniteDuration, TOO_LONG_DURATION } from "./units.js";

/**
 * The `deploy:` section of an environment file. Same conventions as the rest of the policy:
 * snake_case keys, durations as strings (`500ms`, `30s`), rates as fractions. Every key is also a
 * CLI flag of the same name in kebab-case (`bake` -> `--bake`), which wins over the file.
 */

// Declared here rather than imported from policy/schema.ts: that file imports this one (the
// `deploy:` section), and a cycle would leave one side undefined at load time.
const Duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'expected a duration such as "500ms", "30s", "5m"')
  .refine(isFiniteDuration, `this ${TOO_LONG_DURATION}`)
  .describe('A duration: a number and a unit, ms, s, m or h ("500ms", "30s")');
const Fraction = z.number().min(0).max(1).describe("A rate as a fraction between 0 and 1 (0.001 is 0.1 %)");
const Count = z.number().int().min(0);
const Command = z.string().min(1);
const HttpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/]+/, 'expected an http(s) URL such as "http://127.0.0.1:8081"')
  .transform((url) => url.replace(/\/+$/, ""));
const UrlPath = z.string().regex(/^\//, 'expected a path starting with "/"');

export const ROUTER_NAMES = ["nginx", "gateway-api", "command"] as const;

export const Steps = z
  .array(z.number().int().min(1).max(100))
  .min(1)
  .refine((steps) => steps.every((step, i) => i === 0 || step > (steps[i - 1] ?? 0)), "steps must increase strictly")
  .refine((steps) => steps.at(-1) === 100, "the last step must be 100")
  .describe("Percentages of traffic on the new slot, step by step; the last one is 100");

export const PrometheusQuery = z
  .object({
    name: z.string().min(1).describe("Short name, shown in measurements and the ledger"),
    query: z
      .string()
      .min(1)
      .describe("PromQL returning one value; {release}, {slot} and {environment} are replaced before sending"),
    max: z.number().optional().describe("The value must be at most this"),
    min: z.number().optional().describe("The value must be at least this"),
  })
  .strict()
  .refine((query) => query.max !== undefined || query.min !== undefined, "give max, min or both");
export type PrometheusQuery = z.infer<typeof PrometheusQuery>;

export const DeploySettings = z
  .object({
    router: z.enum(ROUTER_NAMES).default("nginx").describe("How traffic weights are applied"),
    blue: HttpUrl.optional().describe("Base URL of the blue slot, for health checks and probes"),
    green: HttpUrl.optional().describe("Base URL of the green slot"),
    health_path: UrlPath.default("/healthz").describe(
      "Path that answers 2xx when a slot is ready (readiness only: analysis probes probe_paths)",
    ),
    health_timeout: Duration.default("60s").describe("How long the new slot may take to become healthy"),
    probe_paths: z
      .array(UrlPath)
      .min(1)
      .default(["/"])
      .describe("Application paths probed during analysis, in turn; a 5xx, a timeout or a refused connection fails"),
    probe_path: UrlPath.optional().describe("Deprecated: one probe path, same as probe_paths: [path]"),
    probe_rate: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(30)
      .describe("Probe requests per second to the new slot (0: no probes, judge real traffic only)"),
    probe_timeout: Duration.default("2s").describe("A probe slower than this counts as failed"),
    steps: Steps.default([10, 25, 50, 75, 100]).describe(
      "Percentages of traffic on the new slot, step by step; the last one is 100",
    ),
    bake: Duration.default("30s").describe("Time each step is observed before the next one"),
    interval: Duration.default("5s").describe("Length of one measurement window during the bake"),
    warmup: Duration.default("10s").describe("Probing of the new slot before any traffic moves (0s: none)"),
    failure_limit: Count.default(0).describe("Failed measurements tolerated per step; one more rolls back"),
    inconclusive_limit: Count.default(1).describe("Inconclusive or errored measurements tolerated per step"),
    on_inconclusive: z
      .enum(["rollback", "pause"])
      .default("rollback")
      .describe("What happens past inconclusive_limit: roll back, or pause for promote/abort"),
    max_error_rate: Fraction.optional().describe("Default: the environment's gates.performance.max_error_rate"),
    max_p95: Duration.optional().describe("Default: the environment's gates.performance.max_p95"),
    min_requests: Count.optional().describe("Per measurement; default: gates.performance.min_requests"),
    manual_promotion: z.boolean().default(false).describe("Pause before 100 % until `portcullis promote`"),
    deploy_hook: Command.optional().describe("Shell command that puts the release on the idle slot"),
    retire_hook: Command.optional().describe("Shell command that scales the old slot down"),
    hook_timeout: Duration.default("10m").describe("Longest a deploy or retire hook may run"),
    scale_down_delay: Duration.default("30s").describe("Wait before retire_hook runs on the old slot"),
    lock_lease: Duration.default("30s").describe("A lock not renewed for this long is stale"),
    slow_after: Duration.default("30m").describe("A deploy longer than this is notified as slow (medium)"),
    nginx_upstream_file: z.string().min(1).optional().describe("The upstream include nginx reads"),
    nginx_live_url: HttpUrl.optional().describe(
      "URL of the nginx location that returns the live weights ($<upstream>_weights); required by the nginx router",
    ),
    nginx_access_log: z
      .string()
      .min(1)
      .optional()
      .describe("nginx access log in the portcullis log_format: real requests per upstream are judged too"),
    nginx_upstream: z
      .string()
      .regex(/^[A-Za-z0-9_]+$/, "expected an nginx upstream name")
      .default("portcullis_backend")
      .describe("Name of the upstream block Portcullis writes (proxy_pass http://<name>)"),
    nginx_test_cmd: Command.default("nginx -t").describe("Checks the configuration; a failure means no reload"),
    nginx_reload_cmd: Command.default("nginx -s reload").describe("Makes nginx load the tested configuration"),
    gateway_route: z.string().min(1).optional().describe("Name of the HTTPRoute"),
    gateway_namespace: z.string().min(1).default("default").describe("Namespace of the HTTPRoute"),
    gateway_rule: Count.default(0).describe("Index of the rule in spec.rules"),
    gateway_blue_backend: z.string().min(1).optional().describe("backendRefs[].name of the blue slot"),
    gateway_green_backend: z.string().min(1).optional().describe("backendRefs[].name of the green slot"),
    gateway_kubeconfig: z.string().min(1).optional().describe("Kubeconfig file (default: in-cluster, then KUBECONFIG)"),
    command_set: Command.optional().describe("Command applying weights; {blue} and {green} are replaced"),
    command_get: Command.optional().describe('Command printing the live weights as "blue green"'),
    command_timeout: Duration.default("30s").describe("Longest command_set, command_get or an nginx command may run"),
    state_dir: z
      .string()
      .min(1)
      .default(".portcullis/state")
      .describe("Directory store: state and ledger in <state_dir>/<environment>/"),
    state_git_ref: z
      .string()
      .regex(/^refs\/[A-Za-z0-9._/-]+$/, 'expected a ref such as "refs/portcullis/production"')
      .optional()
      .describe("Keep state and ledger in this git ref instead of state_dir"),
    state_git_remote: z
      .string()
      .min(1)
      .default("origin")
      .describe("Remote the state ref is fetched from and pushed to"),
    prometheus_url: HttpUrl.optional().describe("Prometheus base URL for prometheus_queries"),
    prometheus_queries: z
      .array(PrometheusQuery)
      .default([])
      .describe("PromQL checks run at the end of every measurement window"),
    prometheus_traffic_query: z
      .string()
      .min(1)
      .optional()
      .describe(
        "PromQL giving the requests the new release served in the last window; fewer than min_requests: no data",
      ),
    rollback_deadline: Duration.default("5m").describe(
      "How long a rollback keeps retrying (with backoff) a router that refuses it",
    ),
    webhooks: z.array(z.string().min(1)).default([]).describe("Generic JSON webhooks (env:NAME reads a variable)"),
    slack_webhooks: z.array(z.string().min(1)).default([]).describe("Slack-compatible webhooks (env:NAME)"),
    notify_timeout: Duration.default("5s").describe("Timeout of one webhook attempt"),
    notify_retries: Count.max(10).default(2).describe("Retries of a failed webhook (never delaying traffic changes)"),
  })
  .strict()
  .describe("Blue-green deployment: slots, router, traffic steps, analysis, state, notifications");
export type DeploySettings = z.infer<typeof DeploySettings>;
export type DeploySettingsInput = z.input<typeof DeploySettings>;

/** How a flag's string value becomes a setting value. */
export type FlagKind = "string" | "int" | "number" | "boolean" | "ints" | "strings" | "json";

/** One kind per setting, so every key is a flag; the compiler checks none is missing. */
export const SETTING_FLAGS: Readonly<Record<keyof DeploySettings, FlagKind>> = {
  router: "string",
  blue: "string",
  green: "string",
  health_path: "string",
  health_timeout: "string",
  probe_paths: "strings",
  probe_path: "string",
  probe_rate: "int",
  probe_timeout: "string",
  steps: "ints",
  bake: "string",
  interval: "string",
  warmup: "string",
  failure_limit: "int",
  inconclusive_limit: "int",
  on_inconclusive: "string",
  max_error_rate: "number",
  max_p95: "string",
  min_requests: "int",
  manual_promotion: "boolean",
  deploy_hook: "string",
  retire_hook: "string",
  hook_timeout: "string",
  scale_down_delay: "string",
  lock_lease: "string",
  slow_after: "string",
  nginx_upstream_file: "string",
  nginx_live_url: "string",
  nginx_access_log: "string",
  nginx_upstream: "string",
  nginx_test_cmd: "string",
  nginx_reload_cmd: "string",
  gateway_route: "string",
  gateway_namespace: "string",
  gateway_rule: "int",
  gateway_blue_backend: "string",
  gateway_green_backend: "string",
  gateway_kubeconfig: "string",
  command_set: "string",
  command_get: "string",
  command_timeout: "string",
  state_dir: "string",
  state_git_ref: "string",
  state_git_remote: "string",
  prometheus_url: "string",
  prometheus_queries: "json",
  prometheus_traffic_query: "string",
  rollback_deadline: "string",
  webhooks: "strings",
  slack_webhooks: "strings",
  notify_timeout: "string",
  notify_retries: "int",
};

/** `nginx_test_cmd` -> `nginx-test-cmd`. */
export function flagName(key: string): string {
  return key.replaceAll("_", "-");
}

/** Converts one flag value; returns an error message instead of throwing. */
export function convertFlag(kind: FlagKind, raw: string | boolean): { value: unknown } | { error: string } {
  if (typeof raw === "boolean") return kind === "boolean" ? { value: raw } : { error: "expected a value" };
  switch (kind) {
    case "string":
      return { value: raw };
    case "boolean":
      return raw === "true" || raw === "false" ? { value: raw === "true" } : { error: 'expected "true" or "false"' };
    case "int":
    case "number": {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(value))
        return { error: `expected a number, got ${JSON.stringify(raw)}` };
      return { value };
    }
    case "ints": {
      const parts = splitList(raw).map(Number);
      return parts.some((n) => !Number.isFinite(n))
        ? { error: `expected numbers separated by commas, got ${JSON.stringify(raw)}` }
        : { value: parts };
    }
    case "strings":
      return { value: splitList(raw) };
    case "json":
      try {
        return { value: JSON.parse(raw) as unknown };
      } catch {
        return { error: "expected JSON" };
      }
  }
}

// --- internal ---

function splitList(raw: string): string[] {
  return raw
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}
