import { describe, expect, it } from "vitest";
import { PortcullisError } from "../../src/errors.js";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { escapeData, escapeProperty, renderAnnotations } from "../../src/report/annotations.js";
import { renderJson } from "../../src/report/json.js";
import { renderJunit, xml } from "../../src/report/junit.js";
import { GITHUB_LIMITS } from "../../src/report/limits.js";
import { MARKDOWN_LIMITS, escapeMarkdown, renderMarkdown } from "../../src/report/markdown.js";
import { renderSarif } from "../../src/report/sarif.js";
import { Report } from "../../src/model/report.js";
import { renderText } from "../../src/report/text.js";
import { validateFiles } from "../../src/validate/validate.js";
import { broken, cleanRuns, finding, input, ok, policy } from "../evaluate/helpers.js";
import { realisticReport } from "./realistic-report.js";

/** Untrusted text that tries every trick: HTML, Markdown links and tables, mentions, terminal escapes, workflow commands. */
const HOSTILE =
  "<img src=x onerror=alert(1)> [click](https://evil.example) | **bold** @everyone \u001b[31mred\u001b[0m\n::error::forged, 100%";

function hostileReport(): Report {
  const evil = finding("semgrep", {
    ruleId: "rule|<b>",
    title: HOSTILE,
    message: HOSTILE,
    location: { path: "src/a,b:c%.ts", startLine: 7 },
  });
  return evaluate(input({ runs: cleanRuns().map((run) => (run.run.kind === "semgrep" ? ok("semgrep", [evil]) : run)) }))
    .report;
}

describe("renderers on a realistic report (file snapshots)", () => {
  const report = realisticReport();

  it("report.json", async () => {
    await expect(renderJson(report)).toMatchFileSnapshot("__snapshots__/realistic/report.json");
  });
  it("report.sarif", async () => {
    await expect(`${JSON.stringify(JSON.parse(renderSarif(report)), null, 2)}\n`).toMatchFileSnapshot(
      "__snapshots__/realistic/report.sarif",
    );
  });
  it("summary.md", async () => {
    await expect(renderMarkdown(report)).toMatchFileSnapshot("__snapshots__/realistic/summary.md");
  });
  it("junit.xml", async () => {
    await expect(renderJunit(report)).toMatchFileSnapshot("__snapshots__/realistic/junit.xml");
  });
  it("annotations", async () => {
    await expect(renderAnnotations(report)).toMatchFileSnapshot("__snapshots__/realistic/annotations.txt");
  });
  it("terminal text", async () => {
    await expect(renderText(report)).toMatchFileSnapshot("__snapshots__/realistic/verdicts.txt");
  });
});

describe("report.json", () => {
  it("is the report, valid against its schema", () => {
    const report = realisticReport();
    expect(Report.parse(JSON.parse(renderJson(report)))).toEqual(Report.parse(report));
  });

  it("refuses to write a report that does not match the schema (a bug), naming the field", () => {
    const broken = { ...realisticReport(), passed: "yes" } as unknown as Report;
    expect(() => renderJson(broken)).toThrowError(PortcullisError);
    expect(() => renderJson(broken)).toThrowErrorMatchingInlineSnapshot(
      `[InternalError: report.json does not match its schema: passed: Invalid input: expected boolean, received string]`,
    );
  });
});

describe("summary.md", () => {
  it("escapes untrusted text: no HTML, no links, no broken table, no mentions", () => {
    const markdown = renderMarkdown(hostileReport());
    expect(markdown).not.toContain("<img");
    expect(markdown).not.toContain("](https");
    expect(markdown).not.toContain("**bold**");
    expect(markdown).not.toMatch(/[^\\]@everyone/);
    expect(markdown).not.toContain("\u001b");
    const findingRow = markdown.split("\n").find((line) => line.includes("rule"));
    expect(findingRow?.split(/(?<!\\)\|/).length).toBe(8);
  });

  // `ci` runs the documentation gate over the tree the reports folder may sit in: its own summary
  // must pass that gate's rules (markdownlint included), or a committed or re-scanned one adds findings.
  it.each([
    ["a realistic report", () => realisticReport()],
    ["a report of hostile text", () => hostileReport()],
    ["a clean report", () => evaluate(input({ runs: cleanRuns() })).report],
  ])("passes the documentation gate's own rules for %s", async (_name, build) => {
    const result = await validateFiles({ files: [{ path: "summary.md", content: renderMarkdown(build()) }] });
    expect(result.findings.map((finding) => `${finding.ruleId}: ${finding.message}`)).toEqual([]);
  });

  it("escapeMarkdown keeps the text readable once rendered", () => {
    expect(escapeMarkdown("a_b *c* <d> | e")).toBe("a\\_b \\*c\\* &lt;d&gt; \\| e");
    expect(escapeMarkdown("x".repeat(500), 10)).toBe(`${"x".repeat(9)}…`);
  });

  it("stays far below GitHub's 1 MiB step-summary limit with thousands of long findings", () => {
    const long = "y".repeat(10_000);
    const findings = Array.from({ length: 3000 }, () => finding("trivy", { message: long, title: long }));
    const { report } = evaluate(
      input({ runs: cleanRuns().map((run) => (run.run.kind === "trivy" ? ok("trivy", findings) : run)) }),
    );
    const markdown = renderMarkdown(report);
    expect(Buffer.byteLength(markdown)).toBeLessThan(GITHUB_LIMITS.stepSummaryBytes / 10);
    expect(markdown).toContain(`## Worst findings (${MARKDOWN_LIMITS.findings} of 3000 new)`);
    expect(markdown).toContain("2980 more new findings are in report.json and report.sarif.");
  });
});

describe("junit.xml", () => {
  it("has one test case per gate: fail as failure, error as error, disabled as skipped", () => {
    const junit = renderJunit(realisticReport());
    expect(junit.match(/<testcase /g)).toHaveLength(7);
    expect(junit).toContain('<testsuites name="portcullis" tests="7" failures="4" errors="1" skipped="1">');
    expect(junit).toMatch(
      /name="secrets" time="0">\n {6}<failure message="max_findings 1 \(limit ≤ 0\)" type="mandatory, blocking">/,
    );
    expect(junit).toMatch(/name="sast" time="0">\n {6}<error /);
    expect(junit).toMatch(/name="compliance" time="0">\n {6}<skipped /);
    expect(junit).toMatch(/name="performance" time="0">\n {6}<system-out>pass/);
  });

  it("escapes untrusted text and drops characters XML cannot carry", () => {
    expect(xml(`a<b>&"c'\u0001\ud800`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;\uFFFD\uFFFD");
    const junit = renderJunit(hostileReport());
    expect(junit).not.toContain("<img");
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(junit).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(junit).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expectBalancedTags(junit);
  });
});

describe("GitHub annotations", () => {
  it("escapes messages and properties per the workflow-command rules", () => {
    expect(escapeData("100%\r\nnext")).toBe("100%25%0D%0Anext");
    expect(escapeProperty("a,b:c%")).toBe("a%2Cb%3Ac%25");
    const lines = renderAnnotations(hostileReport()).trimEnd().split("\n");
    const line = lines.find((candidate) => candidate.includes("file="));
    expect(line).toBe(
      "::error file=src/a%2Cb%3Ac%25.ts,title=high rule|<b> (semgrep),line=7::<img src=x onerror=alert(1)> [click](https://evil.example) | **bold** @everyone  [31mred [0m%0A::error::forged, 100%25",
    );
    expect(lines.every((candidate) => /^::(error|warning|notice) /.test(candidate))).toBe(true);
  });

  it("caps each level at GitHub's 10 per step and says how many were left out", () => {
    const findings = Array.from({ length: 30 }, (_, index) =>
      finding("semgrep", { severity: index % 2 === 0 ? "critical" : "low" }),
    );
    const { report } = evaluate(
      input({ runs: cleanRuns().map((run) => (run.run.kind === "semgrep" ? ok("semgrep", findings) : run)) }),
    );
    const lines = renderAnnotations(report).trimEnd().split("\n");
    const count = (level: string) => lines.filter((line) => line.startsWith(`::${level} `)).length;
    // 15 critical and the failed gate (6 left out), 15 low (5 left out, and one more for the last line).
    expect(count("error")).toBe(10);
    expect(count("warning")).toBe(0);
    expect(count("notice")).toBe(10);
    expect(lines.at(-1)).toBe(
      "::notice title=Portcullis::12 more annotations left out (GitHub shows 10 per level and step): see the job summary, report.sarif or report.json",
    );
  });

  it("writes nothing for a clean report", () => {
    expect(renderAnnotations(evaluate(input()).report)).toBe("");
  });

  it("formats only the findings a level can show, however many there are", () => {
    const findings = Array.from({ length: 2_000 }, (_, index) =>
      finding("semgrep", { severity: index % 2 === 0 ? "medium" : "low", location: { path: `src/${index}.ts` } }),
    );
    const { report } = evaluate(
      input({ runs: cleanRuns().map((run) => (run.run.kind === "semgrep" ? ok("semgrep", findings) : run)) }),
    );
    const formatted = new Set<object>();
    const counting = report.findings.map(
      (reported) =>
        new Proxy(reported, {
          get(target, key, receiver) {
            if (key === "message") formatted.add(target);
            return Reflect.get(target, key, receiver) as unknown;
          },
        }),
    );
    const lines = renderAnnotations({ ...report, findings: counting })
      .trimEnd()
      .split("\n");
    // The sast gate's warning, 9 medium; 10 low, less one for the closing line, which counts what was left.
    expect(lines.filter((line) => line.startsWith("::warning ")).length).toBe(10);
    expect(lines.at(-1)).toBe(
      "::notice title=Portcullis::1982 more annotations left out (GitHub shows 10 per level and step): see the job summary, report.sarif or report.json",
    );
    // At most 10 of each severity: no level could show more.
    expect(formatted.size).toBeLessThanOrEqual(20);
  });
});

describe("terminal text", () => {
  it("uses colour only when asked, and never lets report text drive the terminal", () => {
    const report = hostileReport();
    const plain = renderText(report);
    expect(plain).not.toContain("\u001b");
    const coloured = renderText(report, { color: true });
    expect(coloured).toContain("\u001b[31m");
    // eslint-disable-next-line no-control-regex -- removing our own colour codes is the point
    expect(coloured.replace(/\u001b\[(?:0|1|2|31|32|33)m/g, "")).not.toContain("\u001b");
  });
});

describe("terminal text: what a reader sees after the table", () => {
  function textOf(runs: ReturnType<typeof cleanRuns>, gates: Record<string, unknown> = {}): string {
    const judged = evaluate(input({ runs, policy: policy({ gates }) })).report;
    return renderText(judged);
  }
  const replace = (kind: string, run: ReturnType<typeof ok>) =>
    cleanRuns().map((candidate) => (candidate.run.kind === kind ? run : candidate));

  it("lists a tool's error once, not once as the report's problem and again as the tool's message", () => {
    const text = textOf(
      replace(
        "semgrep",
        ok("semgrep", [], { toolErrors: [{ level: "error", message: "File not found: targets/x.py" }] }),
      ),
    );
    expect(text.match(/File not found: targets\/x\.py/g)).toHaveLength(2); // the table's reason and one tool problem
    expect(text).toMatch(/^ {2}error semgrep \(reports\/semgrep\.json\): semgrep reported an error: File not found/m);
  });

  it("summarises a report's warnings: how many, the first three, the rest left to report.json", () => {
    const warnings = Array.from({ length: 20 }, (_, index) => ({
      level: "warning" as const,
      path: `src/generated/file-${index}.ts`,
      message: `Syntax error at line 1: ${"x".repeat(300)}`,
    }));
    const text = textOf(replace("semgrep", ok("semgrep", [], { toolErrors: warnings })));
    const section = text.slice(text.indexOf("Tool problems:"));
    expect(section.split("\n").filter((line) => line.includes("Syntax error"))).toHaveLength(3);
    expect(section).toContain("warning semgrep (reports/semgrep.json): 20 warnings (partial results), the first 3:");
    expect(section).toContain("    … and 17 more in report.json");
    expect(Math.max(...section.split("\n").map((line) => line.length))).toBeLessThanOrEqual(170);
  });

  it("cuts a worst finding's rule id as it cuts its message: a line stays a line", () => {
    const ruleId = `generated-${"r".repeat(10_000)}`;
    const text = textOf(replace("semgrep", ok("semgrep", [finding("semgrep", { ruleId, severity: "high" })])));
    const line = text.split("\n").find((each) => each.includes("generated-rrr")) ?? "";
    expect(line).toContain(`generated-${"r".repeat(80)}`);
    expect(line.length).toBeLessThanOrEqual(260);
  });

  it("says a shared alternative once in a gate's fix (install gitleaks and install trivy, or run …)", () => {
    const missing = (kind: "gitleaks" | "trivy", tool: string) => {
      const run = broken(kind, "TOOL_NOT_FOUND", `${tool} not found on PATH`);
      if ("error" in run && run.error !== undefined) {
        Object.assign(run.error, {
          fix: `install ${tool}, or run \`dagger call ci\`, which brings every tool in its pinned image`,
        });
      }
      return run;
    };
    const runs = [
      ...cleanRuns().filter((run) => run.run.kind !== "gitleaks" && run.run.kind !== "trivy"),
      missing("gitleaks", "gitleaks"),
      missing("trivy", "trivy"),
    ];
    const text = textOf(runs, { secrets: { mode: "mandatory" } });
    const secrets = text.split("\n").find((line) => line.startsWith("  secrets: "));
    expect(secrets).toBe(
      "  secrets: install gitleaks and install trivy, or run `dagger call ci`, which brings every tool in its pinned image",
    );
  });

  it("lists no finding of a gate that is switched off among the worst new findings", () => {
    const leak = finding("gitleaks", { ruleId: "aws-access-token", severity: "critical" });
    const bug = finding("semgrep", { ruleId: "code-string-concat", severity: "medium" });
    const runs = cleanRuns().map((run) =>
      run.run.kind === "gitleaks" ? ok("gitleaks", [leak]) : run.run.kind === "semgrep" ? ok("semgrep", [bug]) : run,
    );
    const text = textOf(runs, { secrets: { enabled: false } });
    const worst = text.slice(text.indexOf("Worst new findings:"));
    expect(worst).toContain("code-string-concat");
    expect(worst).not.toContain("aws-access-token");
  });

  it("shows every performance figure in MEASURED, uncut", () => {
    const k6 = ok("k6");
    if (!("result" in k6) || k6.result.performance === undefined) throw new Error("k6 fixture has metrics");
    k6.result.performance.metrics["http_req_failed"]!.values["rate"] = 0.95;
    const row = textOf(replace("k6", k6))
      .split("\n")
      .find((line) => line.startsWith("performance "));
    expect(row).toContain("requests 1000, p(95) 120ms, p(99) 300ms, failed 0.95, checks 1, k6 thresholds 1/1 passed");
    expect(row).not.toContain("…");
  });
});

/** A minimal well-formedness check: every element opened is closed, in order. */
function expectBalancedTags(document: string): void {
  const stack: string[] = [];
  for (const match of document.matchAll(/<(\/?)([a-zA-Z-]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match;
    if (name === undefined || selfClosing === "/") continue;
    if (closing === "/") expect(stack.pop()).toBe(name);
    else stack.push(name);
  }
  expect(stack).toEqual([]);
}
