import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { messageOf } from "../../../src/errors.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const VERSION_SERVER = path.join(REPO_ROOT, "gates/test/fixtures/deploy/version-server.mjs");

/** The apt line that installs every real component these tests start. */
export const APT_INSTALL = "apt-get install -y nginx-light prometheus";

/**
 * True when every binary is installed. Missing under CI=true is a failure, never a skip: the
 * acceptance tests of blue-green deployment must run in CI.
 */
export function haveBinaries(names: readonly string[]): boolean {
  const missing = names.filter(
    (name) =>
      !["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"].some((dir) => existsSync(path.join(dir, name))),
  );
  if (missing.length > 0 && process.env["CI"] === "true") {
    throw new Error(
      `${missing.join(", ")} not installed: run \`${APT_INSTALL}\` (the deploy acceptance tests start a real nginx and Prometheus)`,
    );
  }
  return missing.length === 0;
}

export interface VersionServer {
  version: string;
  url: string;
  port: number;
  fail(mode: "off" | "all" | "api" | "app" | "flap"): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the fixture server in its own process (so load and controller share the CPU fairly). */
export async function startVersionServer(version: string): Promise<VersionServer> {
  const child = spawn(process.execPath, [VERSION_SERVER, version], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const line = buffered.split("\n")[0];
      const port = /"port":(\d+)/.exec(line ?? "")?.[1];
      if (buffered.includes("\n") && port !== undefined) resolve(Number(port));
    });
    child.on("exit", (code) => reject(new Error(`version server ${version} exited ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    version,
    url,
    port,
    async fail(mode) {
      const response = await fetch(`${url}/__admin/fail?mode=${mode}`);
      await response.text();
    },
    stop: () => stopChild(child),
  };
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
    child.kill(signal);
  });
}

/** A free loopback port (bound then released). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it holds (bounded); a timeout names the check's last error, if any. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error) {
      // Not there yet (a server still starting), or a broken check: the timeout says which.
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? "" : ` (last error: ${messageOf(lastError)})`;
      throw new Error(`${what}: not met within ${timeoutMs}ms${cause}`);
    }
    await sleep(200);
  }
}
