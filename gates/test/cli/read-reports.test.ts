import { constants } from "node:buffer";
import { copyFileSync, mkdirSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listReportDir, parseReportFlag, readReport, type ReportParsers } from "../../src/cli/read-reports.js";
import { UsageError } from "../../src/errors.js";
import type { ToolResult } from "../../src/findings/finding.js";
import { reportParsers } from "../../src/tools/index.js";
import { fixture, tempDir } from "./cli-harness.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { cleanRuns, input } from "../evaluate/helpers.js";

describe("parseReportFlag", () => {
  it.each([
    ["trivy=out/trivy.json", { kind: "trivy", label: undefined, shown: "out/trivy.json" }],
    ["trivy.image=img.json", { kind: "trivy", label: "image", shown: "img.json" }],
    ["sarif.codeql=a=b.sarif", { kind: "sarif", label: "codeql", shown: "a=b.sarif" }],
  ])("%s", (value, expected) => {
    expect(parseReportFlag(value, "/work")).toMatchObject({ ...expected, path: path.resolve("/work", expected.shown) });
  });

  it.each(["trivy", "trivy=", "=x.json", "nmap=x.json", "trivy.a.b=x.json", "trivy.IMAGE=x.json", "Trivy=x.json"])(
    "refuses %j",
    (value) => {
      expect(() => parseReportFlag(value, "/work")).toThrow(UsageError);
    },
  );
});

describe("listReportDir", () => {
  it("names files as the user gave the directory", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "r"));
    writeFileSync(path.join(dir, "r", "trivy.image.json"), "{}");
    writeFileSync(path.join(dir, "r", "trivy.image.exitcode"), "0");
    mkdirSync(path.join(dir, "r", "k6.json"));
    const listing = listReportDir("r", dir);
    expect(listing.sources).toEqual([
      {
        kind: "trivy",
        label: "image",
        path: path.join(dir, "r", "trivy.image.json"),
        shown: path.join("r", "trivy.image.json"),
        exitCodePath: path.join(dir, "r", "trivy.image.exitcode"),
      },
    ]);
    expect(listing.problem).toBeUndefined();
  });

  it("reports a directory it cannot read instead of throwing", () => {
    const dir = tempDir();
    const listing = listReportDir("absent", dir);
    expect(listing.sources).toEqual([]);
    expect(listing.problem).toMatch(/^cannot read the reports directory absent: ENOENT/);
  });
});

describe("readReport", () => {
  /** The real parsers, recording which entry point each report went through. */
  function recording(): { parsers: ReportParsers; calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      parsers: {
        parse: (kind, raw, options) => {
          calls.push(`parse ${kind}`);
          return reportParsers.parse(kind, raw, options);
        },
        parseTrivyStream: (chunks, options): Promise<ToolResult> => {
          calls.push("stream trivy");
          return reportParsers.parseTrivyStream(chunks, options);
        },
        logProblems: reportParsers.logProblems,
      },
    };
  }

  it("makes a report too large to read whole a report error (its gate `error`), not a crash", async () => {
    const file = path.join(tempDir(), "semgrep.json");
    // Sparse: the length of a report past the engine's longest string, without the disk it takes.
    writeFileSync(file, "");
    truncateSync(file, constants.MAX_STRING_LENGTH + 100 * 1_048_576);
    const read = await readReport({ kind: "semgrep", path: file, shown: "big/semgrep.json" }, reportParsers);
    if (!("error" in read)) throw new Error("a report too large to read was read");
    expect(read.error.code).toBe("REPORT_INVALID");
    expect(read.error.message).toMatch(
      /^the semgrep report is 612 MB, more than the 512 MB a report read whole can be/,
    );
    expect(read.error.fix).toContain("split the scan into several semgrep reports");
  });

  it("streams trivy reports and reads the others whole", async () => {
    const dir = tempDir();
    const { parsers, calls } = recording();
    for (const [kind, file] of [
      ["trivy", "trivy.vulnerable.json"],
      ["gitleaks", "gitleaks.leak.json"],
    ] as const) {
      copyFileSync(fixture(file), path.join(dir, `${kind}.json`));
      const input = await readReport({ kind, path: path.join(dir, `${kind}.json`), shown: `${kind}.json` }, parsers);
      expect("result" in input && input.result.findings.length).toBe(1);
    }
    expect(calls).toEqual(["stream trivy", "parse gitleaks"]);
  });

  it("adds what the tool's log says to the report's warnings, and says so when the log cannot be read", async () => {
    const dir = tempDir();
    copyFileSync(fixture("trivy.vulnerable.json"), path.join(dir, "trivy.fs.json"));
    writeFileSync(
      path.join(dir, "trivy.fs.log"),
      't\tINFO\tNumber of language-specific files\tnum=1\nt\tERROR\t[terraform parser] Error parsing file\tfile_path="main.tf" err="main.tf:4: Unclosed configuration block"\n',
    );
    // A folder where the log should be: listed by nobody, so given by hand.
    mkdirSync(path.join(dir, "trivy.image.log"));
    copyFileSync(fixture("trivy.vulnerable.json"), path.join(dir, "trivy.image.json"));
    const [fs] = listReportDir(dir, dir).sources;
    const image = {
      kind: "trivy" as const,
      path: path.join(dir, "trivy.image.json"),
      shown: "trivy.image.json",
      logPath: path.join(dir, "trivy.image.log"),
    };
    const warnings = async (source: Parameters<typeof readReport>[0] | undefined) => {
      if (source === undefined) throw new Error("no report listed");
      const read = await readReport(source, reportParsers);
      return "result" in read ? read.result.toolErrors : [];
    };
    expect(await warnings(fs)).toEqual([
      {
        level: "warning",
        message: "trivy: [terraform parser] Error parsing file: main.tf:4: Unclosed configuration block",
        path: "main.tf",
      },
    ]);
    expect(await warnings(image)).toEqual([
      {
        level: "warning",
        message: expect.stringMatching(/^trivy\.image\.log could not be read: /) as unknown,
        path: "trivy.image.log",
      },
    ]);
  });

  it("reads the exit code and leaves its meaning to evaluate, which distrusts the report of a crashed tool", async () => {
    const dir = tempDir();
    const { parsers } = recording();
    copyFileSync(fixture("semgrep.finding.json"), path.join(dir, "semgrep.json"));
    writeFileSync(path.join(dir, "semgrep.exitcode"), "2\n");
    const read = await readReport(
      {
        kind: "semgrep",
        path: path.join(dir, "semgrep.json"),
        shown: "semgrep.json",
        exitCodePath: path.join(dir, "semgrep.exitcode"),
      },
      parsers,
    );
    expect(read.run.exitCode).toBe(2);
    const runs = [...cleanRuns().filter((entry) => entry.run.kind !== "semgrep"), read];
    const { report } = evaluate(input({ runs }));
    expect(report.tools.find((tool) => tool.kind === "semgrep")).toMatchObject({
      exitCode: 2,
      error: {
        code: "TOOL_FAILED",
        message: "semgrep exited with code 2, which means it failed; its report cannot be trusted",
        fix: "read semgrep's log, fix the cause and run it again",
      },
    });
    expect(report.findings.filter((finding) => finding.tool === "semgrep")).toEqual([]);
    expect(report.verdicts.find((verdict) => verdict.gate === "sast")?.status).toBe("error");
  });

  it("reports a folder where a report should be as unreadable (IO), not as a crash of Portcullis", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "gitleaks.json"));
    const input = await readReport(
      { kind: "gitleaks", path: path.join(dir, "gitleaks.json"), shown: "gitleaks.json" },
      reportParsers,
    );
    expect("error" in input && input.error.code).toBe("IO");
  });
});
