import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { gatewayApiRouter } from "../../src/deploy/routers/gateway-api.js";
import { RouterError } from "../../src/deploy/routers/router.js";

/**
 * Contract test of the gateway-api router: a local HTTP server implements the two Kubernetes API
 * endpoints it uses (GET and JSON-patch PATCH of an HTTPRoute), with bearer-token auth, the
 * `test` operations of RFC 6902 and a 422 when one fails, as the API server does.
 */
const ROUTE_PATH = "/apis/gateway.networking.k8s.io/v1/namespaces/prod/httproutes/web";

interface Received {
  method: string;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

type Mode = "normal" | "ignore-patch" | "conflict";

describe("gateway-api router against a Kubernetes API contract server", () => {
  let server: Server;
  let work: string;
  let kubeconfig: string;
  let route: {
    metadata: { name: string };
    spec: { rules: { backendRefs: { name: string; port: number; weight?: number }[] }[] };
  };
  let received: Received[];
  let mode: Mode;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "portcullis-k8s-"));
    server = createServer((req, res) => {
      void handle(req).then(({ status, body }) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body)),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    kubeconfig = path.join(work, "kubeconfig");
    await writeFile(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        // Plain HTTP on loopback: the client refuses it unless TLS verification is explicitly off.
        `  - name: test\n    cluster:\n      server: http://127.0.0.1:${port}\n      insecure-skip-tls-verify: true`,
        "users:",
        "  - name: test\n    user:\n      token: contract-token",
        "contexts:",
        "  - name: test\n    context:\n      cluster: test\n      user: test",
        "current-context: test",
        "",
      ].join("\n"),
    );
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  beforeEach(() => {
    received = [];
    mode = "normal";
    route = {
      metadata: { name: "web" },
      spec: {
        rules: [
          {
            backendRefs: [
              { name: "web-green", port: 80 },
              { name: "web-blue", port: 80, weight: 100 },
            ],
          },
        ],
      },
    };
  });

  async function handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    let text = "";
    for await (const chunk of req) text += String(chunk);
    received.push({
      method: req.method ?? "",
      contentType: req.headers["content-type"],
      authorization: req.headers.authorization,
      body: text === "" ? undefined : JSON.parse(text),
    });
    if (req.headers.authorization !== "Bearer contract-token")
      return { status: 401, body: { kind: "Status", code: 401 } };
    if (req.url !== ROUTE_PATH) return { status: 404, body: { kind: "Status", code: 404 } };
    if (req.method === "GET") return { status: 200, body: route };
    if (req.method !== "PATCH" || req.headers["content-type"] !== "application/json-patch+json")
      return { status: 415, body: { kind: "Status", code: 415 } };
    if (mode === "conflict")
      return {
        status: 422,
        body: { kind: "Status", code: 422, message: "the server rejected our request due to an error in our request" },
      };
    const next: typeof route = structuredClone(route);
    for (const op of JSON.parse(text) as { op: string; path: string; value: unknown }[]) {
      const [, , , rule, , index, field] = op.path.split("/");
      const ref = next.spec.rules[Number(rule)]?.backendRefs[Number(index)];
      if (ref === undefined) return { status: 422, body: { kind: "Status", code: 422 } };
      if (op.op === "test" && ref.name !== op.value)
        return { status: 422, body: { kind: "Status", code: 422, message: "test failed" } };
      if (op.op === "add" && field === "weight" && typeof op.value === "number") ref.weight = op.value;
    }
    if (mode === "normal") route = next;
    return { status: 200, body: mode === "normal" ? route : next };
  }

  const router = (backends = { blue: "web-blue", green: "web-green" }) =>
    gatewayApiRouter({ route: "web", namespace: "prod", rule: 0, backends, kubeconfig, timeoutMs: 5_000 });

  it("patches the weights with a guarded JSON patch and confirms them by reading back", async () => {
    const live = router();
    expect(await live.readWeights()).toEqual({ blue: 100, green: 1 });
    expect(await live.setWeights({ blue: 75, green: 25 })).toEqual({ blue: 75, green: 25 });
    expect(route.spec.rules[0]?.backendRefs.map((ref) => [ref.name, ref.weight])).toEqual([
      ["web-green", 25],
      ["web-blue", 75],
    ]);
    const patch = received.find((request) => request.method === "PATCH");
    expect(patch).toMatchObject({ contentType: "application/json-patch+json", authorization: "Bearer contract-token" });
    expect(patch?.body).toEqual([
      { op: "test", path: "/spec/rules/0/backendRefs/1/name", value: "web-blue" },
      { op: "add", path: "/spec/rules/0/backendRefs/1/weight", value: 75 },
      { op: "test", path: "/spec/rules/0/backendRefs/0/name", value: "web-green" },
      { op: "add", path: "/spec/rules/0/backendRefs/0/weight", value: 25 },
    ]);
    expect(received.map((request) => request.method)).toEqual(["GET", "GET", "PATCH", "GET"]);
  });

  it.each([
    {
      name: "a patch the API accepted but did not keep (read back differs)",
      mode: "ignore-patch" as const,
      applied: true,
      message: /read back 100\/1 after patching 50\/50/,
    },
    {
      name: "a patch refused with 422 (route changed under us)",
      mode: "conflict" as const,
      applied: false,
      message: /HTTP 422/,
    },
  ])("reports $name", async ({ mode: serverMode, applied, message }) => {
    mode = serverMode;
    const error = await router()
      .setWeights({ blue: 50, green: 50 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RouterError);
    expect(error).toMatchObject({ applied });
    expect(String((error as RouterError).message)).toMatch(message);
  });

  it("refuses a route without the slot's backend, before patching anything", async () => {
    const error = await router({ blue: "web-blue", green: "web-canary" })
      .setWeights({ blue: 50, green: 50 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RouterError);
    expect(error).toMatchObject({ applied: false });
    expect(String((error as RouterError).message)).toMatch(/no backendRef named web-canary \(green\)/);
    expect(received.some((request) => request.method === "PATCH")).toBe(false);
  });
});
