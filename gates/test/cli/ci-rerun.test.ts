import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Report } from "../../src/model/report.js";
import { findOnPath } from "../../src/runner/spawn.js";
import { TOOL_SOURCES } from "../../src/tools/install-sources.js";
import { run, tempDir } from "./cli-harness.js";

/**
 * `portcullis ci` run twice in a row on a repository with no Portcullis files (built-in policy), no
 * .gitignore and no scanners: the second run must judge exactly what the first did, although the
 * first left its summary.md, SARIF and HTML in reports/ inside the tree.
 */

function repository(): string {
  const dir = tempDir("portcullis-rerun-");
  mkdirSync(path.join(dir, "docs"));
  writeFileSync(path.join(dir, "README.md"), "# App\n\nSee [the guide](docs/guide.md).\n");
  writeFileSync(path.join(dir, "docs", "guide.md"), "# Guide\n\nHow to run it.\n");
  return dir;
}

async function ciReport(dir: string, env: Record<string, string>): Promise<Report> {
  lastStdout = (await run(["ci", "--env", "production"], { cwd: dir, env })).stdout;
  return Report.parse(JSON.parse(readFileSync(path.join(dir, "reports", "report.json"), "utf8")));
}

/** What the last ciReport printed. */
let lastStdout = "";

/** What a run judged: every finding's fingerprint and every gate's status and measure. */
function judged(report: Report): unknown {
  return {
    findings: report.findings.map((finding) => finding.fingerprint).sort(),
    verdicts: report.verdicts.map(
      (verdict) => `${verdict.gate} ${verdict.status} ${JSON.stringify(verdict.evidence.counted)}`,
    ),
  };
}

describe("portcullis ci, twice in a row", () => {
  it("judges the same findings: its own reports folder is never judged", async () => {
    const dir = repository();
    const env = { PATH: "", HOME: dir };
    const first = await ciReport(dir, env);
    const second = await ciReport(dir, env);
    expect(first.policySource).toMatch(/^built-in production policy of portcullis /);
    // The compliance controls resolve the same way: no .portcullis/controls.yml, so the built-in set.
    expect(lastStdout).toContain("Note: compliance controls: the built-in set of portcullis");
    expect(judged(second)).toEqual(judged(first));
    // The validate stage itself never reads the reports folder (not only the judging after it).
    const validate = z
      .object({ filesScanned: z.number(), findings: z.array(z.object({ location: z.object({ path: z.string() }) })) })
      .parse(JSON.parse(readFileSync(path.join(dir, "reports", "validate.json"), "utf8")));
    expect(validate.filesScanned).toBe(2);
    expect(validate.findings.filter((finding) => finding.location.path.startsWith("reports/"))).toEqual([]);
    const documentation = second.verdicts.find((verdict) => verdict.gate === "documentation");
    expect(documentation?.status).toBe("pass");
  });

  /** A gitleaks on PATH that writes these leaks (file and line each) and exits 42, as the real one does with leaks. */
  function fakeGitleaks(dir: string, leaks: readonly [string, number][]): string {
    const bin = path.join(dir, ".bin");
    mkdirSync(bin);
    const leak = (file: string, line: number) => ({
      RuleID: "generic-api-key",
      Description: "Generic API key",
      StartLine: line,
      EndLine: line,
      StartColumn: 1,
      EndColumn: 10,
      Match: "key = REDACTED",
      Secret: "REDACTED",
      File: file,
      SymlinkFile: "",
      Commit: "",
      Entropy: 4.1,
      Author: "",
      Email: "",
      Date: "",
      Message: "",
      Tags: [],
      Fingerprint: `${file}:generic-api-key:${line}`,
    });
    writeFileSync(path.join(dir, "leaks.json"), JSON.stringify(leaks.map(([file, line]) => leak(file, line))));
    writeFileSync(
      path.join(bin, "gitleaks"),
      [
        "#!/bin/sh",
        // The runner asks for the version first: answer as the pinned gitleaks does.
        `if [ "$1" = "version" ]; then echo '${TOOL_SOURCES.gitleaks.version}'; exit 0; fi`,
        'out=""; prev=""',
        'for arg in "$@"; do if [ "$prev" = "--report-path" ]; then out="$arg"; fi; prev="$arg"; done',
        `"${findOnPath("cp", process.env) ?? "/bin/cp"}" "${path.join(dir, "leaks.json")}" "$out"`,
        "exit 42",
        "",
      ].join("\n"),
    );
    chmodSync(path.join(bin, "gitleaks"), 0o755);
    return bin;
  }

  it("leaves out a scanner's findings inside the reports folder and says so", async () => {
    const dir = repository();
    // One file of the repository and one of the previous run's outputs.
    const bin = fakeGitleaks(dir, [
      ["src/app.ts", 3],
      ["reports/report.html", 40],
    ]);
    const result = await run(["ci", "--env", "production"], {
      cwd: dir,
      env: { PATH: bin, HOME: dir },
    });
    expect(result.stdout).toContain(
      "Note: 1 finding(s) in the reports folder reports not judged (Portcullis' own output)",
    );
    const judgedReport = Report.parse(JSON.parse(readFileSync(path.join(dir, "reports", "report.json"), "utf8")));
    expect(judgedReport.findings.map((finding) => finding.location?.path)).toEqual(["src/app.ts"]);
  });

  it("a tool whose only findings were in the reports folder still found something: its exit code is no contradiction", async () => {
    const dir = repository();
    const bin = fakeGitleaks(dir, [["reports/report.html", 40]]);
    const result = await run(["ci", "--env", "production", "--gate", "secrets"], {
      cwd: dir,
      env: { PATH: bin, HOME: dir },
    });
    const judged = Report.parse(JSON.parse(readFileSync(path.join(dir, "reports", "report.json"), "utf8")));
    expect(judged.tools.find((tool) => tool.kind === "gitleaks")).toMatchObject({ exitCode: 42 });
    expect(judged.tools.find((tool) => tool.kind === "gitleaks")?.error).toBeUndefined();
    expect(judged.verdicts.find((verdict) => verdict.gate === "secrets")?.status, result.stdout).toBe("pass");
  });

  it("refuses a reports folder another running ci holds (exit 2), and takes over one whose holder is gone", async () => {
    const dir = repository();
    mkdirSync(path.join(dir, "reports"));
    const lock = path.join(dir, "reports", ".portcullis-ci.lock");
    const holder = spawn(findOnPath("sleep", process.env) ?? "/bin/sleep", ["30"], { stdio: "ignore" });
    try {
      writeFileSync(lock, `${holder.pid}\n`);
      const held = await run(["ci", ".", "--env", "production"], { cwd: dir, env: { HOME: dir } });
      expect(held.code).toBe(2);
      expect(held.stderr).toContain(`another portcullis ci (pid ${holder.pid}) is writing to reports`);
    } finally {
      holder.kill();
    }
    await new Promise((resolve) => holder.once("exit", resolve));
    const after = await run(["ci", ".", "--env", "production"], { cwd: dir, env: { HOME: dir } });
    expect(after.stderr).not.toContain("another portcullis ci");
    expect(existsSync(path.join(dir, "reports", "report.json"))).toBe(true);
    expect(existsSync(lock)).toBe(false);
    expect(after.stdout).not.toContain(".portcullis-ci.lock");
  });

  it.each([["."], [".."], ["link-to-here"]])(
    "refuses --out %s, which holds the folder being checked (exit 2): its files stay",
    async (out) => {
      const dir = repository();
      writeFileSync(path.join(dir, "k6.json"), "{}\n");
      // A link to the checked folder is the same folder: ci would clear the repository's own files.
      symlinkSync(".", path.join(dir, "link-to-here"));
      const result = await run(["ci", ".", "--env", "production", "--out", out], { cwd: dir, env: { HOME: dir } });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--out ${JSON.stringify(out)} holds the folder being checked`);
      expect(readFileSync(path.join(dir, "k6.json"), "utf8")).toBe("{}\n");
    },
  );
});
