import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvidenceMetadata, PolicyHashes, ToolsInventory } from "../../src/compliance/bundle-contents.js";
import { inspectSbom } from "../../src/compliance/checks.js";
import { defaultControls } from "../../src/compliance/controls.js";
import { Manifest, sha256 } from "../../src/compliance/evidence.js";
import { LedgerRecord } from "../../src/deploy/ledger.js";
import { chainEntries } from "../../src/deploy/ledger.js";
import type { z } from "zod";
import { initialState } from "../../src/deploy/state.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { parsePolicy, policyHash } from "../../src/policy/parse-policy.js";
import { TRIVY_IMAGE } from "../../src/tools/trivy.js";
import { run, type CliRun } from "../cli/cli-harness.js";
import { input } from "../evaluate/helpers.js";
import { bundleEntries, keyPair, ledgerEntry, tamper } from "./bundle-fixtures.js";

/**
 * `portcullis evidence` and `portcullis evidence verify` end to end, in process: a repository with
 * the production policy, waivers, controls and a deployment store, and a reports dir whose
 * report.json was judged by that policy.
 */

const PRODUCTION_YML = readFileSync(
  fileURLToPath(new URL("../../../environments/production.yml", import.meta.url)),
  "utf8",
);
const COMMIT = "4f2a9c1e0b7d6a5c4f3e2d1c0b9a8f7e6d5c4b3a";
const SBOM = '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"qs"}]}\n';
const WAIVERS = "waivers: []\n";
const CONTROLS = "licences:\n  deny: [AGPL-3.0]\n";

let work: string;
let repo: string;
let reports: string;

/** `portcullis <args…>` in process, in the work folder. */
const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> =>
  run(args, { cwd: work, env });

/** `portcullis evidence --from reports --source repo [flags…] --out <out>`, in the work folder. */
const pack = (out: string, ...flags: string[]): Promise<CliRun> =>
  cli(["evidence", "--from", "reports", "--source", "repo", ...flags, "--out", out]);

function write(root: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
}

function jsonOf<T>(files: Map<string, Buffer>, name: string, schema: z.ZodType<T>): T {
  return schema.parse(JSON.parse(text(files, name)));
}

function text(files: Map<string, Buffer>, name: string): string {
  const content = files.get(name);
  if (content === undefined) throw new Error(`${name} is not in the bundle`);
  return content.toString("utf8");
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "portcullis-evidence-"));
  repo = path.join(work, "repo");
  reports = path.join(work, "reports");
  const policy = parsePolicy(PRODUCTION_YML, "environments/production.yml");
  const chained = chainEntries(null, [
    ledgerEntry("deploy_started", "d1", "0000000000000000000000000000000000000001"),
    ledgerEntry("deploy_finished", "d1", "0000000000000000000000000000000000000001", { outcome: "succeeded" }),
    ledgerEntry("deploy_started", "d2", COMMIT),
    ledgerEntry("deploy_finished", "d2", null, { outcome: "succeeded" }),
    ledgerEntry("manual", null, null, { action: "lock_broken", reason: "stale lock" }),
  ]);
  write(repo, {
    "environments/production.yml": PRODUCTION_YML,
    ".portcullis/waivers.yml": WAIVERS,
    ".portcullis/controls.yml": CONTROLS,
    ".portcullis/state/production/ledger.jsonl": chained.lines,
    ".portcullis/state/production/state.json": JSON.stringify({
      ...initialState("production", "2026-05-04T09:00:00.000Z"),
      ledger_head: chained.head,
    }),
  });
  const { report } = evaluate(
    input({
      policy,
      policyHash: policyHash(policy),
      environment: "production",
      commit: COMMIT,
      compliance: {
        controls: defaultControls(),
        sbom: inspectSbom(SBOM, "sbom.cdx.json"),
        repository: { files: new Set(["README.md", "CHANGELOG.md", "SECURITY.md", "CODEOWNERS"]), changedFiles: [] },
        workflows: [],
      },
    }),
  );
  write(reports, {
    "report.json": `${JSON.stringify(report, null, 2)}\n`,
    "sbom.cdx.json": SBOM,
    "trivy.fs.json": '{"SchemaVersion":2,"Results":[]}\n',
    "trivy.fs.exitcode": "0\n",
    "nested/k6-summary.json": "{}\n",
  });
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("portcullis evidence", () => {
  it("builds the same bytes twice from the same inputs (even with the bundle written into the reports dir)", async () => {
    const first = await pack("one.tar.gz");
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(/^wrote one\.tar\.gz: 12 files, unsigned, sha256 [0-9a-f]{64}\n$/);
    expect((await pack("two.tar.gz")).code).toBe(0);
    expect((await pack("reports/evidence.tar.gz")).code).toBe(0);
    expect((await pack("reports/evidence.tar.gz")).code).toBe(0);
    const one = readFileSync(path.join(work, "one.tar.gz"));
    expect(readFileSync(path.join(work, "two.tar.gz")).equals(one)).toBe(true);
    expect(readFileSync(path.join(reports, "evidence.tar.gz")).equals(one)).toBe(true);
    rmSync(path.join(reports, "evidence.tar.gz"));
  });

  it("holds the reports, SBOM, policy files and hashes, the ledger excerpt of the commit, tools and metadata", async () => {
    await pack("contents.tar.gz");
    const files = await bundleEntries(readFileSync(path.join(work, "contents.tar.gz")));
    expect([...files.keys()]).toEqual([
      "manifest.json",
      "ledger/excerpt.jsonl",
      "metadata.json",
      "policy/controls.yml",
      "policy/environments/production.yml",
      "policy/hashes.json",
      "policy/waivers.yml",
      "reports/nested/k6-summary.json",
      "reports/report.json",
      "reports/sbom.cdx.json",
      "reports/trivy.fs.exitcode",
      "reports/trivy.fs.json",
      "tools.json",
    ]);
    expect(text(files, "reports/sbom.cdx.json")).toBe(SBOM);
    expect(text(files, "policy/environments/production.yml")).toBe(PRODUCTION_YML);
    const hashes = jsonOf(files, "policy/hashes.json", PolicyHashes);
    expect(hashes).toMatchObject({
      matchesReport: true,
      files: { "policy/waivers.yml": sha256(WAIVERS), "policy/controls.yml": sha256(CONTROLS) },
    });
    expect(hashes.reportPolicyHash).toBe(hashes.environmentPolicyHash);
    const excerpt = text(files, "ledger/excerpt.jsonl")
      .trimEnd()
      .split("\n")
      .map((line) => LedgerRecord.parse(JSON.parse(line)));
    expect(excerpt.map((record) => [record.seq, record.type, record.deploy_id])).toEqual([
      [3, "deploy_started", "d2"],
      [4, "deploy_finished", "d2"],
    ]);
    const metadata = jsonOf(files, "metadata.json", EvidenceMetadata);
    expect(metadata).toMatchObject({
      environment: "production",
      commit: COMMIT,
      generatedAt: "2026-05-04T10:00:00.000Z",
      passed: true,
      ledger: { source: ".portcullis/state/production/ledger.jsonl", ok: true, records: 5, excerpt: 2 },
    });
    expect(metadata.controls).toContainEqual({ id: "sbom-present", status: "pass" });
    const tools = jsonOf(files, "tools.json", ToolsInventory);
    expect(tools.images).toContainEqual({ tool: "trivy", ref: TRIVY_IMAGE.ref, version: TRIVY_IMAGE.version });
    expect(tools.reports.map((run) => run.kind)).toEqual(["validate", "gitleaks", "trivy", "semgrep", "k6"]);
    const manifest = jsonOf(files, "manifest.json", Manifest);
    expect(manifest).toMatchObject({ schema: "portcullis.evidence/v1", environment: "production", commit: COMMIT });
    expect(manifest.files).toHaveLength(12);
  });

  it("verifies an intact bundle (exit 0) and names an altered byte, a removed file and an added file (exit 1)", async () => {
    await pack("intact.tar.gz");
    const intact = await cli(["evidence", "verify", "intact.tar.gz"]);
    expect(intact).toMatchObject({
      code: 0,
      stdout:
        "intact.tar.gz: intact, 12 files match manifest.json, unsigned — production at commit 4f2a9c1e0b7d6a5c4f3e2d1c0b9a8f7e6d5c4b3a, generated 2026-05-04T10:00:00.000Z\n",
    });
    const tampered = await tamper(readFileSync(path.join(work, "intact.tar.gz")), (files) => {
      const report = files.get("reports/report.json");
      if (report === undefined) throw new Error("no report");
      const altered = Buffer.from(report);
      altered[10] = (altered[10] ?? 0) ^ 1;
      files.set("reports/report.json", altered);
      files.delete("policy/waivers.yml");
      files.set("reports/injected.json", Buffer.from("{}\n"));
    });
    writeFileSync(path.join(work, "tampered.tar.gz"), tampered);
    const result = await cli(["evidence", "verify", "tampered.tar.gz"]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^MISSING policy\/waivers\.yml: listed in manifest\.json, not in the bundle$/);
    expect(lines[1]).toMatch(/^MISMATCH reports\/report\.json: sha256 [0-9a-f]{64}, manifest\.json says [0-9a-f]{64}$/);
    expect(lines[2]).toBe("EXTRA reports/injected.json: in the bundle, not listed in manifest.json");
    expect(lines[3]).toBe("tampered.tar.gz: FAILED verification (3 problems)");
  });

  it("shows a crafted entry name quoted, so it cannot erase its line and print a verdict", async () => {
    await pack("intact.tar.gz");
    const forged = "reports/x\u001b[2K\r\u001b[32mOK: bundle intact, signature verified.txt";
    const tampered = await tamper(readFileSync(path.join(work, "intact.tar.gz")), (files) => {
      files.set(forged, Buffer.from("x"));
    });
    writeFileSync(path.join(work, "crafted.tar.gz"), tampered);
    const result = await cli(["evidence", "verify", "crafted.tar.gz"]);
    expect(result.code).toBe(1);
    expect(result.stdout.split("\n")[0]).toBe(
      `EXTRA ${JSON.stringify(forged)}: in the bundle, not listed in manifest.json`,
    );
    expect(result.stdout).not.toContain("\u001b");
  });

  it("signs with a key from $PORTCULLIS_EVIDENCE_KEY or --sign-key, never printing it; verify checks the signature", async () => {
    const { privateKey: pem, publicKey } = keyPair();
    write(work, { "key.pem": pem, "key.pub.pem": publicKey });
    const fromEnv = await cli(["evidence", "--from", "reports", "--source", "repo", "--out", "signed.tar.gz"], {
      PORTCULLIS_EVIDENCE_KEY: pem,
    });
    expect(fromEnv.stdout).toContain("12 files, signed");
    const keyBody = pem.split("\n")[1] ?? "";
    expect(keyBody.length).toBeGreaterThan(20);
    expect(`${fromEnv.stdout}${fromEnv.stderr}`).not.toContain(keyBody);
    await cli([
      "evidence",
      "--from",
      "reports",
      "--source",
      "repo",
      "--out",
      "signed-file.tar.gz",
      "--sign-key",
      "key.pem",
    ]);
    const signed = readFileSync(path.join(work, "signed.tar.gz"));
    expect(readFileSync(path.join(work, "signed-file.tar.gz")).equals(signed)).toBe(true);
    expect((await bundleEntries(signed)).has("manifest.sig")).toBe(true);

    const verified = await cli(["evidence", "verify", "signed.tar.gz", "--public-key", "key.pub.pem"]);
    expect(verified).toMatchObject({
      code: 0,
      stdout:
        "signed.tar.gz: intact, 12 files match manifest.json, signature verified — production at commit 4f2a9c1e0b7d6a5c4f3e2d1c0b9a8f7e6d5c4b3a, generated 2026-05-04T10:00:00.000Z\n",
    });
    expect((await cli(["evidence", "verify", "signed.tar.gz"])).stdout).toContain(
      "signed, signature not checked (pass --public-key)",
    );

    const forged = await tamper(signed, (files) => {
      files.set("manifest.json", Buffer.from(text(files, "manifest.json").replace(COMMIT, "f".repeat(40))));
    });
    writeFileSync(path.join(work, "forged.tar.gz"), forged);
    const refused = await cli(["evidence", "verify", "forged.tar.gz", "--public-key", "key.pub.pem"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      "SIGNATURE manifest.sig: the signature does not match manifest.json and this public key",
    );
    const unsigned = await cli(["evidence", "verify", "intact.tar.gz", "--public-key", "key.pub.pem"]);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stdout).toContain("SIGNATURE manifest.sig: the bundle is not signed");
  });

  it("warns when the waivers file is not the one the report was judged with, naming the waivers that differ", async () => {
    write(work, {
      "later-waivers.yml": [
        "waivers:",
        "  - id: W-9",
        "    rule: r1",
        "    reason: accepted after the run",
        "    approver: alice",
        '    expires: "2026-05-20"',
        "",
      ].join("\n"),
    });
    const result = await pack("later.tar.gz", "--waivers", "later-waivers.yml");
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "warning: later-waivers.yml is not the waivers file reports/report.json was judged with (W-9 differ)",
    );
    const same = await pack("same.tar.gz");
    expect(same.stderr).toBe("");
  });

  it("warns when the environment file is not the policy the report was judged by", async () => {
    const changedPolicy = (): string => {
      const changed = PRODUCTION_YML.replace("only_fixable: false", "only_fixable: true");
      expect(changed).not.toBe(PRODUCTION_YML);
      return changed;
    };
    write(work, {
      "changed.yml": changedPolicy(),
    });
    const result = await pack("changed.tar.gz", "--env", "changed.yml");
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: changed\.yml is not the policy reports\/report\.json was judged by/);
    const hashes = jsonOf(
      await bundleEntries(readFileSync(path.join(work, "changed.tar.gz"))),
      "policy/hashes.json",
      PolicyHashes,
    );
    expect(hashes.matchesReport).toBe(false);
  });

  it.each<[string, string[], RegExp]>([
    ["no --from", ["evidence", "--out", "x.tar.gz"], /no reports dir given/],
    [
      "a reports dir that does not exist",
      ["evidence", "--from", "nowhere", "--source", "repo"],
      /reports dir not found/,
    ],
    [
      "a reports dir without report.json",
      ["evidence", "--from", "repo/environments", "--source", "repo"],
      /no report\.json in repo\/environments/,
    ],
    [
      "an unknown environment",
      ["evidence", "--from", "reports", "--source", "repo", "--env", "prod"],
      /unknown environment "prod" — did you mean "production"\?/,
    ],
    [
      "a missing signing key file",
      ["evidence", "--from", "reports", "--source", "repo", "--sign-key", "none.pem"],
      /signing key not found/,
    ],
    ["verify without a bundle", ["evidence", "verify", "none.tar.gz"], /evidence bundle not found/],
    [
      "verify of something that is not a bundle",
      ["evidence", "verify", "repo/environments/production.yml"],
      /not gzip data/,
    ],
    [
      "verify of a folder",
      ["evidence", "verify", "reports"],
      /reports: is a folder, expected a file — fix: give the path of the file itself/,
    ],
    [
      "--waivers naming a folder",
      ["evidence", "--from", "reports", "--source", "repo", "--waivers", "repo/.portcullis", "--out", "w.tar.gz"],
      /\.portcullis: is a folder, expected a file/,
    ],
    [
      "--out under a folder nothing can be created in",
      ["evidence", "--from", "reports", "--source", "repo", "--out", "/proc/portcullis-evidence/e.tar.gz"],
      /--out: cannot create the folder \/proc\/portcullis-evidence: /,
    ],
  ])("exits 2 for %s", async (_name, args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/unexpected error|\n {4}at /);
  });

  it.each([
    ["an existing folder", "into-existing", true],
    ["a new folder written with a trailing slash", "into-new/deeper/", false],
  ])("--out naming %s writes evidence.tar.gz inside it and says so", async (_name, out, create) => {
    if (create) mkdirSync(path.join(work, out), { recursive: true });
    const result = await pack(out);
    const bundle = path.join(out, "evidence.tar.gz");
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(new RegExp(`^wrote ${bundle.replaceAll(".", "\\.")}: 12 files`));
    const verified = await cli(["evidence", "verify", bundle]);
    expect(verified.code).toBe(0);
  });

  it("verifies a bundle repacked by the tar program, whose members are named ./manifest.json, ./reports/…", async () => {
    await pack("repack.tar.gz");
    const unpacked = path.join(work, "unpacked");
    mkdirSync(unpacked);
    execFileSync("tar", ["-xzf", path.join(work, "repack.tar.gz"), "-C", unpacked]);
    execFileSync("tar", ["-czf", path.join(work, "repacked.tar.gz"), "-C", unpacked, "."]);
    expect([...(await bundleEntries(readFileSync(path.join(work, "repacked.tar.gz")))).keys()]).toContain(
      "./reports/report.json",
    );
    const result = await cli(["evidence", "verify", "repacked.tar.gz"]);
    expect(result).toMatchObject({
      code: 0,
      stdout:
        "repacked.tar.gz: intact, 12 files match manifest.json, unsigned — production at commit 4f2a9c1e0b7d6a5c4f3e2d1c0b9a8f7e6d5c4b3a, generated 2026-05-04T10:00:00.000Z\n",
    });
    writeFileSync(path.join(unpacked, "reports", "report.json"), "{}\n");
    execFileSync("tar", ["-czf", path.join(work, "altered.tar.gz"), "-C", unpacked, "."]);
    const altered = await cli(["evidence", "verify", "altered.tar.gz"]);
    expect(altered.code).toBe(1);
    expect(altered.stdout).toMatch(/^MISMATCH reports\/report\.json:/m);
  });
});

describe("portcullis evidence on a broken ledger", () => {
  it("refuses (exit 2) to pack a ledger whose chain is cut, naming the first bad line", async () => {
    const store = path.join(repo, ".portcullis/state/production");
    const cut = path.join(work, "cut");
    mkdirSync(cut, { recursive: true });
    const lines = readFileSync(path.join(store, "ledger.jsonl"), "utf8").trimEnd().split("\n");
    writeFileSync(path.join(cut, "ledger.jsonl"), `${lines.slice(0, -1).join("\n")}\n`);
    writeFileSync(path.join(cut, "state.json"), readFileSync(path.join(store, "state.json")));
    const result = await pack("cut.tar.gz", "--ledger", "cut/ledger.jsonl");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /the deployment ledger's chain is broken: the ledger ends at record 4 but the state records 5/,
    );
  });
});
