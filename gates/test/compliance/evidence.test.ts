import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { gunzipSync, gzipSync } from "node:zlib";
import { buffer } from "node:stream/consumers";
import * as tar from "tar-stream";
import {
  type BundleVerification,
  type EvidenceFile,
  MAX_BUNDLE_BYTES,
  packBundle,
  verifyBundle,
} from "../../src/compliance/evidence.js";
import { isPortcullisError } from "../../src/errors.js";
import { keyPair, tamper } from "./bundle-fixtures.js";

const FILES: EvidenceFile[] = [
  { path: "reports/report.json", content: Buffer.from('{"schema":"portcullis.report/v1"}\n') },
  { path: "reports/trivy.json", content: Buffer.from('{"SchemaVersion":2,"Results":[]}\n') },
  { path: "policy/environments/production.yml", content: Buffer.from("name: production\n") },
  { path: "metadata.json", content: Buffer.from('{"environment":"production"}\n') },
];
const OPTIONS = { environment: "production", commit: "4f2a9c1e", generatedAt: "2026-11-24T08:00:00.000Z" };

describe("evidence bundle", () => {
  it("is byte-identical when built twice from the same inputs, in any input order", async () => {
    const first = await packBundle(FILES, OPTIONS);
    const second = await packBundle([...FILES].reverse(), OPTIONS);
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    const other = await packBundle(FILES, { ...OPTIONS, commit: "other" });
    expect(Buffer.from(other).equals(Buffer.from(first))).toBe(false);
  });

  it("verifies a bundle as built", async () => {
    const result = await verifyBundle(await packBundle(FILES, OPTIONS));
    expect(result).toMatchObject({ ok: true, signed: false, problems: [] });
    expect(result.manifest?.files.map((f) => f.path)).toEqual([
      "metadata.json",
      "policy/environments/production.yml",
      "reports/report.json",
      "reports/trivy.json",
    ]);
  });

  it("names one altered byte, one removed file and one added file", async () => {
    const bundle = await packBundle(FILES, OPTIONS);
    const tampered = await tamper(bundle, (files) => {
      const report = files.get("reports/report.json");
      if (report === undefined) throw new Error("fixture lost its report");
      const altered = Buffer.from(report);
      altered[2] = (altered[2] ?? 0) ^ 1;
      files.set("reports/report.json", altered);
      files.delete("reports/trivy.json");
      files.set("reports/injected.json", Buffer.from("{}"));
    });
    const result = await verifyBundle(tampered);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => `${p.kind} ${p.path}`).sort()).toEqual([
      "extra reports/injected.json",
      "mismatch reports/report.json",
      "missing reports/trivy.json",
    ]);
  });

  it("signs with Ed25519: a signed bundle verifies, a tampered one or another key does not", async () => {
    const keys = keyPair();
    const bundle = await packBundle(FILES, { ...OPTIONS, signingKey: keys.privateKey });
    expect(await verifyBundle(bundle, { publicKey: keys.publicKey })).toMatchObject({ ok: true, signed: true });
    expect(
      Buffer.from(await packBundle(FILES, { ...OPTIONS, signingKey: keys.privateKey })).equals(Buffer.from(bundle)),
    ).toBe(true);

    const forged = await tamper(bundle, (files) => {
      const manifest = files.get("manifest.json");
      if (manifest === undefined) throw new Error("no manifest");
      files.set("manifest.json", Buffer.from(manifest.toString().replace("4f2a9c1e", "deadbeef")));
    });
    const forgedResult = await verifyBundle(forged, { publicKey: keys.publicKey });
    expect(forgedResult.problems).toEqual([expect.objectContaining({ kind: "signature" })]);

    const padded = await tamper(bundle, (files) => {
      files.set("manifest.sig", Buffer.concat([Buffer.from("#!"), files.get("manifest.sig") ?? Buffer.alloc(0)]));
    });
    expect(lines(await verifyBundle(padded, { publicKey: keys.publicKey }))).toEqual([
      "signature manifest.sig: manifest.sig is not one base64 Ed25519 signature, as portcullis writes it",
    ]);

    const stranger = keyPair();
    expect((await verifyBundle(bundle, { publicKey: stranger.publicKey })).ok).toBe(false);
    expect((await verifyBundle(await packBundle(FILES, OPTIONS), { publicKey: keys.publicKey })).problems).toEqual([
      expect.objectContaining({ kind: "signature", message: "the bundle is not signed" }),
    ]);
  });

  it.each([
    [
      "a contiguous-file entry (tar -x unpacks it as a file)",
      { type: "contiguous-file" as const },
      "a contiguous-file entry",
    ],
    ["a symlink", { type: "symlink" as const, linkname: "../../etc/passwd" }, "a symlink entry"],
    ["a hard link", { type: "link" as const, linkname: "metadata.json" }, "a link entry"],
  ])(
    "fails a signed bundle with %s appended, which tar -x would unpack over a listed file",
    async (_name, header, message) => {
      const keys = keyPair();
      const bundle = await packBundle(FILES, { ...OPTIONS, signingKey: keys.privateKey });
      const forged = await withEntries(bundle, [
        { header: { name: "reports/report.json", ...header }, content: Buffer.from('{"passed":true}\n') },
      ]);
      const result = await verifyBundle(forged, { publicKey: keys.publicKey });
      expect(result.ok).toBe(false);
      expect(lines(result)).toEqual([`entry reports/report.json: ${message}, which portcullis never writes`]);
    },
  );

  it.each([
    [
      "a GNU sparse file (a type tar-stream does not name)",
      "S",
      "an entry of a tar type this reader cannot name (GNU sparse?), which portcullis never writes",
    ],
    [
      "a folder entry with contents (tar-stream never ends it)",
      "5",
      "a folder entry with contents, which no tar writes",
    ],
  ])("fails a signed bundle with %s appended, and ends", async (_name, typeflag, message) => {
    const keys = keyPair();
    const bundle = await packBundle(FILES, { ...OPTIONS, signingKey: keys.privateKey });
    const tarBytes = gunzipSync(bundle);
    // The two zero blocks that end a tar, then the raw entry and a new end.
    const end = tarBytes.byteLength - 1024;
    const forged = Buffer.concat([
      tarBytes.subarray(0, end),
      rawEntry("reports/report.json", typeflag, '{"passed":true}\n'),
      Buffer.alloc(1024),
    ]);
    const result = await verifyBundle(gzipSync(forged), { publicKey: keys.publicKey });
    expect(result.ok).toBe(false);
    expect(lines(result)).toContain(`entry reports/report.json: ${message}`);
  });

  it("fails a second copy of a listed file, whichever comes first, and a path out of the bundle", async () => {
    const bundle = await packBundle(FILES, OPTIONS);
    const forged = await withEntries(
      bundle,
      [{ header: { name: "reports/report.json" }, content: Buffer.from('{"passed":true}\n') }],
      "first",
    );
    expect(lines(await verifyBundle(forged))).toContain(
      "entry reports/report.json: a second entry for this path (tar -x keeps the last one)",
    );
    const escaping = await withEntries(bundle, [{ header: { name: "../outside.json" }, content: Buffer.from("{}") }]);
    expect(lines(await verifyBundle(escaping))).toEqual([
      "entry ../outside.json: not a plain relative path inside the bundle",
    ]);
  });

  it("never writes a bundle that unpacks beyond what verify accepts", async () => {
    await expect(packBundle(FILES, { ...OPTIONS, maxBytes: 4096 })).rejects.toThrow(
      /the bundle would unpack to 1 MB, more than verify accepts \(0 MB\)/,
    );
  });

  it("refuses a bundle that unpacks to more than any bundle could hold (a gzip bomb) before holding it", async () => {
    const bomb = gzipSync(Buffer.alloc(MAX_BUNDLE_BYTES + 1));
    await expect(verifyBundle(bomb)).rejects.toThrow(/unpacks to more than 512 MB/);
  });

  it("refuses keys that are not Ed25519, unsafe paths and garbage bundles with typed errors", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    await expect(packBundle(FILES, { ...OPTIONS, signingKey: rsa })).rejects.toThrow(/not Ed25519/);
    await expect(packBundle([{ path: "../escape", content: Buffer.from("x") }], OPTIONS)).rejects.toThrow(
      /not a plain relative path/,
    );
    await expect(packBundle([{ path: "manifest.json", content: Buffer.from("x") }], OPTIONS)).rejects.toThrow(
      /reserved/,
    );
    const garbage = await verifyBundle(Buffer.from("not gzip")).catch((error: unknown) => error);
    expect(isPortcullisError(garbage) && garbage.code).toBe("REPORT_MALFORMED");
  });
});

/** A tar header as a tamperer writes it. */
interface RawHeader {
  name: string;
  type?: "file" | "contiguous-file" | "symlink" | "link";
  linkname?: string;
}

/** Each problem of a verification as one line: kind, path and what is wrong. */
function lines(result: BundleVerification): string[] {
  return result.problems.map(
    (problem) => `${problem.kind} ${problem.path}: ${"message" in problem ? problem.message : ""}`,
  );
}

/** The bundle with raw tar entries added, after (or before) its own, as a tamperer would append them. */
async function withEntries(
  bundle: Uint8Array,
  added: readonly { header: RawHeader; content: Buffer }[],
  where: "first" | "last" = "last",
): Promise<Uint8Array> {
  const extract = tar.extract();
  const own: { header: RawHeader; content: Buffer }[] = [];
  const reading = (async () => {
    for await (const entry of extract) own.push({ header: { name: entry.header.name }, content: await buffer(entry) });
  })();
  extract.end(gunzipSync(bundle));
  await reading;
  const pack = tar.pack();
  const writing = buffer(pack);
  const entries = where === "first" ? [...added, ...own] : [...own, ...added];
  for (const { header, content } of entries) {
    const linked = header.type === "symlink" || header.type === "link";
    pack.entry({ ...header, size: linked ? 0 : content.byteLength }, linked ? "" : content);
  }
  pack.finalize();
  return gzipSync(await writing);
}

/** One ustar entry written by hand, with a type flag no tar library here writes, and its data. */
function rawEntry(name: string, typeflag: string, data: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, "utf8");
  header.write("0000644\0", 100, "ascii");
  header.write("0000000\0", 108, "ascii");
  header.write("0000000\0", 116, "ascii");
  header.write(`${Buffer.byteLength(data).toString(8).padStart(11, "0")}\0`, 124, "ascii");
  header.write("00000000000\0", 136, "ascii");
  header.write(typeflag, 156, "ascii");
  header.write("ustar\0", 257, "ascii");
  header.write("00", 263, "ascii");
  header.write("        ", 148, "ascii");
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  header.write(`${checksum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  const body = Buffer.alloc(Math.ceil(Buffer.byteLength(data) / 512) * 512);
  body.write(data, 0, "utf8");
  return Buffer.concat([header, body]);
}
