import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nginxRouter, renderUpstream } from "../../src/deploy/routers/nginx.js";
import { RouterError } from "../../src/deploy/routers/router.js";

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

const SERVERS = { blue: "127.0.0.1:8001", green: "127.0.0.1:8002" };

async function routerAnswering(
  answers: number,
  {
    timeoutMs = 1_000,
    reloadCmd = "true",
    previous,
  }: { timeoutMs?: number; reloadCmd?: string; previous?: string } = {},
) {
  const dir = await mkdtemp(path.join(tmpdir(), "portcullis-nginx-router-"));
  const upstreamFile = path.join(dir, "upstream.conf");
  if (previous !== undefined) await writeFile(upstreamFile, previous);
  const { url, server } = await liveLocation(upstreamFile, answers);
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  return nginxRouter({
    upstreamFile,
    upstream: "app",
    servers: SERVERS,
    testCmd: "true",
    reloadCmd,
    liveUrl: url,
    timeoutMs,
    cwd: dir,
  });
}

describe("nginx router", () => {
  it("counts a step once nginx serves its generation steadily", async () => {
    const router = await routerAnswering(Number.POSITIVE_INFINITY);
    await expect(router.setWeights({ blue: 50, green: 50 })).resolves.toEqual({ blue: 50, green: 50 });
  });

  it("lets a settle begun before a short timeout finish: nginx serving the step is never refused", async () => {
    const router = await routerAnswering(Number.POSITIVE_INFINITY, { timeoutMs: 100 });
    await expect(router.setWeights({ blue: 50, green: 50 })).resolves.toEqual({ blue: 50, green: 50 });
  });

  it("does not count a step nginx served once and then stopped answering", async () => {
    const router = await routerAnswering(1);
    await expect(router.setWeights({ blue: 50, green: 50 })).rejects.toThrow(
      /nginx does not serve generation \S+ \(blue 50 \/ green 50\) steadily within 1000ms; it serves blue 50 % \/ green 50 % \(\S+\) \(.+\)/,
    );
  });

  it("after a failed reload, calls the last good weights restored only on a steady reading", async () => {
    // The reload fails twice; the re-applied include is read back once, then nginx stops answering.
    const previous = renderUpstream("app", SERVERS, { blue: 100, green: 0 }, "good-1");
    const router = await routerAnswering(1, { reloadCmd: "false", previous });
    const refused = await router.setWeights({ blue: 50, green: 50 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RouterError);
    expect(refused).toMatchObject({
      applied: true,
      message: expect.stringMatching(/re-applied the last good include/) as unknown,
    });
  });
});
