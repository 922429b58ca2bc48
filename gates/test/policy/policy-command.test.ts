import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { renderPolicyJsonSchema } from "../../src/policy/json-schema.js";
import { REPO_ROOT, run } from "../cli/cli-harness.js";

const MIXED = fileURLToPath(new URL("../fixtures/policy/mixed-repo/", import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), "portcullis-policy-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("portcullis policy check", () => {
  it("checks every environments/*.yml and exits 0 when all are valid", async () => {
    const result = await run(["policy", "check"], { cwd: REPO_ROOT });
    expect(result.code).toBe(0);
    expect(result.stdout.replace(/policy [0-9a-f]{12}/g, "policy <hash>")).toMatchInlineSnapshot(`
      "OK   environments/development.yml (development, policy <hash>)
      OK   environments/production.yml (production, policy <hash>)
      OK   environments/staging.yml (staging, policy <hash>)
      3 files valid
      "
    `);
  });

  it("prints each problem with its fix and exits 2 when one is invalid", async () => {
    const result = await run(["policy", "check"], { cwd: MIXED });
    expect(result.code).toBe(2);
    expect(result.stdout.replace(/policy [0-9a-f]{12}/g, "policy <hash>")).toMatchInlineSnapshot(`
      "FAIL environments/bad.yml
        gates.secrets.maxFindings: unknown key — did you mean "max_findings"?
          fix: rename it to "max_findings"
      OK   environments/good.yml (good, policy <hash>)
      1 of 2 files invalid
      "
    `);
  });

  it.each([
    [["policy", "check", "production"], 0],
    [["policy", "check", "gates/test/fixtures/policy/minimal.yml"], 0],
    [["policy", "check", "gates/test/fixtures/policy/invalid-rules.yml"], 2],
    [["policy", "check", "gates/test/fixtures/policy/yaml-syntax.yml"], 2],
    [["policy", "check", "nope"], 2],
  ])("%j exits %d", async (args, code) => {
    expect((await run(args, { cwd: REPO_ROOT })).code).toBe(code);
  });

  it("exits 2 when there is nothing to check", async () => {
    const result = await run(["policy", "check"], { cwd: scratch });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no environment files found in environments/");
  });

  it("colours OK and FAIL on a terminal unless NO_COLOR is set", async () => {
    const coloured = await run(["policy", "check", "staging"], { cwd: REPO_ROOT, isTty: true });
    expect(coloured.stdout).toContain("\u001b[32mOK\u001b[0m");
    const plain = await run(["policy", "check", "staging"], { cwd: REPO_ROOT, isTty: true, env: { NO_COLOR: "1" } });
    expect(plain.stdout).not.toContain("\u001b[");
  });

  it("has --help", async () => {
    const result = await run(["policy", "check", "--help"], { cwd: REPO_ROOT });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: portcullis policy check [options] [file]");
    expect(result.stdout.replace(/\s+/g, " ")).toContain("Exit 0 valid, 2 invalid");
  });
});

describe("portcullis policy schema", () => {
  it("prints the JSON Schema", async () => {
    const result = await run(["policy", "schema"], { cwd: REPO_ROOT });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(renderPolicyJsonSchema());
  });

  it("writes it with --write", async () => {
    const result = await run(["policy", "schema", "--write", "schema.json"], { cwd: scratch });
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(scratch, "schema.json"), "utf8")).toBe(renderPolicyJsonSchema());
  });

  it("reports a folder it cannot write to", async () => {
    const result = await run(["policy", "schema", "--write", "no/such/dir/schema.json"], { cwd: scratch });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("no/such/dir/schema.json: cannot write");
  });
});
