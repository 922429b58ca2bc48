import { createHash, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { buffer } from "node:stream/consumers";
import { gunzipSync, gzipSync } from "node:zlib";
import * as tar from "tar-stream";
import { z } from "zod";
import { ConfigError, ReportError } from "../errors.js";

export const EVIDENCE_SCHEMA_ID = "portcullis.evidence/v1";
export const MANIFEST_FILE = "manifest.json";
export const SIGNATURE_FILE = "manifest.sig";

/** One file of the bundle, by its path inside the bundle. */
export interface EvidenceFile {
  path: string;
  content: Uint8Array;
}

export const Manifest = z
  .object({
    schema: z.literal(EVIDENCE_SCHEMA_ID),
    environment: z.string(),
    commit: z.string().optional(),
    /** The report's own time: the bundle carries no clock of its own, so rebuilding it gives the same bytes. */
    generatedAt: z.string(),
    files: z.array(
      z
        .object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().nonnegative() })
        .strict(),
    ),
  })
  .strict();
export type Manifest = z.infer<typeof Manifest>;

export interface BundleOptions {
  environment: string;
  commit?: string | undefined;
  generatedAt: string;
  /** PEM Ed25519 private key: signs manifest.json into manifest.sig. */
  signingKey?: string | undefined;
}

/**
 * A deterministic evidence bundle (tar.gz): entries sorted by path with fixed owner, mode and
 * mtime (the report's time), manifest.json listing the SHA-256 of every file, and optionally an
 * Ed25519 signature of the manifest. The same inputs give the same bytes.
 */
export async function packBundle(files: readonly EvidenceFile[], options: BundleOptions): Promise<Uint8Array> {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const [index, file] of sorted.entries()) {
    assertBundlePath(file.path);
    if (file.path === MANIFEST_FILE || file.path === SIGNATURE_FILE) {
      throw new ConfigError("CONFIG_INVALID", `${file.path} is reserved for the bundle itself`, {
        path: file.path,
        fix: "rename that file",
      });
    }
    if (index > 0 && sorted[index - 1]?.path === file.path) {
      throw new ConfigError("CONFIG_INVALID", `two files at ${file.path} in the bundle`, {
        path: file.path,
        fix: "give each file its own path",
      });
    }
  }
  const manifest: Manifest = {
    schema: EVIDENCE_SCHEMA_ID,
    environment: options.environment,
    ...(options.commit === undefined ? {} : { commit: options.commit }),
    generatedAt: options.generatedAt,
    files: sorted.map((file) => ({ path: file.path, sha256: sha256(file.content), size: file.content.byteLength })),
  };
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const entries: EvidenceFile[] = [{ path: MANIFEST_FILE, content: manifestBytes }];
  if (options.signingKey !== undefined) {
    entries.push({
      path: SIGNATURE_FILE,
      content: Buffer.from(`${signManifest(manifestBytes, options.signingKey)}\n`),
    });
  }
  entries.push(...sorted);
  const mtime = new Date(options.generatedAt);
  if (Number.isNaN(mtime.getTime())) {
    throw new ConfigError("CONFIG_INVALID", `generatedAt ${options.generatedAt} is not a date`, {
      fix: "pass the report's generatedAt",
    });
  }
  const tarBytes = await writeTar(entries, mtime);
  // gzip from Node writes no file name and a zero mtime in its header: the output depends on content only.
  return gzipSync(tarBytes, { level: 9 });
}

export type BundleProblem =
  | { kind: "mismatch"; path: string; expected: string; actual: string }
  | { kind: "missing"; path: string }
  | { kind: "extra"; path: string }
  | { kind: "signature"; path: string; message: string }
  | { kind: "manifest"; path: string; message: string };

export interface BundleVerification {
  ok: boolean;
  manifest?: Manifest | undefined;
  signed: boolean;
  problems: BundleProblem[];
}

/**
 * Recomputes every hash of a bundle against its manifest: a changed byte, a missing file and an
 * added file are each named. With a public key, the manifest's signature must verify too.
 */
export async function verifyBundle(
  bundle: Uint8Array,
  options: { publicKey?: string | undefined } = {},
): Promise<BundleVerification> {
  let tarBytes: Buffer;
  try {
    tarBytes = gunzipSync(bundle);
  } catch (cause) {
    throw new ReportError("REPORT_MALFORMED", "the evidence bundle is not gzip data", {
      fix: "pass the .tar.gz written by `portcullis evidence`",
      cause,
    });
  }
  const entries = await readTar(tarBytes);
  const problems: BundleProblem[] = [];
  const manifestBytes = entries.get(MANIFEST_FILE);
  if (manifestBytes === undefined) {
    return {
      ok: false,
      signed: false,
      problems: [{ kind: "manifest", path: MANIFEST_FILE, message: "manifest.json is missing" }],
    };
  }
  const manifest = parseManifest(manifestBytes);
  if (manifest === undefined) {
    return {
      ok: false,
      signed: false,
      problems: [
        { kind: "manifest", path: MANIFEST_FILE, message: "manifest.json is not a portcullis.evidence/v1 manifest" },
      ],
    };
  }
  const listed = new Set<string>();
  for (const file of manifest.files) {
    listed.add(file.path);
    const content = entries.get(file.path);
    if (content === undefined) {
      problems.push({ kind: "missing", path: file.path });
      continue;
    }
    const actual = sha256(content);
    if (actual !== file.sha256) problems.push({ kind: "mismatch", path: file.path, expected: file.sha256, actual });
  }
  for (const path of entries.keys()) {
    if (path !== MANIFEST_FILE && path !== SIGNATURE_FILE && !listed.has(path)) problems.push({ kind: "extra", path });
  }
  const signature = entries.get(SIGNATURE_FILE);
  if (options.publicKey !== undefined) {
    if (signature === undefined) {
      problems.push({ kind: "signature", path: SIGNATURE_FILE, message: "the bundle is not signed" });
    } else if (!verifyManifest(manifestBytes, Buffer.from(signature).toString("utf8").trim(), options.publicKey)) {
      problems.push({
        kind: "signature",
        path: SIGNATURE_FILE,
        message: "the signature does not match manifest.json and this public key",
      });
    }
  }
  return { ok: problems.length === 0, manifest, signed: signature !== undefined, problems };
}

export function sha256(content: Uint8Array | string): string {
  return createHash("sha256").update(content).digest("hex");
}

// --- internal ---

function assertBundlePath(path: string): void {
  if (
    path === "" ||
    path.startsWith("/") ||
    path.split("/").some((part) => part === ".." || part === "." || part === "")
  ) {
    throw new ConfigError("CONFIG_INVALID", `bundle path ${JSON.stringify(path)} is not a plain relative path`, {
      fix: "use forward-slash relative paths",
    });
  }
}

function signManifest(manifest: Uint8Array, privateKeyPem: string): string {
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (cause) {
    throw new ConfigError("CONFIG_INVALID", "the signing key is not a PEM private key", {
      fix: "pass an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519)",
      cause,
    });
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new ConfigError(
      "CONFIG_INVALID",
      `the signing key is ${key.asymmetricKeyType ?? "not asymmetric"}, not Ed25519`,
      { fix: "generate one with: openssl genpkey -algorithm ed25519" },
    );
  }
  return sign(null, manifest, key).toString("base64");
}

function verifyManifest(manifest: Uint8Array, signatureBase64: string, publicKeyPem: string): boolean {
  let key;
  try {
    key = createPublicKey(publicKeyPem);
  } catch (cause) {
    throw new ConfigError("CONFIG_INVALID", "the public key is not a PEM public key", {
      fix: "pass the Ed25519 public key in PEM (openssl pkey -pubout)",
      cause,
    });
  }
  return verify(null, manifest, key, Buffer.from(signatureBase64, "base64"));
}

function parseManifest(bytes: Uint8Array): Manifest | undefined {
  try {
    const parsed = Manifest.safeParse(JSON.parse(Buffer.from(bytes).toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

async function writeTar(entries: readonly EvidenceFile[], mtime: Date): Promise<Buffer> {
  const pack = tar.pack();
  const done = buffer(pack);
  for (const entry of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        {
          name: entry.path,
          size: entry.content.byteLength,
          mode: 0o644,
          mtime,
          uid: 0,
          gid: 0,
          uname: "",
          gname: "",
          type: "file",
        },
        Buffer.from(entry.content),
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }
  pack.finalize();
  return done;
}

async function readTar(bytes: Buffer): Promise<Map<string, Buffer>> {
  const extract = tar.extract();
  const files = new Map<string, Buffer>();
  const reading = (async () => {
    for await (const entry of extract) {
      const content = await buffer(entry);
      // `tar -C dir -czf bundle.tar.gz .` names members `./manifest.json`: the same file as ours.
      if (entry.header.type === "file") files.set(entry.header.name.replace(/^(?:\.\/)+/, ""), content);
    }
  })();
  extract.end(bytes);
  try {
    await reading;
  } catch (cause) {
    throw new ReportError("REPORT_MALFORMED", "the evidence bundle is not a readable tar archive", {
      fix: "pass the .tar.gz written by `portcullis evidence`",
      cause,
    });
  }
  return files;
}
