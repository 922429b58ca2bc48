import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nginxRouter } from "../../src/deploy/routers/nginx.js";

/**
 * The nginx router's confirmation, against a stand-in for nginx's live location that answers with
 * the include the router wrote (its `generation=… blue=… green=…` line), the first `answers`
 * times, then drops every connection, as an nginx that died after its reload would.
 */
async function liveLocation(upstreamFile: string, answers: number): Promise<{ url: string; server: Server }> {
  let answered = 0;
  const server = createServer((request, response) => {
    answered += 1;
    if (answered > answers) {
      request.socket.destroy();
      return;
    }
    void readFile(upstreamFile, "utf8").then((text) => response.end(text));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/portcullis/weights`, server };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function routerAnswering(answers: number) {
  const dir = await mkdtemp(path.join(tmpdir(), "portcullis-nginx-router-"));
  const upstreamFile = path.join(dir, "upstream.conf");
  const { url, server } = await liveLocation(upstreamFile, answers);
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  return nginxRouter({
    upstreamFile,
    upstream: "app",
    servers: { blue: "127.0.0.1:8001", green: "127.0.0.1:8002" },
    testCmd: "true",
    reloadCmd: "true",
    liveUrl: url,
    timeoutMs: 1_000,
    cwd: dir,
  });
}

describe("nginx router", () => {
  it("counts a step once nginx serves its generation steadily", async () => {
    const router = await routerAnswering(Number.POSITIVE_INFINITY);
    await expect(router.setWeights({ blue: 50, green: 50 })).resolves.toEqual({ blue: 50, green: 50 });
  });

  it("does not count a step nginx served once and then stopped answering", async () => {
    const router = await routerAnswering(1);
    await expect(router.setWeights({ blue: 50, green: 50 })).rejects.toThrow(
      /nginx does not serve generation \S+ \(blue 50 \/ green 50\) steadily within 1000ms; it serves blue 50 % \/ green 50 % \(\S+\) \(.+\)/,
    );
  });
});
