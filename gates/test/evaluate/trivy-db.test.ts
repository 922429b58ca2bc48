import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { evaluate } from "../../src/evaluate/evaluate.js";
import type { GateVerdict, Report } from "../../src/model/report.js";
import { cleanRuns, input, policy, trivyVersion } from "./helpers.js";
import { fixture, reportOf, run, tempDir } from "../cli/cli-harness.js";

function vulnerabilities(report: Report): GateVerdict {
  const verdict = report.verdicts.find((candidate) => candidate.gate === "vulnerabilities");
  if (verdict === undefined) throw new Error("no vulnerabilities verdict");
  return verdict;
}

// helpers.NOW is 2026-05-04T10:00:00Z.
describe("trivy DB freshness (gates.vulnerabilities.max_db_age, judged in evaluate only)", () => {
  it("passes with a DB updated within the default 168h", () => {
    const { report } = evaluate(input({ toolVersions: { trivy: trivyVersion("2026-04-28T10:00:00Z") } }));
    expect(vulnerabilities(report).status).toBe("pass");
    expect(report.notices).toEqual([]);
  });

  it("is `error`, blocking, with the age and the fix, when the DB is older than 168h", () => {
    const { report } = evaluate(input({ toolVersions: { trivy: trivyVersion("2026-04-27T09:00:00Z") } }));
    const verdict = vulnerabilities(report);
    expect(verdict).toMatchObject({ status: "error", blocking: true });
    expect(verdict.reason).toContain(
      "trivy's vulnerability DB is 169h old (updated 2026-04-27T09:00:00Z), older than max_db_age 168h",
    );
    expect(verdict.fix).toContain("raise gates.vulnerabilities.max_db_age");
  });

  it("reads the limit with the policy's duration parser", () => {
    const stale = { toolVersions: { trivy: trivyVersion("2026-04-27T09:00:00Z") } };
    const lenient = policy({ gates: { vulnerabilities: { max_db_age: "240h" } } });
    const strict = policy({ gates: { vulnerabilities: { max_db_age: "30m" } } });
    expect(vulnerabilities(evaluate(input({ ...stale, policy: lenient })).report).status).toBe("pass");
    const fresh = { toolVersions: { trivy: trivyVersion("2026-05-04T09:00:00Z") } };
    expect(vulnerabilities(evaluate(input({ ...fresh, policy: strict })).report).status).toBe("error");
  });

  it.each([
    ["names no DB (trivy never downloaded one)", JSON.stringify({ Version: "0.58.1" }), /names no vulnerability DB/],
    ["is not trivy's version output", '{"SchemaVersion": 2, "Results": []}', /cannot be read as `trivy version/],
    ["is empty (unreadable)", "", /cannot be read as `trivy version/],
  ])("fails closed when versions/trivy.txt %s", (_name, raw, message) => {
    const { report } = evaluate(input({ toolVersions: { trivy: { file: "reports/versions/trivy.txt", raw } } }));
    expect(vulnerabilities(report).status).toBe("error");
    expect(vulnerabilities(report).reason).toMatch(message);
  });

  it("without a version file, judges nothing and says the age was not checked", () => {
    const { report } = evaluate(input({ toolVersions: {} }));
    expect(vulnerabilities(report).status).toBe("pass");
    expect(report.notices).toContain(
      "trivy's vulnerability DB age was not checked (max_db_age 168h): no versions/trivy.txt beside the reports",
    );
  });

  it("leaves a disabled gate and a run without trivy alone", () => {
    const stale = { toolVersions: { trivy: trivyVersion("2020-01-01T00:00:00Z") } };
    const disabled = policy({ gates: { vulnerabilities: { enabled: false } } });
    expect(vulnerabilities(evaluate(input({ ...stale, policy: disabled })).report).status).toBe("disabled");
    const runs = cleanRuns().filter((entry) => entry.run.kind !== "trivy");
    expect(vulnerabilities(evaluate(input({ ...stale, runs })).report).reason).not.toContain("DB");
  });

  it("portcullis evaluate reads versions/trivy.txt from the reports directory", async () => {
    const dir = tempDir();
    const reports = path.join(dir, "reports");
    mkdirSync(path.join(reports, "versions"), { recursive: true });
    writeFileSync(path.join(reports, "trivy.json"), readFixture("trivy.clean.json"));
    writeFileSync(
      path.join(reports, "versions", "trivy.txt"),
      `${JSON.stringify({ Version: "0.58.1", VulnerabilityDB: { Version: 2, UpdatedAt: "2020-01-01T00:00:00Z", NextUpdate: "2020-01-02T00:00:00Z" } })}\n`,
    );
    const environment = path.join(dir, "env.yml");
    writeFileSync(environment, "name: dbcheck\ngates:\n  vulnerabilities:\n    max_db_age: 720h\n");
    const result = await run(["evaluate", "--env", environment, "--reports", "reports", "--format", "json"], {
      cwd: dir,
    });
    const verdict = vulnerabilities(reportOf(result));
    expect(verdict.status).toBe("error");
    expect(verdict.reason).toMatch(/older than max_db_age 720h/);
  });
});

function readFixture(name: string): string {
  return readFileSync(fixture(name), "utf8");
}
