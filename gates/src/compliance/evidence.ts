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
  /** The most the bundle may unpack to; MAX_BUNDLE_BYTES, which verify holds it to, by default. */
  maxBytes?: number | undefined;
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
  // Verify refuses what unpacks beyond the cap: a bundle it could not verify is never written.
  if (tarBytes.byteLength > (options.maxBytes ?? MAX_BUNDLE_BYTES)) {
    throw new ConfigError(
      "CONFIG_INVALID",
      `the bundle would unpack to ${Math.ceil(tarBytes.byteLength / 1024 / 1024)} MB, more than verify accepts (${Math.floor((options.maxBytes ?? MAX_BUNDLE_BYTES) / 1024 / 1024)} MB)`,
      { fix: "move large files that are no evidence (load-test samples, logs) out of the reports dir" },
    );
  }
  // gzip from Node writes no file name and a zero mtime in its header: the output depends on content only.
  return gzipSync(tarBytes, { level: 9 });
}

export type BundleProblem =
  | { kind: "mismatch"; path: string; expected: string; actual: string }
  | { kind: "missing"; path: string }
  | { kind: "extra"; path: string }
  | { kind: "signature"; path: string; message: string }
  | { kind: "manifest"; path: string; message: string }
  | { kind: "entry"; path: string; message: string };

/**
 * The most a bundle may unpack to. `portcullis evidence` bundles are reports and a manifest, a few
 * MB; a cap keeps a crafted archive (a gzip bomb) from taking the machine's memory.
 */
export const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

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
    tarBytes = gunzipSync(bundle, { maxOutputLength: MAX_BUNDLE_BYTES });
  } catch (cause) {
    const tooLarge = cause instanceof RangeError;
    throw new ReportError(
      "REPORT_MALFORMED",
      tooLarge
        ? `the evidence bundle unpacks to more than ${MAX_BUNDLE_BYTES / 1024 / 1024} MB, far beyond any bundle portcullis writes`
        : "the evidence bundle is not gzip data",
      { fix: "pass the .tar.gz written by `portcullis evidence`", cause },
    );
  }
  const { files: entries, problems } = await readTar(tarBytes);
  const manifestBytes = entries.get(MANIFEST_FILE);
  if (manifestBytes === undefined) {
    return {
      ok: false,
      signed: false,
      problems: [...problems, { kind: "manifest", path: MANIFEST_FILE, message: "manifest.json is missing" }],
    };
  }
  const manifest = parseManifest(manifestBytes);
  if (manifest === undefined) {
    return {
      ok: false,
      signed: false,
      problems: [
        ...problems,
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
    } else if (!/^[A-Za-z0-9+/]{86}==\n?$/.test(Buffer.from(signature).toString("utf8"))) {
      // Node's base64 decoder skips what is not base64: junk around a good signature would verify.
      problems.push({
        kind: "signature",
        path: SIGNATURE_FILE,
        message: "manifest.sig is not one base64 Ed25519 signature, as portcullis writes it",
      });
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
  if (unsafePath(path)) {
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

/**
 * The bundle's files by path, and every entry that makes the archive mean something other than
 * those files: `tar -x` also unpacks a link, a "contiguous file" or a second copy of a path (the
 * last one wins), so any entry but a plain file or folder, a repeated path or a path out of the
 * bundle is a problem, never skipped.
 */
async function readTar(bytes: Buffer): Promise<{ files: Map<string, Buffer>; problems: BundleProblem[] }> {
  const extract = tar.extract();
  const files = new Map<string, Buffer>();
  const problems: BundleProblem[] = [];
  const reading = (async () => {
    for await (const entry of extract) {
      // `tar -C dir -czf bundle.tar.gz .` names members `./manifest.json`: the same file as ours.
      const path = entry.header.name.replace(/^(?:\.\/)+/, "");
      if (entry.header.type === "directory" && (entry.header.size ?? 0) > 0) {
        // tar-stream never ends such an entry; tar -x reads what follows in its own way. Stop here.
        problems.push({ kind: "entry", path, message: "a folder entry with contents, which no tar writes" });
        break;
      }
      const content = await buffer(entry);
      // tar-stream names no type it does not know (GNU sparse files, among others): never a file here.
      const type: string = entry.header.type ?? "unnamed";
      const folder = path.replace(/\/$/, "");
      // The archive's own root (`./`) and folders inside it hold nothing: tar -x only creates them.
      const plainFolder = type === "directory";
      if (plainFolder && (folder === "" || folder === "." || !unsafePath(folder))) continue;
      if (type !== "file" && !plainFolder) {
        const what =
          type === "unnamed" ? "an entry of a tar type this reader cannot name (GNU sparse?)" : `a ${type} entry`;
        problems.push({ kind: "entry", path, message: `${what}, which portcullis never writes` });
      } else if (unsafePath(path)) {
        problems.push({ kind: "entry", path, message: "not a plain relative path inside the bundle" });
      } else if (files.has(path)) {
        problems.push({ kind: "entry", path, message: "a second entry for this path (tar -x keeps the last one)" });
      } else {
        files.set(path, content);
      }
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
  return { files, problems };
}

function unsafePath(path: string): boolean {
  return (
    path === "" || path.startsWith("/") || path.split("/").some((part) => part === ".." || part === "." || part === "")
  );
}
