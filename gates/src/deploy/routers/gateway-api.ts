import { ApiException, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { z } from "zod";
import { SLOTS, sameWeights, type Slot, type Weights } from "../state.js";
import { RouterError, type Router } from "./router.js";
import { messageOf } from "../../errors.js";

/**
 * Kubernetes Gateway API router: patches `spec.rules[rule].backendRefs[].weight` of an HTTPRoute
 * with a JSON patch (guarded by `test` operations on the backend names, so a route edited in
 * between is refused rather than half-patched), then reads the route back to confirm.
 * Kubeconfig from a file, else in-cluster, else the default locations (KUBECONFIG, ~/.kube).
 */
export interface GatewayApiOptions {
  route: string;
  namespace: string;
  rule: number;
  backends: Readonly<Record<Slot, string>>;
  kubeconfig?: string | undefined;
  timeoutMs: number;
}

const GROUP = "gateway.networking.k8s.io";
const VERSION = "v1";
const PLURAL = "httproutes";

// Only the fields read here are checked; a live HTTPRoute carries many more (status, metadata…),
// so this object is deliberately not strict.
const HttpRoute = z.object({
  spec: z.object({
    rules: z.array(
      z.object({
        backendRefs: z.array(z.object({ name: z.string(), weight: z.number().int().optional() })).optional(),
      }),
    ),
  }),
});

export function gatewayApiRouter(options: GatewayApiOptions): Router {
  const config = new KubeConfig();
  if (options.kubeconfig !== undefined) config.loadFromFile(options.kubeconfig);
  else if (process.env["KUBERNETES_SERVICE_HOST"] !== undefined) config.loadFromCluster();
  else config.loadFromDefault();
  const api = config.makeApiClient(CustomObjectsApi);
  const where = { group: GROUP, version: VERSION, namespace: options.namespace, plural: PLURAL, name: options.route };
  const describe = `HTTPRoute ${options.namespace}/${options.route}`;

  const read = async (): Promise<{ indexes: Record<Slot, number>; weights: Weights }> => {
    const body: unknown = await withTimeout(api.getNamespacedCustomObject(where), options.timeoutMs);
    const parsed = HttpRoute.safeParse(body);
    if (!parsed.success)
      throw new RouterError("gateway-api", `${describe} has no spec.rules[].backendRefs`, {
        applied: true,
        fix: "check the route name and namespace",
      });
    const refs = parsed.data.spec.rules[options.rule]?.backendRefs ?? [];
    const indexes: Partial<Record<Slot, number>> = {};
    const weights: Partial<Record<Slot, number>> = {};
    for (const slot of SLOTS) {
      const index = refs.findIndex((ref) => ref.name === options.backends[slot]);
      if (index < 0) {
        throw new RouterError(
          "gateway-api",
          `${describe} rule ${options.rule} has no backendRef named ${options.backends[slot]} (${slot})`,
          {
            applied: false,
            fix: "set gateway_blue_backend and gateway_green_backend to the backendRefs[].name of each slot",
          },
        );
      }
      indexes[slot] = index;
      // Gateway API: a backendRef without weight has weight 1.
      weights[slot] = refs[index]?.weight ?? 1;
    }
    return {
      indexes: { blue: indexes.blue ?? 0, green: indexes.green ?? 0 },
      weights: { blue: weights.blue ?? 0, green: weights.green ?? 0 },
    };
  };

  return {
    description: `gateway-api (${describe})`,
    async setWeights(weights) {
      const { indexes } = await guard(read, false);
      const base = `/spec/rules/${options.rule}/backendRefs`;
      const patch = SLOTS.flatMap((slot) => [
        { op: "test", path: `${base}/${indexes[slot]}/name`, value: options.backends[slot] },
        { op: "add", path: `${base}/${indexes[slot]}/weight`, value: weights[slot] },
      ]);
      await guard(
        () =>
          withTimeout(
            api.patchNamespacedCustomObject(
              { ...where, body: patch },
              setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
            ),
            options.timeoutMs,
          ),
        true,
      );
      const readBack = (await guard(read, true)).weights;
      if (!sameWeights(readBack, weights)) {
        throw new RouterError(
          "gateway-api",
          `read back ${readBack.blue}/${readBack.green} after patching ${weights.blue}/${weights.green}`,
          {
            applied: true,
            fix: "another controller (Argo Rollouts, Flagger, a GitOps sync) may own this route's weights",
          },
        );
      }
      return readBack;
    },
    async readWeights() {
      return (await guard(read, true)).weights;
    },
  };
}

// --- internal ---

/** API failures as RouterErrors. A rejected request (4xx) changed nothing; anything else might have. */
async function guard<T>(call: () => Promise<T>, mayHaveApplied: boolean): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof RouterError) throw error;
    const status = error instanceof ApiException ? error.code : undefined;
    const rejected = status !== undefined && status >= 400 && status < 500;
    throw new RouterError(
      "gateway-api",
      `Kubernetes API ${status === undefined ? "unreachable" : `answered HTTP ${status}`}: ${messageOf(error).split("\n")[0]}`,
      {
        applied: mayHaveApplied && !rejected,
        fix:
          status === 403
            ? "grant get and patch on httproutes.gateway.networking.k8s.io"
            : "check the kubeconfig and that the API server is reachable",
        cause: error,
      },
    );
  }
}

function withTimeout<T>(pending: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms);
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}
