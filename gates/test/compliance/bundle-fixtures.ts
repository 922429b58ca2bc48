import { generateKeyPairSync } from "node:crypto";
import { buffer } from "node:stream/consumers";
import { gunzipSync, gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import type { LedgerEntry } from "../../src/deploy/ledger.js";

/** The entries of an evidence bundle (gzipped tar), by path. */
export async function bundleEntries(bundle: Uint8Array): Promise<Map<string, Buffer>> {
  const extract = tar.extract();
  const files = new Map<string, Buffer>();
  const reading = (async () => {
    for await (const entry of extract) files.set(entry.header.name, await buffer(entry));
  })();
  extract.end(gunzipSync(bundle));
  await reading;
  return files;
}

/** Rewrites a bundle's tar entries without touching its manifest: what a tamperer would do. */
export async function tamper(bundle: Uint8Array, mutate: (files: Map<string, Buffer>) => void): Promise<Uint8Array> {
  const files = await bundleEntries(bundle);
  mutate(files);
  const pack = tar.pack();
  const writing = buffer(pack);
  for (const [name, content] of files) pack.entry({ name, size: content.byteLength }, content);
  pack.finalize();
  return gzipSync(await writing);
}

/** A fresh Ed25519 key pair in PEM, as an operator would sign bundles with. */
export function keyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** A production ledger entry by `ci` at a fixed time; `extra` wins. */
export function ledgerEntry(
  type: LedgerEntry["type"],
  deploy: string | null,
  commit: string | null,
  extra: Partial<LedgerEntry> = {},
): LedgerEntry {
  return {
    type,
    at: "2026-05-04T09:00:00.000Z",
    environment: "production",
    deploy_id: deploy,
    release: deploy,
    commit,
    commit_time: null,
    actor: "ci",
    ...extra,
  };
}
