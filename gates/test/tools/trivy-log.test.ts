import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { trivyLogProblems } from "../../src/tools/trivy-log.js";

/** Lines as trivy 0.74 writes them (captured from the pinned trivy on broken files). */
const LOG = [
  "2026-12-07T23:20:01Z\tINFO\t[misconfig] Misconfiguration scanning is enabled",
  '2026-12-07T23:20:01Z\tERROR\t[misconfig] Falling back to embedded checks\terr="failed to download checks bundle: download error: OCI repository error: 1 error occurred:\\n\\t* Get \\"https://mirror.gcr.io/v2/\\": dial tcp: lookup mirror.gcr.io: no such host\\n\\n"',
  '2026-12-07T23:20:02Z\tDEBUG\t[terraform parser] Parsing\tmodule="root" file_path="main.tf"',
  '2026-12-07T23:20:02Z\tERROR\t[terraform parser] Error parsing file\tmodule="root" file_path="main.tf" cause="resource \\"x\\" {" err="main.tf:4,14-15: Unclosed configuration block; There is no closing brace for this block before the end of the file."',
  '2026-12-07T23:20:02Z\tERROR\t[terraform parser] Error parsing file\tmodule="root" file_path="main.tf" cause="resource \\"x\\" {" err="main.tf:4,14-15: Unclosed configuration block; There is no closing brace for this block before the end of the file."',
  "2026-12-07T23:19:57Z\tFATAL\tFatal error\trun error: init error: DB error: database error: --skip-db-update cannot be specified on the first run",
  "  --- at github.com/aquasecurity/trivy@v0.74.0/pkg/commands/app.go:389 NewFilesystemCommand.func2()",
  "",
].join("\n");

describe("trivyLogProblems", () => {
  it("turns what trivy logged as errors into warnings, each once, with its cause and file", () => {
    expect(trivyLogProblems(LOG)).toEqual([
      {
        level: "warning",
        message:
          'trivy: [misconfig] Falling back to embedded checks: failed to download checks bundle: download error: OCI repository error: 1 error occurred: * Get "https://mirror.gcr.io/v2/": dial tcp: lookup mirror.gcr.io: no such host',
      },
      {
        level: "warning",
        message:
          "trivy: [terraform parser] Error parsing file: main.tf:4,14-15: Unclosed configuration block; There is no closing brace for this block before the end of the file.",
        path: "main.tf",
      },
      {
        level: "warning",
        message:
          "trivy: Fatal error: run error: init error: DB error: database error: --skip-db-update cannot be specified on the first run",
      },
    ]);
  });

  it("leaves a URL's password out of a warning", () => {
    const line =
      't\tERROR\t[vulndb] Failed to download\terr="GET https://bob:hunter2pass@mirror.example/v2/db: connection refused"';
    expect(trivyLogProblems(line)).toEqual([
      {
        level: "warning",
        message:
          "trivy: [vulndb] Failed to download: GET https://bob:REDACTED@mirror.example/v2/db: connection refused",
      },
    ]);
  });

  it("keeps 50 and counts the rest", () => {
    const many = Array.from(
      { length: 70 },
      (_, index) => `t\tERROR\t[terraform parser] Error parsing file\tfile_path="dir${index}/main.tf" err="bad"`,
    ).join("\n");
    const problems = trivyLogProblems(many);
    expect(problems).toHaveLength(51);
    expect(problems.at(-1)).toEqual({ level: "warning", message: "trivy logged 20 more problems (see its log)" });
  });

  it("reads any text without throwing, into one-line warnings of bounded length", () => {
    const line = fc.oneof(
      fc.string(),
      fc
        .tuple(fc.constantFrom("ERROR", "FATAL", "DEBUG", "WARN", "INFO"), fc.string(), fc.string())
        .map(([level, message, attributes]) => `t\t${level}\t${message}\t${attributes}`),
      fc.string().map((value) => `t\tERROR\tError parsing file\tfile_path=${JSON.stringify(value)} err="x"`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 80 }), (lines) => {
        const problems = trivyLogProblems(lines.join("\n"));
        expect(problems.length).toBeLessThanOrEqual(51);
        for (const problem of problems) {
          expect(problem.level).toBe("warning");
          expect(problem.message).not.toMatch(/[\r\n]/);
          expect(problem.message.length).toBeLessThanOrEqual(400);
        }
      }),
    );
  });
});
