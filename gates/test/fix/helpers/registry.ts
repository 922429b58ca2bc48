import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";
import { runServer } from "verdaccio";

/**
 * A real npm registry for one test: verdaccio 6 in this process, on 127.0.0.1 with a port the OS
 * picks, storing into a temporary folder, with no uplink (nothing is proxied to the public
 * registry). Packages are published through the registry's own publish endpoint (`PUT /<name>`,
 * what `npm publish` sends), so tarballs, integrity and packuments are verdaccio's.
 */
export interface LocalRegistry {
  url: string;
  /** Environment for npm: a userconfig pointing at this registry, a private cache. */
  env: Record<string, string | undefined>;
  publish(name: string, version: string, dependencies?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

export async function startRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(path.join(tmpdir(), "portcullis-registry-"));
  const server = (await runServer({
    storage: path.join(dir, "storage"),
    self_path: path.join(dir, "config.yaml"),
    uplinks: {},
    packages: { "**": { access: ["$all"], publish: ["$all"], unpublish: ["$all"] } },
    log: { type: "stdout", format: "pretty", level: "fatal" },
    web: { enable: false, title: "test" },
    auth: { htpasswd: { file: path.join(dir, "htpasswd"), max_users: -1 } },
  })) as Server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;
  const userconfig = path.join(dir, "npmrc");
  writeFileSync(
    userconfig,
    `registry=${url}\naudit=false\nfund=false\nupdate-notifier=false\nfetch-retries=0\nfetch-timeout=30000\n`,
  );
  const env: Record<string, string | undefined> = {
    PATH: process.env["PATH"],
    HOME: dir,
    npm_config_userconfig: userconfig,
    npm_config_cache: path.join(dir, "cache"),
    // Beats any global config: npm in these tests can only reach this registry.
    npm_config_registry: url,
  };
  return {
    url,
    env,
    publish: (name, version, dependencies = {}) => publish(url, name, version, dependencies),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- internal ---

async function publish(
  url: string,
  name: string,
  version: string,
  dependencies: Record<string, string>,
): Promise<void> {
  const manifest = { name, version, dependencies };
  const tarball = await tgz({ "package/package.json": JSON.stringify(manifest, null, 2) });
  const file = `${name.replace(/^@[^/]+\//, "")}-${version}.tgz`;
  const body = {
    _id: name,
    name,
    "dist-tags": { latest: version },
    versions: {
      [version]: {
        ...manifest,
        _id: `${name}@${version}`,
        dist: {
          shasum: createHash("sha1").update(tarball).digest("hex"),
          integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
          tarball: `${url}${name}/-/${file}`,
        },
      },
    },
    _attachments: {
      [file]: { content_type: "application/octet-stream", data: tarball.toString("base64"), length: tarball.length },
    },
  };
  const response = await fetch(`${url}${name.replace("/", "%2f")}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 201)
    throw new Error(`publish ${name}@${version}: ${response.status} ${await response.text()}`);
}

async function tgz(files: Record<string, string>): Promise<Buffer> {
  const archive = pack();
  for (const [name, content] of Object.entries(files)) archive.entry({ name, mode: 0o644 }, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}
