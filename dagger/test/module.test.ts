/**
 * The module's functions end to end, against a fake engine that answers the few values they read
 * (exit codes, a file, flags): what each returns, which exit code lands in which file, and what
 * happens when a tool crashes, a DB is stale or the CLI fails. The containers themselves are
 * checked in query-tree.test.ts.
 */
import { dag } from "@dagger.io/dagger";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT_CODES } from "../../gates/src/errors.js";
import { Portcullis } from "../src/index.js";
import type { Result } from "../src/result.js";
import { fakeEngine, type Answer, type FakeEngine } from "./helpers/fake-engine.js";
import { calls, ops } from "./helpers/query-tree.js";

let engine: FakeEngine | undefined;
afterEach(() => {
  engine?.close();
  engine = undefined;
});

function withEngine(answer: Answer): FakeEngine {
  engine = fakeEngine(answer);
  return engine;
}

const trivyVersion = (updatedAt: string) =>
  JSON.stringify({ Version: "0.74.0", VulnerabilityDB: { Version: 2, UpdatedAt: updatedAt, NextUpdate: updatedAt } });

/** The field a query asks for (the innermost selection), e.g. `exitCode` or `exists (path: ".semgrep")`. */
function field(query: string): string {
  return query.slice(query.lastIndexOf("{ ") + 2).replace(/( \})+$/, "");
}

/** The last command in the query's container: `gitleaks dir`, `trivy version`, `portcullis evaluate`… */
function command(query: string): string {
  const found = [...query.matchAll(/withExec \(args: \["([^"]+)","([^"]+)"/g)].at(-1);
  return found === undefined ? "" : `${found[1]} ${found[2]}`;
}

/** What `portcullis policy sla production` prints. */
const PRODUCTION_SLA = {
  SLA_P95_MS: "200",
  SLA_P99_MS: "500",
  SLA_MAX_ERROR_RATE: "0.001",
  SLA_MIN_CHECKS_RATE: "0.99",
};

interface Tools {
  exitCodes?: Record<string, number | { execError: number }>;
  /** What `portcullis policy sla` prints (a JSON object). */
  sla?: unknown;
  dbBuilt?: string;
  semgrepRules?: readonly string[];
  evaluate?: { exitCode: number; stdout?: string; stderr?: string };
  failing?: string;
}

/** An engine where every tool ran: exit codes per command, trivy's DB age, the repository's own semgrep rules. */
function tools(options: Tools = {}): Answer {
  return (query) => {
    const what = field(query);
    const run = command(query);
    if (options.failing !== undefined && run === options.failing) return undefined;
    if (what === "exitCode") {
      if (run === "portcullis evaluate") return options.evaluate?.exitCode ?? 0;
      return options.exitCodes?.[run] ?? 0;
    }
    if (what === "contents" && run === "trivy version")
      return trivyVersion(options.dbBuilt ?? new Date().toISOString());
    if (what.startsWith("exists")) return (options.semgrepRules ?? []).some((rule) => what.includes(`"${rule}"`));
    if (what === "stdout" && run === "portcullis policy") return JSON.stringify(options.sla ?? PRODUCTION_SLA);
    if (what === "stdout" && run === "portcullis evaluate")
      return options.evaluate?.stdout ?? "GATE  STATUS\nsecrets  pass\n";
    if (what === "stderr" && run === "portcullis evaluate") return options.evaluate?.stderr ?? "";
    if (what === "sync") return "SBOM-ID";
    return undefined;
  };
}

const portcullis = () => new Portcullis();
const source = () => dag.directory().withNewFile("app.py", "print('hi')\n");

/** The exit-code file a reports directory ends with. */
function exitCodeFile(directory: unknown): unknown {
  return calls(directory, "withNewFile").at(-1)?.args;
}

describe("a tool's exit code", () => {
  it("is written next to its report, whatever it is", async () => {
    const fake = withEngine(tools({ exitCodes: { "gitleaks dir": 42 } }));
    const reports = await portcullis().secrets(source());
    expect(exitCodeFile(reports)).toEqual({ path: "gitleaks.exitcode", contents: "42\n" });
    expect(ops(reports).at(-2)).toEqual({ operation: "directory", args: { path: "/out" } });
    const asked = fake.queries.filter((query) => field(query) === "exitCode");
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('withExec (args: ["gitleaks","dir",".","--report-format","json"');
    expect(asked[0]).toContain("expect: ANY");
  });

  it("survives a tool the engine reports killed (no report, the code kept for the CLI to call an error)", async () => {
    withEngine(tools({ exitCodes: { "gitleaks dir": { execError: 137 } } }));
    const reports = await portcullis().secrets(source());
    expect(ops(reports)).toEqual([
      { operation: "directory", args: {} },
      { operation: "withNewFile", args: { path: "gitleaks.exitcode", contents: "137\n" } },
    ]);
  });

  it("of the history scan goes to its own file", async () => {
    const fake = withEngine(tools({ exitCodes: { "gitleaks git": 1 } }));
    const reports = await portcullis().secretsHistory(dag.directory(), "4f1e2d3", "9a8b7c6");
    expect(exitCodeFile(reports)).toEqual({ path: "gitleaks.history.exitcode", contents: "1\n" });
    expect(fake.queries.join("\n")).toContain('"--log-opts","4f1e2d3..9a8b7c6"');
  });

  it("of a history range needs both ends", async () => {
    withEngine(tools());
    await expect(portcullis().secretsHistory(dag.directory(), "4f1e2d3")).rejects.toThrow(/needs both base and head/);
  });
});

describe("vulnerabilities", () => {
  it("returns the report with trivy's version beside it, whatever the DB's age: evaluate judges it", async () => {
    const fake = withEngine(tools({ dbBuilt: "2020-01-01T00:00:00Z" }));
    const reports = await portcullis().vulnerabilities(source());
    expect(exitCodeFile(reports)).toEqual({ path: "trivy.fs.exitcode", contents: "0\n" });
    expect(calls(reports, "withoutFiles")).toEqual([]);
    // The module never reads the version output: it records it.
    expect(fake.queries.filter((query) => field(query) === "contents")).toEqual([]);
    expect(calls(reports, "withExec").at(-1)?.args).toMatchObject({
      args: ["trivy", "version", "--format", "json", "--cache-dir", "/cache/trivy"],
      redirectStdout: "/out/versions/trivy.txt",
    });
  });

  it("scans an image in the repository, so its .trivyignore applies", async () => {
    const fake = withEngine(tools());
    const reports = await portcullis().scanImage(dag.container().from("alpine:3.20"), source());
    expect(exitCodeFile(reports)).toEqual({ path: "trivy.image.exitcode", contents: "0\n" });
    const scan = fake.queries.find((query) => field(query) === "exitCode") ?? "";
    expect(scan).toContain('"--input","/input/image.tar"');
    expect(scan).toMatch(/withMountedDirectory \(path: "\/src",source: "ID\d+"\) \{ withWorkdir \(path: "\/src"\)/);
  });
});

describe("sast", () => {
  it("runs p/default plus the repository's own rules", async () => {
    const fake = withEngine(tools({ semgrepRules: [".semgrep.yml", ".semgrep"] }));
    await portcullis().sast(source());
    const scan = fake.queries.find((query) => field(query) === "exitCode");
    expect(scan).toContain(
      '["semgrep","scan","--config","p/default","--config","./.semgrep.yml","--config","./.semgrep","--json-output"',
    );
  });

  it("runs only p/default when the repository has no rules", async () => {
    const fake = withEngine(tools());
    await portcullis().sast(source());
    expect(fake.queries.find((query) => field(query) === "exitCode")).toContain(
      '["semgrep","scan","--config","p/default","--json-output"',
    );
  });

  it("replaces the default with the given rules, without looking for the repository's", async () => {
    const fake = withEngine(tools({ semgrepRules: [".semgrep.yml"] }));
    await portcullis().sast(source(), ["p/owasp-top-ten", "rules/"]);
    expect(fake.queries.some((query) => field(query).startsWith("exists"))).toBe(false);
    expect(fake.queries.find((query) => field(query) === "exitCode")).toContain(
      '"--config","p/owasp-top-ten","--config","rules/","--json-output"',
    );
  });

  it("refuses auto before starting anything", async () => {
    const fake = withEngine(tools());
    await expect(portcullis().sast(source(), ["p/default", " Auto "])).rejects.toThrow(
      /semgrep config `auto` is not allowed/,
    );
    expect(fake.queries).toEqual([]);
  });
});

describe("load", () => {
  it("finds the target's port, and keeps k6's thresholds-failed code", async () => {
    const fake = withEngine((query) => {
      if (/ ports \{ id \}/.test(query)) return [{ id: "PORT1" }];
      if (field(query) === "port") return 8080;
      return tools({ exitCodes: { "k6 run": 99 } })(query);
    });
    const target = dag.container().from("nginx:1.27").withExposedPort(8080).asService();
    const reports = await portcullis().load(target, "stress", source());
    expect(exitCodeFile(reports)).toEqual({ path: "k6.exitcode", contents: "99\n" });
    const run = fake.queries.find((query) => field(query) === "exitCode") ?? "";
    expect(run).toContain('withEnvVariable (name: "BASE_URL",value: "http://target:8080")');
    expect(run).toContain('withServiceBinding (alias: "target"');
    expect(run).toContain('["k6","run","--summary-export","/out/k6.json","--quiet","stress.js"]');
  });

  it("gives k6 the environment's SLA, as `portcullis policy sla` prints it, so its thresholds are the gate's", async () => {
    const sla = { SLA_P95_MS: "1000", SLA_P99_MS: "2000", SLA_MAX_ERROR_RATE: "0", SLA_MIN_CHECKS_RATE: "1" };
    const fake = withEngine(tools({ sla }));
    const target = dag.container().from("nginx:1.27").withExposedPort(8080).asService();
    await portcullis().load(target, "load", source(), 8080, "production");
    const printed = fake.queries.find((query) => command(query) === "portcullis policy") ?? "";
    expect(printed).toContain('withExec (args: ["portcullis","policy","sla","production"])');
    const run = fake.queries.find((query) => field(query) === "exitCode") ?? "";
    for (const [name, value] of Object.entries(sla)) {
      expect(run).toContain(`withEnvVariable (name: "${name}",value: "${value}")`);
    }
  });

  it("refuses to run k6 without an SLA when the CLI prints something else", async () => {
    withEngine(tools({ sla: { PATH: "/tmp" } }));
    const target = dag.container().from("nginx:1.27").withExposedPort(8080).asService();
    await expect(portcullis().load(target, "load", source(), 8080)).rejects.toThrow(/printed no SLA variables/);
  });
});

describe("ci", () => {
  /** Runs ci and returns its result and the engine's queries. */
  async function ci(options: Tools, env = "staging"): Promise<{ result: Result; fake: FakeEngine }> {
    const fake = withEngine(tools(options));
    const result = await portcullis().ci(source(), env);
    return { result, fake };
  }

  it("runs every stage, then evaluates their reports once", async () => {
    const { result, fake } = await ci({ evaluate: { exitCode: 0, stdout: "all gates pass\n" } });
    const ran = fake.queries.filter((query) => field(query) === "exitCode").map(command);
    expect(ran.sort()).toEqual([
      "gitleaks dir",
      "portcullis evaluate",
      "portcullis validate",
      "semgrep scan",
      "trivy fs",
    ]);
    const evaluate = fake.queries.find(
      (query) => command(query) === "portcullis evaluate" && field(query) === "exitCode",
    );
    expect(evaluate).toContain(
      '["portcullis","evaluate","--env","staging","--reports","/reports","--out","/out","--format","text"]',
    );
    expect(result.passed).toBe(true);
    expect(result.summary).toBe("all gates pass\n");
    expect(result.assert()).toBe("all gates pass\n");
  });

  it("records the commit judged", async () => {
    const fake = withEngine(tools());
    await portcullis().ci(
      source(),
      "production",
      undefined,
      undefined,
      undefined,
      undefined,
      "smoke",
      undefined,
      undefined,
      "0123abc",
    );
    const evaluate = fake.queries.find(
      (query) => command(query) === "portcullis evaluate" && field(query) === "exitCode",
    );
    expect(evaluate).toContain('"--format","text","--commit","0123abc"]');
  });

  it("returns a blocked result rather than failing, so the reports can still be exported", async () => {
    const { result } = await ci({ evaluate: { exitCode: 1, stdout: "secrets  FAIL  2 high > 0\n" } });
    expect(result.passed).toBe(false);
    expect(() => result.assert()).toThrow(/blocked by a mandatory gate\n\nsecrets {2}FAIL/);
    // The tools' reports (validate, gitleaks, trivy, sbom, semgrep) with the CLI's outputs on top.
    const reports = ops(result.reports);
    expect(reports.filter((op) => op.operation === "withDirectory")).toHaveLength(6);
    expect(reports.at(-1)?.operation).toBe("withDirectory");
  });

  it("fails when the CLI cannot evaluate (bad policy, usage), with its message", async () => {
    withEngine(tools({ evaluate: { exitCode: 2, stderr: 'portcullis: unknown environment "prod"' } }));
    await expect(portcullis().ci(source(), "prod")).rejects.toThrow(
      /portcullis evaluate failed \(exit 2\):\nportcullis: unknown environment "prod"/,
    );
  });

  it("keeps going when a stage cannot start, and says which one under the table", async () => {
    const { result, fake } = await ci({ failing: "semgrep scan" });
    expect(fake.queries.some((query) => command(query) === "portcullis evaluate")).toBe(true);
    expect(result.summary).toMatch(/Stages that did not report \(their gates are error\):\n- semgrep did not run: /);
  });

  it("says a step before the tool failed (the CLI image's npm ci) instead of writing its code as validate's", async () => {
    const npmCi = ["npm", "ci", "--ignore-scripts"];
    const fake = withEngine((query) =>
      field(query) === "exitCode" && command(query) === "portcullis validate"
        ? { execError: 1, cmd: npmCi }
        : tools()(query),
    );
    const result = await portcullis().ci(source(), "staging");
    expect(result.summary).toContain('- validate did not run: process "npm ci --ignore-scripts" did not complete');
    const written = fake.queries.join("\n");
    expect(written).not.toContain("validate.exitcode");
  });

  it("adds the history scan of a range, and the load test alone after every scan", async () => {
    const fake = withEngine((query) => {
      if (/ ports \{ id \}/.test(query)) return [{ id: "PORT1" }];
      if (field(query) === "port") return 8080;
      return tools({ exitCodes: { "k6 run": 0 } })(query);
    });
    const target = dag.container().from("nginx:1.27").withExposedPort(8080).asService();
    await portcullis().ci(source(), "staging", target, dag.directory(), "4f1e2d3", "9a8b7c6");
    const ran = fake.queries.filter((query) => field(query) === "exitCode").map(command);
    expect(ran.slice(-2)).toEqual(["k6 run", "portcullis evaluate"]);
    expect(ran).toContain("gitleaks git");
    expect(fake.queries.join("\n")).toContain('"--log-opts","4f1e2d3..9a8b7c6"');
  });

  it.each([
    ["half a history range", [undefined, dag.directory(), "4f1e2d3"], /needs both base and head/],
    [
      "a range smuggling options",
      [undefined, dag.directory(), "main --all", "HEAD"],
      /history base "main --all" cannot be passed/,
    ],
    [
      "a port that is not one",
      [dag.container().asService(), undefined, undefined, undefined, "smoke", 70_000],
      /not a TCP port/,
    ],
    [
      "a scenario read as an option",
      [dag.container().asService(), undefined, undefined, undefined, "--http-debug"],
      /scenario "--http-debug.js" cannot be passed/,
    ],
  ] as const)("fails at once on %s, before running anything", async (_name, args, message) => {
    const fake = withEngine(tools());
    const [target, history, base, head, scenario, port] = args;
    await expect(portcullis().ci(source(), "staging", target, history, base, head, scenario, port)).rejects.toThrow(
      message,
    );
    expect(fake.queries.filter((query) => field(query) === "exitCode")).toEqual([]);
  });

  it("refuses an environment that would be read as an option", async () => {
    withEngine(tools());
    await expect(portcullis().ci(source(), "--help")).rejects.toThrow(/env "--help" cannot be passed to a tool/);
  });
});

describe("the gates check", () => {
  it("passes when nothing blocks", async () => {
    withEngine(tools({ evaluate: { exitCode: 0 } }));
    await expect(portcullis().gates(source())).resolves.toBeUndefined();
  });

  it("fails when a mandatory gate blocks", async () => {
    withEngine(tools({ evaluate: { exitCode: 1, stdout: "vulnerabilities  FAIL\n" } }));
    await expect(portcullis().gates(source(), "production")).rejects.toThrow(/blocked by a mandatory gate/);
  });
});

describe("evaluate", () => {
  it("judges a folder of reports", async () => {
    const fake = withEngine(tools({ evaluate: { exitCode: 0, stdout: "ok\n" } }));
    const reports = dag.directory().withNewFile("gitleaks.json", "[]").withNewFile("gitleaks.exitcode", "0\n");
    const result = await portcullis().evaluate(reports, "development", source());
    expect(result).toMatchObject({ passed: true, summary: "ok\n" });
    expect(fake.queries.filter((query) => field(query) === "exitCode").map(command)).toEqual(["portcullis evaluate"]);
  });
});

describe("deploy, rollback and status", () => {
  const checkout = () => dag.directory().withNewDirectory(".git");
  /** An engine where the blue-green command exits `exitCode` with this output. */
  const cliExits =
    (exitCode: number, stdout: string, stderr = ""): Answer =>
    (query) => {
      const what = field(query);
      if (what === "exitCode") return exitCode;
      if (what === "stdout") return stdout;
      if (what === "stderr") return stderr;
      return undefined;
    };
  const report = () => dag.directory().withNewFile("report.json", "{}").file("report.json");

  it("returns the CLI's output when the release is live", async () => {
    const fake = withEngine(cliExits(0, "step 100 % green: ok\nlive: 1.4.2\n"));
    await expect(portcullis().deploy(checkout(), "production", "1.4.2", "4f1e2d3", undefined, report())).resolves.toBe(
      "step 100 % green: ok\nlive: 1.4.2\n",
    );
    const run = fake.queries.find((query) => field(query) === "exitCode") ?? "";
    expect(run).toContain('"deploy","--release","1.4.2","--commit","4f1e2d3","--gate-report","/input/report.json"');
    expect(run).toContain('"--state-git-ref","refs/portcullis/production"');
    expect(run).toContain("expect: ANY");
  });

  // Every code but 0 in the CLI's own table (gates/src/errors.ts), plus one it never returns (a kill).
  const failures = [
    ...Object.values(EXIT_CODES).filter((entry) => entry.code !== EXIT_CODES.ok.code),
    { code: 137, meaning: "the CLI failed" },
  ];
  it.each(failures)(
    "fails on exit $code with what the CLI's table says it means and its output, never as a success",
    async ({ code, meaning }) => {
      withEngine(cliExits(code, "", "green failed: error rate 0.2 > 0.01\n"));
      await expect(
        portcullis().deploy(checkout(), "production", "1.4.2", undefined, undefined, report()),
      ).rejects.toThrow(`portcullis deploy exited ${code}: ${meaning}\n\ngreen failed: error rate 0.2 > 0.01\n`);
    },
  );

  it("refuses a deploy without a gate report before starting anything", async () => {
    const fake = withEngine(cliExits(0, ""));
    await expect(portcullis().deploy(checkout(), "production", "1.4.2")).rejects.toThrow(/needs the gate report/);
    expect(fake.queries).toEqual([]);
  });

  it("rollback succeeds only once traffic is verified on the old slot (exit 0)", async () => {
    withEngine(cliExits(0, "traffic on blue (1.4.1), verified\n"));
    await expect(portcullis().rollback(checkout(), "production", true)).resolves.toContain("verified");
    withEngine(cliExits(1, "", "router did not confirm the weights\n"));
    await expect(portcullis().rollback(checkout(), "production")).rejects.toThrow(
      `portcullis rollback exited 1: ${EXIT_CODES.blocked.meaning}\n\nrouter did not confirm`,
    );
    withEngine(cliExits(4, "", "router refused the weights\n"));
    await expect(portcullis().rollback(checkout(), "production")).rejects.toThrow(
      `portcullis rollback exited 4: ${EXIT_CODES.rollbackFailed.meaning}`,
    );
  });

  it("status prints where the environment stands, and fails when it cannot tell", async () => {
    withEngine(cliExits(0, "active: blue 1.4.1\n"));
    await expect(portcullis().status(checkout(), "production")).resolves.toBe("active: blue 1.4.1\n");
    withEngine(cliExits(3, "", "git fetch failed\n"));
    await expect(portcullis().status(checkout(), "production")).rejects.toThrow(/exited 3[\s\S]*git fetch failed/);
  });
});
