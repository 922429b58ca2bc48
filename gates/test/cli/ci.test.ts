import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findOnPath } from "../../src/runner/spawn.js";
import { gitleaks } from "../../src/tools/gitleaks.js";
import { k6 } from "../../src/tools/k6.js";
import { semgrep } from "../../src/tools/semgrep.js";
import { trivy } from "../../src/tools/trivy.js";
import { TOOL_SOURCES } from "../../src/tools/install-sources.js";
import { FIXTURES, fixture, reportOf, run, statuses, tempDir, type CliRun } from "./cli-harness.js";

/**
 * `portcullis ci` against fake tools: small scripts named gitleaks, trivy, semgrep and k6 on a
 * temporary PATH that record their argv, write one of this area's fixtures where the real tool
 * writes its report, and exit with a chosen code.
 */

type ToolName = "gitleaks" | "trivy" | "semgrep" | "k6";

interface FakeTool {
  /** Fixture copied to the report path; undefined writes nothing. */
  report?: string | undefined;
  /** Keep only this many bytes of the report, as a crash mid-write would. */
  truncateTo?: number | undefined;
  exitCode: number;
  /** What it answers to its version command; default: the pinned version. */
  versionOutput?: string | undefined;
}

/** The flag after which each real tool takes its report path. */
const REPORT_FLAG: Readonly<Record<ToolName, string>> = {
  gitleaks: "--report-path",
  trivy: "--output",
  semgrep: "--json-output",
  k6: "--summary-export",
};

const CLEAN: Readonly<Record<ToolName, FakeTool>> = {
  gitleaks: { report: "gitleaks.clean.json", exitCode: 0 },
  trivy: { report: "trivy.clean.json", exitCode: 0 },
  semgrep: { report: "semgrep.clean.json", exitCode: 0 },
  k6: { report: "k6.pass.json", exitCode: 0 },
};

/** What each tool prints for its version command, at the pinned versions. */
const VERSION_OUTPUT: Readonly<Record<ToolName, string>> = {
  gitleaks: TOOL_SOURCES.gitleaks.version,
  // With the DB block evaluate judges (gates.vulnerabilities.max_db_age): built an hour ago.
  trivy: JSON.stringify({
    Version: TOOL_SOURCES.trivy.version,
    VulnerabilityDB: {
      Version: 2,
      UpdatedAt: new Date(Date.now() - 3_600_000).toISOString(),
      NextUpdate: new Date(Date.now() + 3_600_000).toISOString(),
      DownloadedAt: new Date(Date.now() - 3_600_000).toISOString(),
    },
  }),
  semgrep: TOOL_SOURCES.semgrep.version,
  k6: `k6 v${TOOL_SOURCES.k6.version} (commit/devel, go1.26.8, linux/amd64)`,
};

const SHELL_TOOLS = Object.fromEntries(
  ["cat", "head"].map((name) => [name, findOnPath(name, process.env) ?? `/usr/bin/${name}`]),
);

interface Workspace {
  /** The project checked (with environments/, scenarios/ and a README). */
  project: string;
  bin: string;
  log: string;
  env: Record<string, string>;
}

function workspace(tools: Partial<Record<ToolName, FakeTool>>): Workspace {
  const root = tempDir("portcullis-ci-");
  const project = path.join(root, "project");
  const bin = path.join(root, "bin");
  const log = path.join(root, "log");
  for (const dir of [project, bin, log, path.join(project, "environments"), path.join(project, "scenarios")])
    mkdirSync(dir, { recursive: true });
  copyFileSync(
    path.join(FIXTURES, "environments", "gatekeeper.yml"),
    path.join(project, "environments", "gatekeeper.yml"),
  );
  writeFileSync(path.join(project, "scenarios", "smoke.js"), "export default function () {}\n");
  writeFileSync(path.join(project, "README.md"), "# Demo\n\nA small project checked by the host runner tests.\n");
  for (const [name, tool] of Object.entries(tools)) fakeTool(bin, log, name as ToolName, tool);
  return { project, bin, log, env: { PATH: bin, HOME: root } };
}

function fakeTool(bin: string, log: string, name: ToolName, tool: FakeTool): void {
  const copy =
    tool.report === undefined
      ? ":"
      : tool.truncateTo === undefined
        ? `"${SHELL_TOOLS["cat"]}" "${fixture(tool.report)}" > "$out"`
        : `"${SHELL_TOOLS["head"]}" -c ${tool.truncateTo} "${fixture(tool.report)}" > "$out"`;
  const script = [
    "#!/bin/sh",
    // The runner asks each tool for its version first (and trivy again after its scan).
    `if [ "$*" = "${TOOL_SOURCES[name].versionArgv.join(" ")}" ] || [ "$1 $2 $3" = "version --format json" ]; then echo '${tool.versionOutput ?? VERSION_OUTPUT[name]}'; exit 0; fi`,
    `printf '%s\\n' "$@" "${END_OF_RUN}" >> "${log}/${name}.argv"`,
    `printf '%s\\n' "BASE_URL=$BASE_URL" "K6_SUMMARY_PATH=$K6_SUMMARY_PATH" "SLA_P95_MS=$SLA_P95_MS" "PWD=$PWD" > "${log}/${name}.env"`,
    'out=""; prev=""',
    `for arg in "$@"; do if [ "$prev" = "${REPORT_FLAG[name]}" ]; then out="$arg"; fi; prev="$arg"; done`,
    copy,
    'echo "fake tool output line" >&2',
    `exit ${tool.exitCode}`,
    "",
  ].join("\n");
  writeFileSync(path.join(bin, name), script);
  chmodSync(path.join(bin, name), 0o755);
}

/** Ends each run's argv in the log: trivy runs twice (without and with its DB) and may run in parallel. */
const END_OF_RUN = "--end-of-run--";

/** The argv of every run of a tool, in the order they were logged. */
function argvsOf(ws: Workspace, name: ToolName): string[][] {
  return readFileSync(path.join(ws.log, `${name}.argv`), "utf8")
    .split(`${END_OF_RUN}\n`)
    .filter((run) => run !== "")
    .map((run) => run.trimEnd().split("\n"));
}

/** The argv of a tool's last run. */
function argvOf(ws: Workspace, name: ToolName): string[] {
  return argvsOf(ws, name).at(-1) ?? [];
}

async function ci(
  ws: Workspace,
  args: readonly string[],
  options: { isTty?: boolean; env?: Record<string, string> } = {},
): Promise<CliRun> {
  return run(["ci", ws.project, "--env", "gatekeeper", "--format", "json", ...args], {
    cwd: path.dirname(ws.project),
    env: { ...ws.env, ...options.env },
    isTty: options.isTty ?? false,
  });
}

describe("portcullis ci", () => {
  it("runs every stage with the adapters' argv, writes the reports by the contract, and passes when all is clean", async () => {
    const ws = workspace(CLEAN);
    const result = await ci(ws, ["--target", "http://127.0.0.1:9"]);
    const out = path.join(ws.project, "reports");
    expect(readdirSync(out).sort()).toEqual([
      "gitleaks.exitcode",
      "gitleaks.json",
      "junit.xml",
      "k6.exitcode",
      "k6.json",
      "report.html",
      "report.json",
      "report.sarif",
      "semgrep.exitcode",
      "semgrep.json",
      "summary.md",
      "trivy.nodb.exitcode",
      "trivy.nodb.json",
      "trivy.nodb.log",
      "trivy.vuln.exitcode",
      "trivy.vuln.json",
      "trivy.vuln.log",
      "validate.json",
      "versions",
    ]);
    // Each tool's version output, as the Dagger module records it (trivy's after its scan).
    expect(
      Object.fromEntries(
        readdirSync(path.join(out, "versions")).map((name) => [
          name,
          readFileSync(path.join(out, "versions", name), "utf8"),
        ]),
      ),
    ).toEqual({
      "gitleaks.txt": `${VERSION_OUTPUT.gitleaks}\n`,
      "k6.txt": `${VERSION_OUTPUT.k6}\n`,
      "semgrep.txt": `${VERSION_OUTPUT.semgrep}\n`,
      "trivy.txt": `${VERSION_OUTPUT.trivy}\n`,
    });
    const report = reportOf(result);
    expect(statuses(report)).toEqual({
      framework_integrity: "pass",
      documentation: "pass",
      secrets: "pass",
      vulnerabilities: "pass",
      sast: "pass",
      performance: "pass",
      compliance: "disabled",
    });
    expect(result.code).toBe(0);
    expect(argvOf(ws, "gitleaks")).toEqual(
      gitleaks.argv.dir({ source: ".", reportPath: path.join(out, "gitleaks.json") }),
    );
    const trivyCache = path.join(path.dirname(ws.project), ".cache", "trivy");
    expect(argvsOf(ws, "trivy")).toEqual(
      expect.arrayContaining([
        trivy.argv.fs({
          dir: ".",
          output: path.join(out, "trivy.nodb.json"),
          cacheDir: trivyCache,
          scanners: ["secret", "misconfig", "license"],
        }),
        trivy.argv.fs({
          dir: ".",
          output: path.join(out, "trivy.vuln.json"),
          cacheDir: trivyCache,
          scanners: ["vuln"],
        }),
      ]),
    );
    expect(argvsOf(ws, "trivy")).toHaveLength(2);
    expect(argvOf(ws, "semgrep")).toEqual(
      semgrep.argv.scan({ configs: ["p/default"], jsonOutput: path.join(out, "semgrep.json") }),
    );
    expect(argvOf(ws, "k6")).toEqual(
      k6.argv.run({ script: path.join(ws.project, "scenarios", "smoke.js"), summaryExport: path.join(out, "k6.json") }),
    );
    expect(readFileSync(path.join(ws.log, "k6.env"), "utf8")).toBe(
      `BASE_URL=http://127.0.0.1:9\nK6_SUMMARY_PATH=${path.join(out, "k6-summary.json")}\nSLA_P95_MS=200\nPWD=${ws.project}\n`,
    );
    expect(readFileSync(path.join(out, "gitleaks.exitcode"), "utf8")).toBe("0\n");
    expect(report.tools.map((tool) => [tool.kind, tool.label, tool.exitCode])).toEqual([
      ["gitleaks", undefined, 0],
      ["k6", undefined, 0],
      ["semgrep", undefined, 0],
      ["trivy", "nodb", 0],
      ["trivy", "vuln", 0],
      ["validate", undefined, undefined],
    ]);
    expect(Object.keys(report.timings)).toEqual(
      expect.arrayContaining([
        "stage_validate_ms",
        "stage_gitleaks_ms",
        "stage_trivy_ms",
        "stage_semgrep_ms",
        "stage_k6_ms",
      ]),
    );
  });

  it("completes every other stage when one tool is missing, one crashes and the load test has no target", async () => {
    const ws = workspace({
      trivy: { report: "trivy.vulnerable.json", truncateTo: 300, exitCode: 2 },
      semgrep: { report: "semgrep.finding.json", exitCode: 1 },
      k6: CLEAN.k6,
    });
    const result = await ci(ws, []);
    expect(result.code).toBe(1);
    const report = reportOf(result);
    expect(statuses(report)).toEqual({
      framework_integrity: "pass",
      documentation: "pass",
      secrets: "error",
      vulnerabilities: "error",
      // trivy also feeds sast (misconfigurations): its crash leaves sast unjudgeable too.
      sast: "error",
      performance: "error",
      compliance: "disabled",
    });
    expect(report.findings.filter((finding) => finding.gate === "sast").map((finding) => finding.tool)).toEqual([
      "semgrep",
    ]);
    const tool = (kind: string) => report.tools.find((entry) => entry.kind === kind);
    expect(tool("gitleaks")).toMatchObject({
      exitCode: 127,
      error: {
        code: "TOOL_NOT_FOUND",
        message: "gitleaks not found on PATH or in the tools cache",
        fix: "run `npx portcullis tools install`, or run `dagger call ci`, which brings every tool in its pinned image",
      },
    });
    expect(tool("trivy")).toMatchObject({ exitCode: 2, error: { code: "TOOL_FAILED" } });
    expect(tool("k6")).toMatchObject({
      error: { code: "STAGE_UNAVAILABLE", message: "no load target: the load test needs a running service" },
    });
    const out = path.join(ws.project, "reports");
    expect(readFileSync(path.join(out, "gitleaks.exitcode"), "utf8")).toBe("127\n");
    expect(readFileSync(path.join(out, "trivy.nodb.exitcode"), "utf8")).toBe("2\n");
    expect(readFileSync(path.join(out, "semgrep.exitcode"), "utf8")).toBe("1\n");
    expect(existsSync(path.join(out, "k6.json")) || existsSync(path.join(out, "k6.exitcode"))).toBe(false);
    expect(existsSync(path.join(ws.log, "k6.argv"))).toBe(false);
    expect(result.stderr).toMatch(/trivy failed .*exit 2: trivy failed/);
    expect(result.stderr).toContain("trivy | fake tool output line");
  });

  it("leaves a reports directory that `evaluate --reports` judges the same way", async () => {
    const ws = workspace({
      trivy: { report: "trivy.vulnerable.json", truncateTo: 300, exitCode: 2 },
      semgrep: { report: "semgrep.finding.json", exitCode: 1 },
    });
    const fromCi = reportOf(await ci(ws, []));
    const evaluated = await run(["evaluate", "--env", "gatekeeper", "--reports", "reports", "--format", "json"], {
      cwd: ws.project,
    });
    const fromDir = reportOf(evaluated);
    expect(statuses(fromDir)).toEqual(statuses(fromCi));
    expect(fromDir.verdicts.map((verdict) => verdict.blocking)).toEqual(
      fromCi.verdicts.map((verdict) => verdict.blocking),
    );
    expect(fromDir.tools.find((tool) => tool.kind === "gitleaks")?.error?.code).toBe("TOOL_NOT_FOUND");
    expect(evaluated.code).toBe(1);
  });

  it("removes the previous run's reports, so a stage that did not run cannot leave a stale one", async () => {
    const ws = workspace(CLEAN);
    const out = path.join(ws.project, "reports");
    mkdirSync(out);
    copyFileSync(fixture("k6.pass.json"), path.join(out, "k6.json"));
    writeFileSync(path.join(out, "k6.exitcode"), "0\n");
    writeFileSync(path.join(out, "keep-me.txt"), "not a report\n");
    const report = reportOf(await ci(ws, []));
    expect(statuses(report)["performance"]).toBe("error");
    expect(existsSync(path.join(out, "k6.json"))).toBe(false);
    expect(existsSync(path.join(out, "keep-me.txt"))).toBe(true);
  });

  it("prints plain timestamped progress lines outside a terminal", async () => {
    const ws = workspace(CLEAN);
    const result = await ci(ws, ["--target", "http://127.0.0.1:9"]);
    expect(result.stderr).toMatch(/^portcullis ci: gatekeeper, 6 stages, reports in project\/reports$/m);
    for (const id of ["validate", "gitleaks", "trivy", "trivy-vuln", "semgrep", "k6"]) {
      expect(result.stderr).toMatch(new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ${id} started$`, "m"));
      expect(result.stderr).toMatch(new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ${id} ok in \\d`, "m"));
    }
    expect(result.stderr).not.toContain("\u001b[");
  });

  it("prints plain lines in CI even on a terminal, and live lines on a terminal otherwise", async () => {
    const ws = workspace(CLEAN);
    const inCi = await ci(ws, [], { isTty: true, env: { CI: "true", NO_COLOR: "1" } });
    expect(inCi.stderr).not.toContain("\u001b[");
    const live = await ci(ws, [], { isTty: true });
    // ESC [ n A: the live block moving the cursor back up to redraw itself.
    expect(live.stderr).toMatch(new RegExp(`${"\u001b"}\\[\\d+A`));
    expect(live.stderr).toContain("\u001b[32m✔\u001b[0m gitleaks");
  });

  it("uses the repository's own semgrep rules next to the default pack, or --semgrep-config", async () => {
    const ws = workspace(CLEAN);
    writeFileSync(path.join(ws.project, ".semgrep.yml"), "rules: []\n");
    await ci(ws, []);
    expect(argvOf(ws, "semgrep").slice(0, 5)).toEqual(["scan", "--config", "p/default", "--config", "./.semgrep.yml"]);
    mkdirSync(path.join(ws.project, "rules"));
    await ci(ws, ["--semgrep-config", "p/owasp-top-ten", "--semgrep-config", "rules/"]);
    expect(argvOf(ws, "semgrep").slice(0, 5)).toEqual(["scan", "--config", "p/owasp-top-ten", "--config", "rules/"]);
  });

  it("refuses a --semgrep-config rules file that is not there (exit 2) before any stage runs", async () => {
    const ws = workspace(CLEAN);
    const result = await ci(ws, ["--semgrep-config", "./missing-rules.yml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--semgrep-config "\.\/missing-rules\.yml": no such rules file or folder/);
    expect(existsSync(path.join(ws.project, "reports", "gitleaks.json"))).toBe(false);
  });

  it.each([["nope.js"], ["soke"], ["./scenarios"]])(
    "refuses a --scenario %s that names no k6 script (exit 2) before any stage runs",
    async (scenario) => {
      const ws = workspace(CLEAN);
      mkdirSync(path.join(ws.project, "scenarios"), { recursive: true });
      const result = await ci(ws, ["--scenario", scenario, "--target", "http://127.0.0.1:9"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--scenario "${scenario}": no such k6 scenario`);
      expect(existsSync(path.join(ws.project, "reports", "gitleaks.json"))).toBe(false);
    },
  );

  it("names the checked folder's git HEAD as the commit outside GitHub Actions; --commit and $GITHUB_SHA win", async () => {
    const ws = workspace(CLEAN);
    const git = findOnPath("git", process.env);
    if (git === undefined) throw new Error("the test needs git on PATH");
    const inProject = (args: string[]) =>
      execFileSync(git, args, {
        cwd: ws.project,
        encoding: "utf8",
        env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" },
      }).trim();
    inProject(["init", "--quiet"]);
    inProject(["add", "README.md"]);
    inProject(["-c", "user.name=Test", "-c", "user.email=test@example.org", "commit", "--quiet", "-m", "first"]);
    const head = inProject(["rev-parse", "HEAD"]);
    const env = { PATH: `${ws.bin}${path.delimiter}${path.dirname(git)}` };
    expect(reportOf(await ci(ws, [], { env })).commit).toBe(head);
    expect(reportOf(await ci(ws, [], { env: { ...env, GITHUB_SHA: "a".repeat(40) } })).commit).toBe("a".repeat(40));
    expect(reportOf(await ci(ws, ["--commit", "b".repeat(40)], { env })).commit).toBe("b".repeat(40));
  });

  it("leaves the commit out when the checked folder is not a git repository", async () => {
    const ws = workspace(CLEAN);
    const git = findOnPath("git", process.env) ?? "/usr/bin/git";
    const result = await ci(ws, [], { env: { PATH: `${ws.bin}${path.delimiter}${path.dirname(git)}` } });
    expect(reportOf(result).commit).toBeUndefined();
  });

  it("writes to --out instead of dir/reports", async () => {
    const ws = workspace(CLEAN);
    await ci(ws, ["--out", "elsewhere"]);
    expect(existsSync(path.join(path.dirname(ws.project), "elsewhere", "gitleaks.json"))).toBe(true);
    expect(existsSync(path.join(ws.project, "reports"))).toBe(false);
  });

  it("never runs a tool of another major.minor: its gates are `error` naming both versions", async () => {
    const ws = workspace({ ...CLEAN, gitleaks: { ...CLEAN.gitleaks, versionOutput: "7.6.1" } });
    const result = await ci(ws, []);
    expect(result.code).toBe(1);
    const report = reportOf(result);
    expect(statuses(report).secrets).toBe("error");
    expect(existsSync(path.join(ws.log, "gitleaks.argv"))).toBe(false);
    expect(report.tools.find((entry) => entry.kind === "gitleaks")?.error).toMatchObject({
      code: "TOOL_WRONG_VERSION",
      message: `gitleaks 7.6.1 at ${path.join(ws.bin, "gitleaks")}, but Portcullis needs gitleaks 8.30.1 (8.30.x)`,
      fix: expect.stringContaining("npx portcullis tools install gitleaks") as unknown,
    });
  });

  it("does not trust the SBOM of an sbom stage that failed, even when the file it left looks complete", async () => {
    const ws = workspace(CLEAN);
    // trivy killed just after writing a complete CycloneDX SBOM, as SIGKILL or the OOM killer would.
    const trivyScript = path.join(ws.bin, "trivy");
    const original = readFileSync(trivyScript, "utf8");
    writeFileSync(
      trivyScript,
      original.replace(
        'echo "fake tool output line" >&2',
        // A function: in a replacement string `$$` would be one `$`.
        () =>
          `case "$*" in *cyclonedx*) "${findOnPath("cat", process.env) ?? "/bin/cat"}" "${fixture("sbom.cdx.json")}" > "$out"; kill -9 $$;; esac\necho "fake tool output line" >&2`,
      ),
    );
    writeFileSync(
      path.join(ws.project, "environments", "with-sbom.yml"),
      readFileSync(path.join(ws.project, "environments", "gatekeeper.yml"), "utf8")
        .replace("name: gatekeeper", "name: with-sbom")
        .replace("compliance: { enabled: false }", "compliance: { mode: mandatory }"),
    );
    const result = await run(["ci", ws.project, "--env", "with-sbom", "--format", "json"], {
      cwd: path.dirname(ws.project),
      env: ws.env,
      isTty: false,
    });
    expect(argvsOf(ws, "trivy").some((argv) => argv.includes("cyclonedx"))).toBe(true);
    expect(existsSync(path.join(ws.project, "reports", "sbom.cdx.json"))).toBe(true);
    const control = reportOf(result).compliance?.controls.find((entry) => entry.id === "sbom-present");
    expect(control).toMatchObject({ status: "error" });
    expect(control?.details).toMatch(
      /^sbom\.cdx\.json: the sbom stage failed \(.*\): whatever it wrote is not trusted$/,
    );
  });

  it.each([
    [["ci", "no-such-folder", "--env", "gatekeeper"], /"no-such-folder" is not a folder/],
    [["ci", "project", "--env", "gatekeeper", "--target", "127.0.0.1:8080"], /k6 BASE_URL must be an http\(s\) URL/],
    [["ci", "project", "--env", "nowhere"], /unknown environment "nowhere"/],
    [["ci", "project"], /required option '--env <name\|path>' not specified/],
  ])("exits 2 on usage errors, before running anything: %j", async (args, message) => {
    const ws = workspace(CLEAN);
    const result = await run(args, { cwd: path.dirname(ws.project), env: ws.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(readdirSync(ws.log)).toEqual([]);
  });
});
