import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type EvidenceFile, packBundle, verifyBundle } from "../../src/compliance/evidence.js";
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

    const stranger = keyPair();
    expect((await verifyBundle(bundle, { publicKey: stranger.publicKey })).ok).toBe(false);
    expect((await verifyBundle(await packBundle(FILES, OPTIONS), { publicKey: keys.publicKey })).problems).toEqual([
      expect.objectContaining({ kind: "signature", message: "the bundle is not signed" }),
    ]);
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
