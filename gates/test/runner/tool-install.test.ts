import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installTool, ToolInstallError } from "../../src/runner/tool-install.js";
import { INSTALL_MARKER, lookupTool, toolVersionDir } from "../../src/runner/tool-lookup.js";
import { findOnPath } from "../../src/runner/spawn.js";
import { run, tempDir } from "../cli/cli-harness.js";

/**
 * `tools install` against a local HTTP mirror of github.com's release layout, serving archives this
 * test builds (the tool inside is a shell script that answers its version command), and a fake `go`
 * that records how it was called. The real downloads and builds run in `.ci/run`.
 */

const PLATFORM = { os: "linux" as const, arch: "x64" };
const SH = findOnPath("sh", process.env) ?? "/bin/sh";
const CHMOD = findOnPath("chmod", process.env) ?? "/bin/chmod";
const GITLEAKS_ASSET = "gitleaks_8.30.1_linux_x64.tar.gz";
const RELEASE_PATH = "/gitleaks/gitleaks/releases/download/v8.30.1";

/** What the mirror answers per path; `truncate` announces the full length and sends half. */
const routes = new Map<string, { body: Buffer; truncate?: boolean }>();
let server: Server;
let mirror: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const route = routes.get(request.url ?? "");
    if (route === undefined) {
      response.writeHead(404).end("not found");
      return;
    }
    response.writeHead(200, { "content-length": String(route.body.length) });
    if (route.truncate === true) {
      response.write(route.body.subarray(0, route.body.length >> 1));
      response.socket?.destroy();
    } else response.end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A tar.gz holding `entry`: a script that prints `version` for the tool's version command. */
async function archive(entry: string, version: string): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: "LICENSE" }, "MIT\n");
  pack.entry({ name: entry, mode: 0o755 }, `#!${SH}\necho "${version}"\n`);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

function serveGitleaks(body: Buffer, options: { checksumOf?: Buffer; truncate?: boolean } = {}): void {
  const sha = createHash("sha256")
    .update(options.checksumOf ?? body)
    .digest("hex");
  routes.set(`${RELEASE_PATH}/gitleaks_8.30.1_checksums.txt`, {
    body: Buffer.from(`${"0".repeat(64)}  gitleaks_8.30.1_darwin_x64.tar.gz\n${sha}  ${GITLEAKS_ASSET}\n`),
  });
  routes.set(`${RELEASE_PATH}/${GITLEAKS_ASSET}`, { body, ...(options.truncate === true ? { truncate: true } : {}) });
}

interface Home {
  env: Record<string, string>;
  lines: string[];
  goLog: string;
}

/** A fresh cache, a PATH with only a fake `go` (it writes a tool answering `version`), and a log. */
function home(options: { mirror?: string; goVersion?: string } = {}): Home {
  const root = tempDir("portcullis-install-");
  const bin = path.join(root, "bin");
  mkdirSync(bin);
  const goLog = path.join(root, "go.log");
  if (options.goVersion !== undefined) {
    const go = [
      `#!${SH}`,
      `printf '%s\\n' "$@" "CGO_ENABLED=$CGO_ENABLED" "GOEXPERIMENT=$GOEXPERIMENT" > "${goLog}"`,
      'for last; do :; done; name="${last%@*}"; name="${name##*/}"',
      '[ "$name" = v8 ] && name=gitleaks',
      `printf '#!${SH}\\necho ${options.goVersion}\\n' > "$GOBIN/$name"; "${CHMOD}" 755 "$GOBIN/$name"`,
    ].join("\n");
    writeFileSync(path.join(bin, "go"), `${go}\n`);
    chmodSync(path.join(bin, "go"), 0o755);
  }
  return {
    env: { PATH: bin, XDG_CACHE_HOME: path.join(root, "cache"), PORTCULLIS_TOOLS_MIRROR: options.mirror ?? mirror },
    lines: [],
    goLog,
  };
}

const install = (tool: "gitleaks" | "trivy" | "k6" | "semgrep", where: Home) =>
  installTool(tool, {
    env: where.env,
    platform: PLATFORM,
    log: (line) => where.lines.push(line),
    timeouts: { connectMs: 2_000, downloadMs: 5_000, buildMs: 10_000 },
  });

/** Nothing but the (empty) tool folder: no version folder, no staging leftovers. */
function leftovers(where: Home, tool: string): string[] {
  const dir = path.join(where.env["XDG_CACHE_HOME"] ?? "", "portcullis", "tools", tool);
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe("tools install", () => {
  it("installs the release archive after checking its published SHA-256, and is idempotent", async () => {
    serveGitleaks(await archive("gitleaks", "8.30.1"));
    const where = home();
    const first = await install("gitleaks", where);
    expect(first).toMatchObject({ source: "release archive", version: "8.30.1" });
    expect(first.file).toBe(path.join(toolVersionDir(where.env, "gitleaks"), "bin", "gitleaks"));
    expect(where.lines.some((line) => line.includes("verified SHA-256"))).toBe(true);
    expect(where.lines.at(-1)).toMatch(/^gitleaks 8\.30\.1: installed from release archive in \d/);
    expect(
      JSON.parse(readFileSync(path.join(toolVersionDir(where.env, "gitleaks"), INSTALL_MARKER), "utf8")),
    ).toMatchObject({
      source: "release archive",
    });
    expect(leftovers(where, "gitleaks")).toEqual(["8.30.1"]);
    // Found through the cache (the PATH holds only `go`), at the pinned version.
    expect(await lookupTool("gitleaks", where.env)).toMatchObject({
      status: "ok",
      chosen: { from: "cache", version: "8.30.1" },
    });

    routes.clear();
    const again = await install("gitleaks", where);
    expect(again.source).toBe("already installed");
  });

  it.each([
    [
      "a wrong checksum",
      async () => serveGitleaks(await archive("gitleaks", "8.30.1"), { checksumOf: Buffer.from("other") }),
      /SHA-256 [0-9a-f]{64} does not match/,
    ],
    [
      "a truncated download",
      async () => serveGitleaks(await archive("gitleaks", "8.30.1"), { truncate: true }),
      /gitleaks_8\.30\.1_linux_x64\.tar\.gz: .*(terminated|got \d+ of \d+ bytes|other side closed)/,
    ],
    [
      "an archive without the binary",
      async () => serveGitleaks(await archive("README.md", "8.30.1")),
      /holds no gitleaks/,
    ],
  ])("fails on %s and leaves nothing installed", async (_case, serve, reason) => {
    await serve();
    const where = home();
    const failure = await install("gitleaks", where).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ToolInstallError);
    expect((failure as Error).message).toMatch(reason);
    expect((failure as Error).message).toContain("go install: no `go` on PATH");
    expect(leftovers(where, "gitleaks")).toEqual([]);
    expect((await lookupTool("gitleaks", where.env)).status).toBe("missing");
  });

  it("falls through to go install with the release version stamped in when the archive cannot be downloaded", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const where = home({ mirror: `http://127.0.0.1:${port}`, goVersion: "0.74.0" });
    const result = await install("trivy", where);
    expect(result.source).toBe("go install");
    expect(where.lines.find((line) => line.includes("release archive failed"))).toMatch(
      /trivy_0\.74\.0_checksums\.txt/,
    );
    expect(readFileSync(where.goLog, "utf8").trimEnd().split("\n")).toEqual([
      "install",
      "-trimpath",
      "-ldflags",
      "-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=0.74.0",
      "github.com/aquasecurity/trivy/cmd/trivy@v0.74.0",
      "CGO_ENABLED=0",
      "GOEXPERIMENT=jsonv2",
    ]);
    expect(leftovers(where, "trivy")).toEqual(["0.74.0"]);
  });

  it("refuses a build that does not report the pinned version", async () => {
    routes.clear();
    const where = home({ goVersion: "8.29.0" });
    const failure = (await install("gitleaks", where).catch((error: unknown) => error)) as Error;
    expect(failure.message).toContain("go install: the installed gitleaks reports 8.29.0, not 8.30.1");
    expect(leftovers(where, "gitleaks")).toEqual([]);
  });

  it("installs k6 from its release archive only: never from the Go module proxy", async () => {
    routes.clear();
    const where = home({ goVersion: "1.7.1" });
    const failure = (await install("k6", where).catch((error: unknown) => error)) as Error;
    expect(failure.message).toMatch(/release archive: .*k6-v1\.7\.1-checksums\.txt: HTTP 404/);
    expect(failure.message).toContain("its Go module is AGPL-licensed and is never built here");
    expect(existsSync(where.goLog)).toBe(false);
  });

  it("`portcullis tools install` names unknown tools as a usage error and reports the time taken", async () => {
    const where = home();
    expect((await run(["tools", "install", "gitleak"], { cwd: process.cwd(), env: where.env })).code).toBe(2);
    serveGitleaks(await archive("gitleaks", "8.30.1"));
    const result = await run(["tools", "install", "gitleaks"], { cwd: process.cwd(), env: where.env });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/portcullis tools install: done in \d+\.\d+s\n$/);
  });
});
