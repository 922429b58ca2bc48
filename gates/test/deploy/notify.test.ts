import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Notice } from "../../src/deploy/actions.js";
import { createNotifier, jsonPayload, slackPayload } from "../../src/deploy/notify.js";

/** Webhooks against a local HTTP server that can answer 500s, 400s or hang. */
const NOTICE: Notice = {
  event: "rolled_back",
  severity: "critical",
  environment: "production",
  deploy_id: "d1",
  release: "1.4.2",
  message: "1.4.2 rolled back: error rate 3 %",
  at: "2025-01-01T00:00:00.000Z",
};

describe("webhook notifications", () => {
  let server: Server;
  let base: string;
  let bodies: { path: string; body: unknown }[];
  let plan: Record<string, number[]>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = "";
      req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      req.on("end", () => {
        const path = req.url ?? "/";
        bodies.push({ path, body: JSON.parse(text) });
        if (path.startsWith("/hang")) return;
        const status = plan[path]?.shift() ?? 200;
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    bodies = [];
    plan = {};
  });

  it("posts generic JSON and Slack-compatible text", async () => {
    const failures: string[] = [];
    const notifier = createNotifier({
      webhooks: [
        { url: `${base}/json`, format: "json" },
        { url: `${base}/slack`, format: "slack" },
      ],
      timeoutMs: 2_000,
      retries: 0,
      onFailure: (m) => failures.push(m),
    });
    notifier.send(NOTICE);
    await notifier.flush(5_000);
    expect(failures).toEqual([]);
    expect(bodies.find((b) => b.path === "/json")?.body).toEqual(jsonPayload(NOTICE));
    expect(jsonPayload(NOTICE)).toMatchObject({
      schema: "portcullis.notice/v1",
      event: "rolled_back",
      severity: "critical",
    });
    expect(bodies.find((b) => b.path === "/slack")?.body).toEqual({
      text: ":rotating_light: [critical] production 1.4.2: 1.4.2 rolled back: error rate 3 %",
    });
    expect(slackPayload({ ...NOTICE, severity: "medium", release: null }).text).toBe(
      ":hourglass: [medium] production: 1.4.2 rolled back: error rate 3 %",
    );
  });

  it("retries 5xx a bounded number of times, and never retries a 4xx", async () => {
    plan = { "/flaky": [500, 503], "/gone": [404, 404, 404] };
    const failures: string[] = [];
    const notifier = createNotifier({
      webhooks: [
        { url: `${base}/flaky`, format: "json" },
        { url: `${base}/gone`, format: "json" },
      ],
      timeoutMs: 2_000,
      retries: 2,
      onFailure: (m) => failures.push(m),
    });
    notifier.send(NOTICE);
    await notifier.flush(10_000);
    expect(bodies.filter((b) => b.path === "/flaky")).toHaveLength(3);
    expect(bodies.filter((b) => b.path === "/gone")).toHaveLength(1);
    expect(failures).toEqual([`json webhook to ${base.slice("http://".length)} failed for rolled_back: HTTP 404`]);
  });

  it("never makes the caller wait: a hanging webhook times out in the background, flush is bounded", async () => {
    const failures: string[] = [];
    const notifier = createNotifier({
      webhooks: [{ url: `${base}/hang?token=secret`, format: "slack" }],
      timeoutMs: 200,
      retries: 1,
      onFailure: (m) => failures.push(m),
    });
    const started = performance.now();
    notifier.send(NOTICE);
    // Well below the webhook's 200 ms timeout, with room for a loaded machine's scheduling.
    expect(performance.now() - started).toBeLessThan(100);
    const flushStarted = performance.now();
    await notifier.flush(100);
    expect(performance.now() - flushStarted).toBeLessThan(500);
    await notifier.flush(5_000);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^slack webhook to 127\.0\.0\.1:\d+ failed for rolled_back: /);
    expect(failures[0]).not.toContain("secret");
  });
});
