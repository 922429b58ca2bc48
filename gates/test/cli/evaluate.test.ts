import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Report } from "../../src/model/report.js";
import { renderJson } from "../../src/report/json.js";
import { GATEKEEPER, REPO_ROOT, fixture, reportOf, run, statuses, tempDir } from "./cli-harness.js";

const LEAKED = "ghp_Zq8vK2mWx4Rt6Yu1Io3Pa5Sd7Fg9Hj0Kl2Nb";

/** A reports directory holding one sound report per stage (the leak included). */
function reportsDir(dir: string, overrides: Record<string, string> = {}): string {
  const files: Record<string, string> = {
    "validate.json": "validate.clean.json",
    "gitleaks.json": "gitleaks.leak.json",
    "trivy.fs.json": "trivy.vulnerable.json",
    "semgrep.json": "semgrep.clean.json",
    "k6.json": "k6.pass.json",
    ...overrides,
  };
  const reports = path.join(dir, "reports");
  mkdirSync(reports, { recursive: true });
  for (const [name, source] of Object.entries(files)) copyFileSync(fixture(source), path.join(reports, name));
  return reports;
}

describe("portcullis evaluate", () => {
  it("prints the verdict table and exits 1 when a mandatory gate fails", async () => {
    const dir = tempDir();
    reportsDir(dir);
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Portcullis \S+ · gatekeeper · BLOCKED \(secrets, vulnerabilities\)/);
    expect(result.stdout).toMatch(/^GATE +STATUS +MODE +MEASURED +REASON$/m);
    expect(result.stdout).toMatch(/^secrets +FAIL ✗ +mandatory/m);
    expect(result.stdout).toMatch(/^sast +pass +mandatory/m);
    expect(result.stdout).not.toContain(LEAKED);
    expect(result.stderr).toBe("");
  });

  it("a reports directory that is not there leaves every gate `error`: exit 1 with the reason, not exit 2", async () => {
    const dir = tempDir();
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reprots"], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("Note: cannot read the reports directory reprots: ENOENT");
    expect(result.stdout).toMatch(/^secrets +ERROR ✗/m);
  });

  it("exits 0 when only advisory gates complain", async () => {
    const dir = tempDir();
    reportsDir(dir, { "gitleaks.json": "gitleaks.clean.json", "trivy.fs.json": "trivy.clean.json" });
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--format", "json"], {
      cwd: dir,
    });
    expect(result.code).toBe(0);
    expect(reportOf(result).passed).toBe(true);
  });

  it("judges the shipped development environment by name from the repository root", async () => {
    const dir = tempDir();
    const reports = reportsDir(dir);
    const result = await run(["evaluate", "--env", "development", "--reports", reports, "--format", "json"], {
      cwd: REPO_ROOT,
    });
    const report = reportOf(result);
    expect(report.environment).toBe("development");
    expect(statuses(report)).toMatchObject({ secrets: "fail", vulnerabilities: "fail", framework_integrity: "pass" });
    expect(result.code).toBe(1);
  });

  it("merges several reports of one kind", async () => {
    const dir = tempDir();
    const second = path.join(dir, "second.json");
    writeFileSync(
      second,
      readFileSync(fixture("gitleaks.leak.json"), "utf8").replaceAll("src/config/client.ts", "src/other.ts"),
    );
    const result = await run(
      [
        "evaluate",
        "--env",
        GATEKEEPER,
        "--report",
        `gitleaks=${fixture("gitleaks.leak.json")}`,
        "--report",
        "gitleaks.second=second.json",
        "--format",
        "json",
      ],
      { cwd: dir },
    );
    const report = reportOf(result);
    expect(report.verdicts.find((verdict) => verdict.gate === "secrets")?.evidence.counted.high).toBe(2);
    expect(report.tools.map((tool) => [tool.kind, tool.label, tool.file])).toEqual([
      ["gitleaks", undefined, fixture("gitleaks.leak.json")],
      ["gitleaks", "second", "second.json"],
    ]);
  });

  it("lists what it ignored in a reports directory, and reads .json over .sarif", async () => {
    const dir = tempDir();
    const reports = reportsDir(dir);
    writeFileSync(path.join(reports, "notes.txt"), "hello\n");
    writeFileSync(path.join(reports, "sbom.cdx.json"), "{}\n");
    writeFileSync(path.join(reports, "semgrep.sarif"), "not even json\n");
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports"], { cwd: dir });
    expect(result.stdout).toContain(
      "Ignored: reports/notes.txt (not named <kind>[.<label>].json|.sarif|.exitcode|.log)",
    );
    expect(result.stdout).toContain(
      "Ignored: reports/sbom.cdx.json (not named <kind>[.<label>].json|.sarif|.exitcode|.log)",
    );
    expect(result.stdout).toContain(
      "Ignored: reports/semgrep.sarif (duplicate of semgrep.json (one report per <kind>[.<label>]))",
    );
    expect(result.stdout).toMatch(/^sast +pass/m);
  });

  it("with --format json prints report.json only on stdout, notes on stderr", async () => {
    const dir = tempDir();
    const reports = reportsDir(dir);
    writeFileSync(path.join(reports, "notes.txt"), "hello\n");
    const result = await run(
      ["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--format", "json", "--commit", "abc123"],
      { cwd: dir },
    );
    const report = reportOf(result);
    expect(report.commit).toBe("abc123");
    expect(report.policyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(result.stderr).toContain("Ignored: reports/notes.txt");
  });

  it("takes the commit from GITHUB_SHA when --commit is not given", async () => {
    const dir = tempDir();
    reportsDir(dir);
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--format", "json"], {
      cwd: dir,
      env: { GITHUB_SHA: "0123456789abcdef" },
    });
    expect(reportOf(result).commit).toBe("0123456789abcdef");
  });

  it("writes report.json, report.sarif, summary.md, junit.xml and report.html with --out, scrubbed of secrets", async () => {
    const dir = tempDir();
    reportsDir(dir);
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--out", "out"], { cwd: dir });
    expect(result.stdout).toContain(
      "Wrote out/report.json, out/report.sarif, out/summary.md, out/junit.xml, out/report.html",
    );
    const read = (name: string) => readFileSync(path.join(dir, "out", name), "utf8");
    const report = Report.parse(JSON.parse(read("report.json")));
    expect(report.passed).toBe(false);
    expect(JSON.parse(read("report.sarif"))).toMatchObject({ version: "2.1.0" });
    expect(read("summary.md")).toContain("secrets");
    expect(read("junit.xml").match(/<testcase /g)).toHaveLength(7);
    expect(read("report.html")).toContain('id="gate-secrets"');
    for (const name of ["report.json", "report.sarif", "summary.md", "junit.xml", "report.html"])
      expect(read(name)).not.toContain(LEAKED);
  });

  it("scrubs a secret that is also one of its own words (`pass`, `test`) from the data, and every output stays whole", async () => {
    const dir = tempDir();
    const reports = reportsDir(dir);
    const leak = readFileSync(fixture("gitleaks.leak.json"), "utf8");
    const leaks = ["pass", "test"].map((word) => ({
      ...(JSON.parse(leak) as Record<string, unknown>[])[0],
      Match: `token = "${word}"`,
      Secret: word,
    }));
    writeFileSync(path.join(reports, "gitleaks.json"), JSON.stringify(leaks));
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--out", "out"], {
      cwd: dir,
      env: { GITHUB_ACTIONS: "true" },
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^secrets +FAIL ✗ +mandatory/m);
    expect(result.stdout).toMatch(/^sast +pass +mandatory/m);
    const read = (name: string) => readFileSync(path.join(dir, "out", name), "utf8");
    const report = Report.parse(JSON.parse(read("report.json")));
    expect(report.findings.filter((finding) => finding.tool === "gitleaks").map((finding) => finding.snippet)).toEqual([
      'token = "REDACTED"',
      'token = "REDACTED"',
    ]);
    expect(read("junit.xml").match(/<testcase /g)).toHaveLength(7);
    expect(read("junit.xml")).toMatch(/^<testsuites /m);
    expect(JSON.parse(read("report.sarif"))).toMatchObject({ version: "2.1.0" });
  });

  it("on GitHub Actions prints annotations and appends summary.md to the step summary", async () => {
    const dir = tempDir();
    reportsDir(dir);
    const summary = path.join(dir, "step-summary.md");
    writeFileSync(summary, "# Earlier step\n");
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports"], {
      cwd: dir,
      env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary },
    });
    expect(result.stdout).toMatch(/^::error .*title=.*secrets/m);
    expect(result.stdout).not.toContain(LEAKED);
    const written = readFileSync(summary, "utf8");
    expect(written.startsWith("# Earlier step\n")).toBe(true);
    expect(written).toContain("secrets");
    expect(written).not.toContain(LEAKED);
  });

  it("appends to the step summary the same summary.md that --out writes", async () => {
    const dir = tempDir();
    reportsDir(dir);
    const summary = path.join(dir, "step-summary.md");
    writeFileSync(summary, "# Earlier step\n");
    await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--out", "out"], {
      cwd: dir,
      env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary },
    });
    const written = readFileSync(path.join(dir, "out", "summary.md"), "utf8");
    expect(written).toContain("secrets");
    expect(readFileSync(summary, "utf8")).toBe(`# Earlier step\n${written}`);
  });

  it("on a GitHub runner, only its own annotations are workflow commands, whatever the repository names", async () => {
    const dir = tempDir();
    const reports = reportsDir(dir);
    const semgrep = JSON.parse(readFileSync(fixture("semgrep.finding.json"), "utf8")) as {
      results: { path: string; extra: { message: string } }[];
    };
    semgrep.results[0]!.path = "src/a##[stop-commands]pwned.js";
    semgrep.results[0]!.extra.message = 'eval("##[set-output name=verdict;]passed")';
    writeFileSync(path.join(reports, "semgrep.json"), JSON.stringify(semgrep));
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports"], {
      cwd: dir,
      env: { GITHUB_ACTIONS: "true" },
    });
    expect(result.stdout).toContain("pwned.js");
    // actions/runner's ActionCommand.cs: `::` at a line's start (after white space), `##[` anywhere.
    const commands = result.stdout.split("\n").filter((line) => /^\s*::|##\[/.test(line));
    expect(commands.length).toBeGreaterThan(0);
    for (const line of commands) expect(line).toMatch(/^::(error|warning|notice) /);
    expect(commands.some((line) => line.includes("file=src/a##[stop-commands]pwned.js"))).toBe(true);
  });

  it("on a GitHub runner with --format json, keeps stdout one JSON document and writes the annotations to stderr", async () => {
    const dir = tempDir();
    reportsDir(dir);
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--format", "json"], {
      cwd: dir,
      env: { GITHUB_ACTIONS: "true" },
    });
    expect(result.code).toBe(1);
    expect(reportOf(result).passed).toBe(false);
    expect(result.stderr).toMatch(/^::error .*title=.*secrets/m);
  });

  it("prints no annotations outside GitHub Actions", async () => {
    const dir = tempDir();
    reportsDir(dir);
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports"], {
      cwd: dir,
      env: { GITHUB_ACTIONS: "false" },
    });
    expect(result.stdout).not.toMatch(/^::/m);
  });

  it.each([
    [{}, true],
    [{ NO_COLOR: "1" }, false],
  ])("colours the table on a terminal unless NO_COLOR is set (%j)", async (env, coloured) => {
    const dir = tempDir();
    reportsDir(dir);
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports"], { cwd: dir, env, isTty: true });
    expect(result.stdout.includes("\u001b[")).toBe(coloured);
  });

  it("applies .portcullis/waivers.yml by default", async () => {
    const dir = tempDir();
    reportsDir(dir, { "trivy.fs.json": "trivy.clean.json" });
    mkdirSync(path.join(dir, ".portcullis"));
    const expires = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    writeFileSync(
      path.join(dir, ".portcullis", "waivers.yml"),
      `waivers:\n  - id: W-1\n    rule: github-pat\n    path: "src/config/**"\n    reason: test token of a sandbox account\n    approver: security@example.com\n    expires: "${expires}"\n`,
    );
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--format", "json"], {
      cwd: dir,
    });
    const report = reportOf(result);
    expect(statuses(report)["secrets"]).toBe("pass");
    expect(report.waivers).toEqual([expect.objectContaining({ id: "W-1", matched: 1 })]);
    expect(result.code).toBe(0);
  });

  it("prints an expired waiver that matches nothing, with its fix, and still passes", async () => {
    const dir = tempDir();
    reportsDir(dir, { "gitleaks.json": "gitleaks.clean.json", "trivy.fs.json": "trivy.clean.json" });
    writeFileSync(
      path.join(dir, "waivers.yml"),
      "waivers:\n  - id: W-9\n    rule: no-such-rule\n    reason: old exception\n    approver: security@example.com\n    expires: 2020-01-31\n",
    );
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--waivers", "waivers.yml"], {
      cwd: dir,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^Waivers that cannot be used:\n {2}waivers\[0\] \(id W-9\): expired on 2020-01-31 \(today is \d{4}-\d{2}-\d{2}\) \(matches no finding\)\n {4}fix: fix the finding and remove the waiver, or renew it/m,
    );
  });

  it("counts only new findings against a --baseline", async () => {
    const dir = tempDir();
    reportsDir(dir, { "trivy.fs.json": "trivy.clean.json" });
    await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--out", "previous"], { cwd: dir });
    const result = await run(
      [
        "evaluate",
        "--env",
        GATEKEEPER,
        "--reports",
        "reports",
        "--baseline",
        "previous/report.json",
        "--format",
        "json",
      ],
      {
        cwd: dir,
      },
    );
    const report = reportOf(result);
    expect(statuses(report)["secrets"]).toBe("pass");
    expect(report.findings.find((finding) => finding.ruleId === "github-pat")?.status).toBe("baseline");
    expect(result.code).toBe(0);
  });

  it("reads a large --baseline in a worker thread, and stops with exit 2 when it is broken", async () => {
    const dir = tempDir();
    reportsDir(dir, { "trivy.fs.json": "trivy.clean.json" });
    await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--out", "previous"], { cwd: dir });
    // Over the size from which the baseline is read in the background (16 MB): the previous report
    // and 16,000 more findings, written as evaluate writes report.json.
    const previous = Report.parse(JSON.parse(readFileSync(path.join(dir, "previous", "report.json"), "utf8")));
    const [template] = previous.findings;
    if (template === undefined) throw new Error("the previous report has no finding");
    const padding = Array.from({ length: 16_000 }, (_, index) => ({
      ...template,
      fingerprint: `padding-${index}`,
      message: "x".repeat(1_000),
    }));
    const large = renderJson({ ...previous, findings: [...previous.findings, ...padding] });
    expect(large.length).toBeGreaterThan(16_000_000);
    writeFileSync(path.join(dir, "large.json"), large);
    const args = ["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--format", "json", "--baseline"];
    const result = await run([...args, "large.json"], { cwd: dir });
    expect(reportOf(result).findings.find((finding) => finding.ruleId === "github-pat")?.status).toBe("baseline");
    expect(result.code).toBe(0);

    writeFileSync(path.join(dir, "broken.json"), large.slice(0, -200));
    const broken = await run([...args, "broken.json"], { cwd: dir });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^portcullis: \[BASELINE_INVALID\] broken\.json: not valid JSON/m);
  });

  it("records a bypass the environment allows", async () => {
    const dir = tempDir();
    reportsDir(dir);
    const policy = path.join(dir, "lenient.yml");
    writeFileSync(
      policy,
      "name: lenient\nbypass:\n  allow_mandatory: true\ngates:\n  compliance: { enabled: false }\n",
    );
    const result = await run(
      [
        "evaluate",
        "--env",
        policy,
        "--reports",
        "reports",
        "--bypass",
        "secrets,vulnerabilities",
        "--reason",
        "hotfix",
        "--approver",
        "lead",
        "--format",
        "json",
      ],
      { cwd: dir },
    );
    const report = reportOf(result);
    expect(report.bypasses.map((bypass) => bypass.gate)).toEqual(["secrets", "vulnerabilities"]);
    expect(result.code).toBe(0);
  });
});

describe("usage and configuration errors exit 2", () => {
  it.each([
    [["evaluate", "--env", "gatekeeper"], /no reports given/],
    [["evaluate", "--report", "trivy=x.json"], /required option '--env <name\|path>' not specified/],
    [["evaluate", "--env", "GATE", "--report", "nmap=scan.json"], /unknown report kind "nmap"/],
    [["evaluate", "--env", "GATE", "--report", "trivy"], /expected <kind>=<file>/],
    [["evaluate", "--env", "GATE", "--report", "trivy.Image=x.json"], /unknown report kind "trivy.Image"/],
    [["evaluate", "--env", "GATE", "--reports", ".", "--format", "xml"], /unknown output format/],
    [["evaluate", "--env", "nowhere", "--reports", "."], /unknown environment "nowhere"/],
    [
      ["evaluate", "--env", "GATE", "--reports", ".", "--bypass", "secrets", "--reason", "r", "--approver", "a"],
      /BYPASS_REFUSED.*secrets is mandatory/,
    ],
    [["evaluate", "--env", "GATE", "--reports", ".", "--waivers", "missing.yml"], /WAIVER_INVALID.*file not found/],
    [["evaluate", "--env", "GATE", "--reports", ".", "--baseline", "missing.json"], /BASELINE_INVALID.*file not found/],
    [["evaluate", "--env", "GATE", "--reports", ".", "--frobnicate"], /unknown option '--frobnicate'/],
    [["evaluate", "--env", "GATE", "--reports", ".", "--out", ""], /--out is empty/],
    [["evaluate", "--env", "GATE", "--reports", ".", "--waivers", " "], /--waivers is empty/],
    [
      ["evaluate", "--env", "GATE", "--reports", ".", "--source", "no-such-checkout"],
      /--source "no-such-checkout" is not a folder/,
    ],
  ])("%j", async (args, message) => {
    const dir = tempDir();
    const result = await run(
      args.map((arg) => (arg === "GATE" ? GATEKEEPER : arg)),
      { cwd: dir },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });

  it("an invalid policy file names the key and the fix", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "bad.yml"), "name: bad\ngates:\n  secrets:\n    max_findigns: 0\n");
    const result = await run(["evaluate", "--env", "bad.yml", "--reports", "."], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/POLICY_INVALID.*gates\.secrets\.max_findigns/);
  });

  it("--help lists every flag", async () => {
    const result = await run(["evaluate", "--help"], { cwd: REPO_ROOT });
    expect(result.code).toBe(0);
    for (const flag of [
      "--env",
      "--report",
      "--reports",
      "--baseline",
      "--waivers",
      "--bypass",
      "--reason",
      "--approver",
      "--out",
      "--format",
      "--commit",
    ]) {
      expect(result.stdout).toContain(flag);
    }
  });
});

describe("portcullis evaluate --gate", () => {
  it("judges only the named gates, by the same policy: the others are not evaluated and cannot block", async () => {
    const dir = tempDir();
    reportsDir(dir);
    const secrets = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--gate", "secrets"], {
      cwd: dir,
    });
    expect(secrets.code).toBe(1);
    expect(secrets.stdout).toMatch(/BLOCKED \(secrets\)/);
    const sast = await run(
      [
        "evaluate",
        "--env",
        GATEKEEPER,
        "--reports",
        "reports",
        "--gate",
        "sast,framework_integrity",
        "--format",
        "json",
      ],
      { cwd: dir },
    );
    expect(sast.code).toBe(0);
    const judged = reportOf(sast)
      .verdicts.filter((verdict) => verdict.enabled)
      .map((verdict) => verdict.gate);
    expect(judged.sort()).toEqual(["framework_integrity", "sast"]);
    // The report says it is of some gates only, so no deploy takes it for the environment's gate.
    const report = reportOf(sast);
    expect(report.onlyGates).toEqual(["framework_integrity", "sast"]);
    expect(report.verdicts.find((verdict) => verdict.gate === "secrets")?.reason).toBe(
      "not judged in this run (--gate framework_integrity,sast)",
    );
    expect(report.notices).toContainEqual(expect.stringMatching(/^judged only framework_integrity, sast \(--gate\)/));
  });

  it("refuses a gate that does not exist (exit 2), naming the gates", async () => {
    const dir = tempDir();
    reportsDir(dir);
    const result = await run(["evaluate", "--env", GATEKEEPER, "--reports", "reports", "--gate", "secret"], {
      cwd: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--gate "secret": no such gate');
    expect(result.stderr).toContain("framework_integrity, documentation, secrets");
  });
});
