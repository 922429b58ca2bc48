/**
 * The evidence function, read from its lazy query tree (no engine): the CLI container it runs in,
 * the reports it reads, the secret it signs with, and the file it returns.
 */
import { dag } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";
import { Portcullis } from "../src/index.js";
import { LAYOUT } from "../src/layout.js";
import { calls, execs, ops } from "./helpers/query-tree.js";

const portcullis = () => new Portcullis();
const reports = dag.directory().withNewFile("report.json", "{}");
const source = dag.directory().withNewFile("environments/production.yml", "name: production\n");

describe("evidence", () => {
  it("runs `portcullis evidence` over the reports in the source and returns the bundle", () => {
    const bundle = portcullis().evidence(reports, source, "production");
    expect(execs(bundle).at(-1)).toEqual([
      "portcullis",
      "evidence",
      "--from",
      LAYOUT.reports,
      "--source",
      ".",
      "--out",
      `${LAYOUT.out}/evidence.tar.gz`,
      "--env",
      "production",
    ]);
    expect(calls(bundle, "withExec").at(-1)?.args["expect"]).toBe("SUCCESS");
    expect(calls(bundle, "withMountedDirectory").map((op) => op.args["path"])).toContain(LAYOUT.reports);
    expect(ops(bundle).at(-1)).toEqual({ operation: "file", args: { path: `${LAYOUT.out}/evidence.tar.gz` } });
    expect(calls(bundle, "withSecretVariable")).toEqual([]);
  });

  it("leaves the environment to report.json when none is given", () => {
    const argv = execs(portcullis().evidence(reports, source)).at(-1);
    expect(argv).not.toContain("--env");
  });

  it("hands the signing key over as a secret variable, never as an argument", () => {
    const key = dag.setSecret(
      "evidence-key",
      "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
    );
    const bundle = portcullis().evidence(reports, source, undefined, key);
    expect(calls(bundle, "withSecretVariable").map((op) => op.args["name"])).toEqual(["PORTCULLIS_EVIDENCE_KEY"]);
    expect(JSON.stringify(execs(bundle))).not.toContain("PRIVATE KEY");
  });

  it("refuses an environment that would be read as an option", () => {
    expect(() => portcullis().evidence(reports, source, "--out=/etc")).toThrow(/env/);
  });
});
