import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, PortcullisError } from "../../src/errors.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { fingerprintsByLine } from "../../src/policy/baseline.js";
import { renderJson } from "../../src/report/json.js";
import { BUILTIN_ENVIRONMENTS_DIR } from "../../src/policy/builtin.js";
import { resolveEnvironmentRef } from "../../src/policy/environment-ref.js";
import {
  builtinEnvironments,
  listEnvironments,
  loadBaseline,
  loadBaselineInBackground,
  loadEnvironment,
  loadWaivers,
  readFileLines,
} from "../../src/policy/load-files.js";
import { policyHash } from "../../src/policy/parse-policy.js";
import { PORTCULLIS_VERSION } from "../../src/version.js";
import { cleanRuns, finding, input, ok } from "../evaluate/helpers.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const MIXED = fileURLToPath(new URL("../fixtures/policy/mixed-repo/", import.meta.url));
const FIXTURES = fileURLToPath(new URL("../fixtures/policy/", import.meta.url));
const SRC = fileURLToPath(new URL("../../src/", import.meta.url));
const NOW = new Date("2026-03-10T00:00:00Z");

const scratch = mkdtempSync(path.join(tmpdir(), "portcullis-policy-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function failure(run: () => unknown): PortcullisError {
  try {
    run();
  } catch (error) {
    if (error instanceof PortcullisError) return error;
    throw error;
  }
  throw new Error("expected a PortcullisError");
}

describe("resolveEnvironmentRef", () => {
  it.each([
    [
      "staging",
      {
        kind: "name",
        name: "staging",
        file: "/repo/environments/staging.yml",
        builtinFile: path.join(BUILTIN_ENVIRONMENTS_DIR, "staging.yml"),
      },
    ],
    [
      "  production ",
      {
        kind: "name",
        name: "production",
        file: "/repo/environments/production.yml",
        builtinFile: path.join(BUILTIN_ENVIRONMENTS_DIR, "production.yml"),
      },
    ],
    ["custom.yml", { kind: "path", file: "/repo/custom.yml" }],
    ["custom.YAML", { kind: "path", file: "/repo/custom.YAML" }],
    ["ci/env", { kind: "path", file: "/repo/ci/env" }],
    ["./staging", { kind: "path", file: "/repo/staging" }],
    ["/etc/portcullis/prod.yml", { kind: "path", file: "/etc/portcullis/prod.yml" }],
  ])("%j", (ref, expected) => {
    expect(resolveEnvironmentRef(ref, "/repo")).toEqual(expected);
  });

  it("refuses an empty value", () => {
    expect(failure(() => resolveEnvironmentRef(" ", "/repo")).code).toBe("USAGE");
  });
});

describe("loadEnvironment", () => {
  it("loads a shipped environment by name, with its hash and the file as the user sees it", () => {
    const loaded = loadEnvironment("staging", ROOT);
    expect(loaded.file).toBe("environments/staging.yml");
    expect(loaded.policy.name).toBe("staging");
    expect(loaded.hash).toBe(policyHash(loaded.policy));
  });

  it("falls back to the built-in policy of that name, and says so", () => {
    const loaded = loadEnvironment("production", scratch);
    expect(loaded.policy.name).toBe("production");
    expect(loaded.file).toBe(path.join(BUILTIN_ENVIRONMENTS_DIR, "production.yml"));
    expect(loaded.source).toBe(
      `built-in production policy of portcullis ${PORTCULLIS_VERSION} (no environments/production.yml in this repository)`,
    );
    // The built-in policy is the repository's own production.yml, as shipped.
    expect(loaded.hash).toBe(loadEnvironment("production", ROOT).hash);
  });

  it.each(["staging.yaml", "Staging.yml"])(
    "refuses to fall back to the built-in policy while the repository holds environments/%s",
    (name) => {
      const repo = path.join(scratch, `misnamed-${name}`);
      mkdirSync(path.join(repo, "environments"), { recursive: true });
      writeFileSync(path.join(repo, "environments", name), "name: staging\n");
      const error = failure(() => loadEnvironment("staging", repo));
      expect(error.exitCode).toBe(2);
      expect(error.describe()).toBe(
        `[USAGE] environments/${name}: not read as environment "staging": its file must be named staging.yml — fix: ${
          name.endsWith(".yaml")
            ? `rename it to environments/staging.yml, or pass it as --env environments/${name}`
            : "use --env Staging"
        }`,
      );
    },
  );

  it("names the environment to ask for when only the case of --env is wrong", () => {
    const repo = path.join(scratch, "case-of-env");
    mkdirSync(path.join(repo, "environments"), { recursive: true });
    writeFileSync(path.join(repo, "environments", "production.yml"), "name: production\n");
    expect(failure(() => loadEnvironment("Production", repo)).describe()).toBe(
      '[USAGE] environments/production.yml: not read as environment "Production": its file must be named Production.yml — fix: use --env production',
    );
  });

  it("prefers the repository's own file to the built-in one", () => {
    const repo = path.join(scratch, "own");
    mkdirSync(path.join(repo, "environments"), { recursive: true });
    writeFileSync(path.join(repo, "environments", "production.yml"), "name: production\ndescription: our own\n");
    const loaded = loadEnvironment("production", repo);
    expect(loaded.source).toBe("environments/production.yml");
    expect(loaded.policy.description).toBe("our own");
  });

  it("ships development, staging and production", () => {
    expect(builtinEnvironments()).toEqual(["development", "production", "staging"]);
  });

  it("loads a file by path relative to the root", () => {
    expect(loadEnvironment("../minimal.yml", MIXED).policy.name).toBe("minimal");
    expect(loadEnvironment(path.join(FIXTURES, "minimal.yml"), ROOT).file).toBe(
      "gates/test/fixtures/policy/minimal.yml",
    );
  });

  it("lists the environments when the name is unknown", () => {
    expect(failure(() => loadEnvironment("prod", ROOT)).describe()).toMatchInlineSnapshot(
      `"[USAGE] unknown environment "prod" — did you mean "production"? (looked in environments/: development, production, staging; built-in: development, production, staging) — fix: use "production", add environments/prod.yml (\`portcullis init\` writes a start), or give the path of a policy file (path/to/policy.yml)"`,
    );
    expect(failure(() => loadEnvironment("qa", MIXED)).describe()).toMatchInlineSnapshot(
      `"[USAGE] unknown environment "qa" (looked in environments/: bad, good; built-in: development, production, staging) — fix: use one of the names listed, add environments/qa.yml (\`portcullis init\` writes a start), or give the path of a policy file (path/to/policy.yml)"`,
    );
    expect(failure(() => loadEnvironment("qa", scratch)).describe()).toMatchInlineSnapshot(
      `"[USAGE] unknown environment "qa" (looked in environments/: none; built-in: development, production, staging) — fix: use one of the names listed, add environments/qa.yml (\`portcullis init\` writes a start), or give the path of a policy file (path/to/policy.yml)"`,
    );
  });

  it("names a missing file given by path", () => {
    expect(failure(() => loadEnvironment("nowhere/env.yml", ROOT)).describe()).toMatchInlineSnapshot(
      `"[USAGE] nowhere/env.yml: policy file not found — fix: check the path (relative to the current directory)"`,
    );
  });

  it("reports an invalid file with its problems", () => {
    const error = failure(() => loadEnvironment("bad", MIXED));
    expect(error.code).toBe("POLICY_INVALID");
    expect(error.file).toBe("environments/bad.yml");
  });

  it("lists only *.yml files, sorted", () => {
    expect(listEnvironments(ROOT)).toEqual(["development", "production", "staging"]);
    expect(listEnvironments(MIXED)).toEqual(["bad", "good"]);
  });
});

describe("loadWaivers", () => {
  it("reads .portcullis/waivers.yml under the root by default, and none when it is absent", () => {
    const repo = path.join(scratch, "with-waivers");
    mkdirSync(path.join(repo, ".portcullis"), { recursive: true });
    writeFileSync(
      path.join(repo, ".portcullis", "waivers.yml"),
      "waivers:\n  - rule: r\n    reason: ok\n    approver: ann\n    expires: 2026-03-20\n",
    );
    expect(loadWaivers({ root: repo, now: NOW, maxDays: 30 }).waivers).toHaveLength(1);
    expect(loadWaivers({ root: scratch, now: NOW, maxDays: 30 })).toEqual({ waivers: [], problems: [] });
  });

  it("requires a file named explicitly to exist", () => {
    const error = failure(() => loadWaivers({ root: scratch, file: "missing.yml", now: NOW, maxDays: 30 }));
    expect(error.describe()).toMatchInlineSnapshot(
      `"[WAIVER_INVALID] missing.yml: file not found — fix: check the path given to --waivers"`,
    );
  });

  it("names problems with the file as given", () => {
    const result = loadWaivers({ root: ROOT, file: "gates/test/fixtures/policy/waivers.yml", now: NOW, maxDays: 30 });
    expect(new Set(result.problems.map((problem) => problem.file))).toEqual(
      new Set(["gates/test/fixtures/policy/waivers.yml"]),
    );
  });
});

describe("loadBaseline", () => {
  it("reads a previous report", () => {
    expect(loadBaseline("gates/test/fixtures/policy/baseline-report.json", ROOT).size).toBe(3);
  });

  it("never treats a missing baseline as empty", () => {
    expect(failure(() => loadBaseline("base/report.json", scratch)).describe()).toMatchInlineSnapshot(
      `"[BASELINE_INVALID] base/report.json: file not found — fix: check the path given to --baseline (a report.json from a previous run)"`,
    );
  });

  it("reads a report.json as evaluate writes it from the file a line at a time, across read pieces", async () => {
    // Over a megabyte, so that lines, and characters of several bytes, are cut across the pieces the
    // file is read in.
    const findings = Array.from({ length: 3_000 }, () => finding("semgrep", { message: "mé🙂".repeat(100) }));
    const runs = cleanRuns().map((run) => (run.run.kind === "semgrep" ? ok("semgrep", findings) : run));
    const text = renderJson(evaluate(input({ runs })).report);
    expect(text.length).toBeGreaterThan(1 << 20);
    const file = path.join(scratch, "large-baseline.json");
    writeFileSync(file, text);
    const expected = new Set(findings.map((entry) => entry.fingerprint));
    expect(readFileLines(file, fingerprintsByLine)).toEqual(expected);
    expect(loadBaseline(file, scratch)).toEqual(expected);
    expect(readFileLines(file, (lines) => [...lines].join("\n"))).toBe(text);
    // A worker thread reads it the same way.
    expect(await loadBaselineInBackground(file, scratch)()).toEqual(expected);
    // On one line (minified), it is read whole: the same fingerprints.
    const minified = path.join(scratch, "minified-baseline.json");
    writeFileSync(minified, JSON.stringify(JSON.parse(text)));
    expect(readFileLines(minified, fingerprintsByLine)).toBeUndefined();
    expect(loadBaseline(minified, scratch)).toEqual(expected);
    // With a byte-order mark it is refused, as before: read whole, JSON.parse refuses it.
    writeFileSync(file, `\uFEFF${text}`);
    expect(failure(() => loadBaseline(file, scratch)).describe()).toMatch(
      /^\[BASELINE_INVALID\] large-baseline\.json: not valid JSON/,
    );
  });

  it.skipIf(process.platform === "win32")(
    "reads a baseline given through a pipe, which can be read only once",
    () => {
      const fifo = path.join(scratch, "baseline.fifo");
      execFileSync("mkfifo", [fifo]);
      spawn("sh", ["-c", 'cat "$1" > "$2"', "sh", path.join(FIXTURES, "baseline-report.json"), fifo], {
        stdio: "ignore",
      });
      // In a process of its own: reading a pipe a second time waits for a writer that never comes.
      const load = `import { loadBaseline } from ${JSON.stringify(path.join(SRC, "policy", "load-files.ts"))};
      process.stdout.write(String(loadBaseline(${JSON.stringify(fifo)}, "/").size));`;
      // Time enough for tsx to start on a loaded machine; a second read of the pipe would never end.
      const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", load], {
        cwd: ROOT,
        timeout: 50_000,
        encoding: "utf8",
      });
      expect({ out: child.stdout, signal: child.signal }).toEqual({ out: "3", signal: null });
    },
    60_000,
  );
});

describe("loadBaselineInBackground", () => {
  it.skipIf(process.platform === "win32")("does not keep the process alive until someone waits for it", () => {
    // A pipe nobody writes to: the thread waits on it forever.
    const fifo = path.join(scratch, "never-written.fifo");
    execFileSync("mkfifo", [fifo]);
    const start = `import { loadBaselineInBackground } from ${JSON.stringify(path.join(SRC, "policy", "load-files.ts"))};
      loadBaselineInBackground(${JSON.stringify(fifo)}, "/");`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", start], {
      cwd: ROOT,
      timeout: 20_000,
    });
    expect({ status: child.status, signal: child.signal }).toEqual({ status: 0, signal: null });
  });

  it("answers what loadBaseline answers, from a worker thread", async () => {
    const fixture = "gates/test/fixtures/policy/baseline-report.v2.json";
    expect(await loadBaselineInBackground(fixture, ROOT)()).toEqual(loadBaseline(fixture, ROOT));
    const bad = path.join(scratch, "not-a-report.json");
    writeFileSync(bad, JSON.stringify({ SchemaVersion: 2, Results: [] }));
    for (const file of ["base/report.json", bad]) {
      const expected = failure(() => loadBaseline(file, scratch));
      const error: unknown = await loadBaselineInBackground(file, scratch)().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).describe()).toBe(expected.describe());
    }
  });
});
