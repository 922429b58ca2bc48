import path from "node:path";
import { describe, expect, it } from "vitest";
import { semgrep } from "../../src/tools/semgrep.js";
import { tempDir } from "../cli/cli-harness.js";
import { closedPort, project, read, realTool, runTool } from "./real-tool.js";

/** The real semgrep (the pinned 1.163) with local rules on planted code, run with the adapter's argv. */

const tool = await realTool("semgrep");

const RULES = `rules:
  - id: no-eval
    languages: [javascript]
    severity: ERROR
    message: eval() runs a string as code
    pattern: eval(...)
    metadata:
      cwe: ["CWE-95: Improper Neutralization of Directives in Dynamically Evaluated Code"]
`;

const PLANTED = {
  "rules.yml": RULES,
  "src/app.js": "export function run(input) {\n  return eval(input);\n}\n",
  "src/reviewed.js": "export const two = eval('1 + 1'); // nosemgrep: no-eval\n",
};

/** Offline runs: no metrics, no version check, and no registry unless a test names one. */
const OFFLINE = { SEMGREP_SEND_METRICS: "off", SEMGREP_ENABLE_VERSION_CHECK: "0" };

async function scan(dir: string, configs: readonly string[], env: Record<string, string> = {}) {
  const jsonOutput = path.join(tempDir("portcullis-semgrep-out-"), "semgrep.json");
  const outcome = await runTool(tool.file, semgrep.argv.scan({ configs, jsonOutput, targets: ["src"] }), {
    cwd: dir,
    env: { ...OFFLINE, ...env },
    timeoutMs: 180_000,
  });
  return { outcome, jsonOutput, meaning: semgrep.exitMeaning(outcome.exitCode) };
}

describe.runIf(tool.runs)("semgrep (real)", () => {
  it("reports the planted code with the given rules, leaves the nosemgrep line out, and exits 1", async () => {
    const dir = project("portcullis-semgrep-", PLANTED);
    const { outcome, jsonOutput, meaning } = await scan(dir, ["./rules.yml"]);
    expect([outcome.exitCode, meaning]).toEqual([1, "findings"]);
    const result = semgrep.parse(read(jsonOutput));
    expect(
      result.findings.map((finding) => [
        finding.ruleId,
        finding.location?.path,
        finding.location?.startLine,
        finding.severity,
      ]),
    ).toEqual([["no-eval", "src/app.js", 2, "high"]]);
    expect(result.findings[0]?.references).toContain("CWE-95");
    expect(result.toolErrors).toEqual([]);
  }, 240_000);

  it("its JSON and SARIF of one run give the same path and fingerprint, for files named with `%20`, `#` and spaces", async () => {
    const files = ["src/C#/x%20y.js", "src/dir with space/conf file.js"];
    const dir = project("portcullis-semgrep-", {
      "rules.yml": RULES,
      ...Object.fromEntries(files.map((file) => [file, "eval(input);\n"])),
    });
    const out = tempDir("portcullis-semgrep-out-");
    const jsonOutput = path.join(out, "semgrep.json");
    const sarifOutput = path.join(out, "semgrep.sarif");
    const outcome = await runTool(
      tool.file,
      semgrep.argv.scan({ configs: ["./rules.yml"], jsonOutput, sarifOutput, targets: ["src"] }),
      {
        cwd: dir,
        env: OFFLINE,
        timeoutMs: 180_000,
      },
    );
    expect(outcome.exitCode).toBe(1);
    // semgrep writes the path as it is in both (`%20` is part of the file's name).
    expect(read(sarifOutput)).toContain('"uri":"src/C#/x%20y.js"');
    const seen = (file: string) =>
      semgrep
        .parse(read(file))
        .findings.map((finding) => [finding.location?.path, finding.fingerprint])
        .sort();
    expect(seen(sarifOutput)).toEqual(seen(jsonOutput));
    expect(seen(jsonOutput).map(([where]) => where)).toEqual([...files].sort());
  }, 240_000);

  it("reads a file it cannot parse as a warning, not a crash, and still scans the rest", async () => {
    const dir = project("portcullis-semgrep-", { ...PLANTED, "src/broken.js": "function (\n  return eval(;\n" });
    const { outcome, jsonOutput } = await scan(dir, ["./rules.yml"]);
    expect(outcome.exitCode).toBe(1);
    const result = semgrep.parse(read(jsonOutput));
    expect(result.findings.map((finding) => finding.location?.path)).toContain("src/app.js");
    expect(result.toolErrors.length).toBeGreaterThan(0);
    expect(result.toolErrors.every((error) => error.level === "warning")).toBe(true);
    expect(result.toolErrors.map((error) => error.path)).toContain("src/broken.js");
  }, 240_000);

  it("exits 0 on clean code", async () => {
    const dir = project("portcullis-semgrep-", { "rules.yml": RULES, "src/clean.js": "export const x = 1;\n" });
    const { outcome, jsonOutput, meaning } = await scan(dir, ["./rules.yml"]);
    expect([outcome.exitCode, meaning]).toEqual([0, "clean"]);
    expect(semgrep.parse(read(jsonOutput)).findings).toEqual([]);
  }, 240_000);

  it.each([
    ["invalid rules", { "rules.yml": "rules:\n  - id: broken\n    pattern: eval(\n" }, ["./rules.yml"]],
    ["a registry ruleset it cannot fetch", {}, ["p/default"]],
  ])(
    "exits with an error code (never 0 or 1) on %s",
    async (_case, files, configs) => {
      const dir = project("portcullis-semgrep-", { "src/app.js": PLANTED["src/app.js"], ...files });
      // The registry is semgrep.dev unless SEMGREP_URL says otherwise: here a port nothing listens on.
      const { outcome, meaning } = await scan(dir, configs, { SEMGREP_URL: `http://127.0.0.1:${await closedPort()}` });
      expect(outcome.exitCode).toBeGreaterThanOrEqual(2);
      expect(meaning).toBe("error");
    },
    240_000,
  );
});
