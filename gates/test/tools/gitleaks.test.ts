import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Finding } from "../../src/findings/finding.js";
import {
  GITLEAKS_EXIT,
  GITLEAKS_IMAGE,
  gitleaks,
  gitleaksSpec,
  gitleaksIgnoredPlaces,
  gitleaksSuppressionOf,
  maskedSecretsIn,
  scannedFile,
} from "../../src/tools/gitleaks.js";
import { anyValue, count, expectFastPathMatchesSchema, mostly } from "./fast-path.js";
import { failure } from "./failure.js";

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/gitleaks/${name}`, import.meta.url), "utf8");

/** The git-history fixture as objects, to be edited by tests. */
function leaks(): Array<Record<string, unknown>> {
  const parsed: unknown = JSON.parse(fixture("leaks.git.json"));
  if (!Array.isArray(parsed)) throw new Error("fixture is not an array");
  return parsed.map((item: unknown) => {
    if (typeof item !== "object" || item === null) throw new Error("fixture item is not an object");
    return { ...item };
  });
}

const PLANTED = ["PLANTEDPLANTEDPLANTED", "hunter2hunter2hunter2", "hunterhunterhunter"];

describe("gitleaks image and exit codes", () => {
  it("pins a v8 release tag whose version matches", () => {
    expect(GITLEAKS_IMAGE.ref).toMatch(/^zricethezav\/gitleaks:v8\.\d+\.\d+$/);
    expect(GITLEAKS_IMAGE.ref.endsWith(`:v${GITLEAKS_IMAGE.version}`)).toBe(true);
  });

  it.each([
    [0, "clean"],
    [GITLEAKS_EXIT.leaks, "findings"],
    [1, "error"],
    [2, "error"],
    [126, "error"],
    [137, "error"],
  ])("exit code %s means %s", (code, meaning) => {
    expect(gitleaks.exitMeaning(code)).toBe(meaning);
  });

  it("uses a leaks exit code distinct from gitleaks' own error code", () => {
    expect(GITLEAKS_EXIT.leaks).not.toBe(GITLEAKS_EXIT.error);
    expect(gitleaks.exitCodes).toBe(GITLEAKS_EXIT);
  });
});

describe("gitleaks argv", () => {
  it("scans a folder with a redacted JSON report and the folder's .gitleaksignore", () => {
    expect(gitleaks.argv.dir({ source: "/src", reportPath: "/out/gitleaks.json" })).toEqual([
      "dir",
      "/src",
      "--report-format",
      "json",
      "--report-path",
      "/out/gitleaks.json",
      "--redact",
      "--no-banner",
      "--exit-code",
      "42",
      "--gitleaks-ignore-path",
      "/src",
    ]);
  });

  it("scans only a pull request's commits, with a baseline, ignore file and config", () => {
    expect(
      gitleaks.argv.git({
        repo: "/repo",
        reportPath: "/out/g.json",
        range: { base: "origin/main", head: "3f2a9c1" },
        baselinePath: "/repo/.gitleaks-baseline.json",
        ignorePath: "/repo/.gitleaksignore",
        configPath: "/repo/.gitleaks.toml",
      }),
    ).toEqual([
      "git",
      "/repo",
      "--log-opts",
      "origin/main..3f2a9c1",
      "--report-format",
      "json",
      "--report-path",
      "/out/g.json",
      "--redact",
      "--no-banner",
      "--exit-code",
      "42",
      "--gitleaks-ignore-path",
      "/repo/.gitleaksignore",
      "--baseline-path",
      "/repo/.gitleaks-baseline.json",
      "--config",
      "/repo/.gitleaks.toml",
    ]);
  });

  it("refuses revisions that would inject git log options", () => {
    const git = (base: string, head: string) => () =>
      gitleaks.argv.git({ repo: ".", reportPath: "r.json", range: { base, head } });
    expect(failure(git("main --all", "HEAD"))).toMatchInlineSnapshot(
      `"[USAGE] gitleaks range base "main --all" is not a plain git revision — fix: pass commit SHAs or branch names (letters, digits, . _ / - ^ ~ @), e.g. the pull request's base and head SHAs"`,
    );
    expect(failure(git("main", "-p"))).toMatchInlineSnapshot(
      `"[USAGE] gitleaks range head "-p" is not a plain git revision — fix: pass commit SHAs or branch names (letters, digits, . _ / - ^ ~ @), e.g. the pull request's base and head SHAs"`,
    );
    expect(failure(git("a..b", "HEAD"))).toMatchInlineSnapshot(
      `"[USAGE] gitleaks range base "a..b" is not a plain git revision — fix: pass commit SHAs or branch names (letters, digits, . _ / - ^ ~ @), e.g. the pull request's base and head SHAs"`,
    );
  });
});

describe("gitleaks JSON", () => {
  const result = gitleaks.parse(fixture("leaks.git.json"), { file: "leaks.git.json" });

  it("makes high secret findings with location, commit and link", () => {
    expect(result.tool).toBe("gitleaks");
    expect(result.format).toBe("gitleaks-json");
    expect(result.toolErrors).toEqual([]);
    expect(result.findings.map((f) => [f.kind, f.severity, f.ruleId, f.location?.path, f.location?.startLine])).toEqual(
      [
        ["secret", "high", "generic-api-key", "src/config/db.ts", 12],
        ["secret", "high", "generic-api-key", "src/config/db.ts", 30],
        ["secret", "high", "generic-api-key", "deploy/values.yaml", 4],
      ],
    );
    expect(result.findings[0]).toMatchObject({
      commit: "0123456789abcdef0123456789abcdef01234567",
      title: "Detected a Generic API Key, potentially exposing access to various services and sensitive operations.",
      message: "gitleaks rule generic-api-key matched a secret at src/config/db.ts:12 in commit 0123456789ab",
      references: ["https://github.com/example/app/blob/0123456789abcdef0123456789abcdef01234567/src/config/db.ts#L12"],
    });
    for (const finding of result.findings) expect(Finding.parse(finding)).toEqual(finding);
  });

  it("replaces the secret inside Match, and the whole snippet when the secret was decoded", () => {
    expect(result.findings.map((f) => f.snippet)).toEqual(['conn = "REDACTED"', 'backup = "REDACTED"', "REDACTED"]);
    expect(result.secrets).toEqual(PLANTED);
    const output = JSON.stringify(result.findings);
    for (const secret of PLANTED) expect(output).not.toContain(secret);
  });

  it("scrubs the secret from every text of its finding, and not the finding's own words", () => {
    const leak = {
      ...leaks()[0],
      Secret: "high",
      Match: 'key = "high"',
      Description: "a high-entropy key",
      File: "high/app.py",
      Link: "https://example.com/high/app.py",
    };
    const [parsed] = gitleaks.parse(JSON.stringify([leak])).findings;
    expect(parsed).toMatchObject({
      kind: "secret",
      severity: "high",
      title: "a REDACTED-entropy key",
      snippet: 'key = "REDACTED"',
      location: { path: "REDACTED/app.py" },
      references: ["https://example.com/REDACTED/app.py"],
    });
    expect(parsed?.message).toMatch(/^gitleaks rule \S+ matched a secret at REDACTED\/app\.py:/);
  });

  it("leaves no piece of a secret that overlaps itself in Match", () => {
    const overlapping = leaks().map((leak) => ({ ...leak, Secret: "abababab", Match: "token=ababababab;" }));
    const snippets = gitleaks.parse(JSON.stringify(overlapping)).findings.map((f) => f.snippet);
    expect(new Set(snippets)).toEqual(new Set(["token=REDACTED;"]));
  });

  it("fingerprints hold no secret, not even its hash, and ignore the secret value", () => {
    const hashes = PLANTED.map((secret) => createHash("sha256").update(secret).digest("hex"));
    for (const { fingerprint } of result.findings) {
      for (const hash of hashes) expect(hash).not.toContain(fingerprint);
    }
    const rotated = leaks().map((leak) => ({ ...leak, Secret: "ROTATEDROTATED", Match: "x = ROTATEDROTATED" }));
    expect(gitleaks.parse(JSON.stringify(rotated)).findings.map((f) => f.fingerprint)).toEqual(
      result.findings.map((f) => f.fingerprint),
    );
  });

  it("fingerprints survive line moves and report order, and tell two hits in one file apart", () => {
    const fingerprints = result.findings.map((f) => f.fingerprint);
    expect(new Set(fingerprints).size).toBe(3);
    const moved = leaks()
      .map((leak) => ({ ...leak, StartLine: Number(leak["StartLine"]) + 100, EndLine: Number(leak["EndLine"]) + 100 }))
      .reverse();
    expect(gitleaks.parse(JSON.stringify(moved)).findings.map((f) => f.fingerprint)).toEqual(
      [...fingerprints].reverse(),
    );
  });

  it("reads the older v8 layout: Description first, no Link, null Tags, Windows path, no commit", () => {
    const old = gitleaks.parse(fixture("leaks.dir-old-layout.json"));
    expect(old.findings).toHaveLength(1);
    expect(old.findings[0]).toMatchObject({
      location: { path: "config/local/settings.yml", startLine: 7 },
      references: [],
      snippet: "auth: REDACTED",
      title: "Generic API Key",
    });
    expect(old.findings[0]?.commit).toBeUndefined();
  });

  it.each([
    ["--redact output", "leaks.redacted.json", 'conn = "REDACTED"'],
    ["a masked baseline", undefined, "************************"],
  ])("keeps the tool's own mask (%s) and records no secret", (_name, file, snippet) => {
    const raw =
      file === undefined
        ? JSON.stringify([
            {
              RuleID: "pypi-upload-token",
              File: "a.go",
              StartLine: 1,
              Match: "************************",
              Secret: "************************",
            },
          ])
        : fixture(file);
    const masked = gitleaks.parse(raw);
    expect(masked.findings[0]?.snippet).toBe(snippet);
    expect(masked.secrets).toEqual([]);
  });

  it("reads a clean run's []", () => {
    expect(gitleaks.parse(fixture("empty.json"))).toEqual({
      tool: "gitleaks",
      format: "gitleaks-json",
      findings: [],
      toolErrors: [],
      secrets: [],
    });
  });
});

describe("gitleaks SARIF", () => {
  const result = gitleaks.parse(fixture("leaks.sarif"));

  it("redacts the snippet (it is the secret) and reports no fake version", () => {
    expect(result.format).toBe("gitleaks-sarif");
    expect(result.toolVersion).toBeUndefined();
    expect(result.findings.map((f) => [f.kind, f.severity, f.snippet, f.commit])).toEqual([
      ["secret", "high", "REDACTED", "0123456789abcdef0123456789abcdef01234567"],
      ["secret", "high", "REDACTED", "0123456789abcdef0123456789abcdef01234567"],
    ]);
    expect(result.secrets).toEqual(PLANTED.slice(0, 2));
    const output = JSON.stringify(result.findings);
    for (const secret of PLANTED) expect(output).not.toContain(secret);
    expect(output).not.toContain("dev@example.invalid");
  });

  it("gives the same fingerprints as the JSON report of the same run", () => {
    const json = gitleaks.parse(fixture("leaks.git.json"));
    expect(result.findings.map((f) => f.fingerprint)).toEqual(json.findings.slice(0, 2).map((f) => f.fingerprint));
  });
});

describe("gitleaks format detection", () => {
  it.each<[string, unknown, string | undefined]>([
    ["a clean run", [], "gitleaks-json"],
    ["findings", [{ RuleID: "jwt" }], "gitleaks-json"],
    ["gitleaks SARIF", { version: "2.1.0", runs: [{ tool: { driver: { name: "gitleaks" } } }] }, "gitleaks-sarif"],
    ["semgrep SARIF", { version: "2.1.0", runs: [{ tool: { driver: { name: "Semgrep OSS" } } }] }, undefined],
    ["semgrep JSON", { results: [], errors: [] }, undefined],
    ["an array of numbers", [1, 2], undefined],
  ])("%s", (_name, document, format) => {
    expect(gitleaks.detect(document)).toBe(format);
  });
});

describe("bad gitleaks input", () => {
  const parse = (raw: string) => () => gitleaks.parse(raw, { file: "gitleaks.json" });

  it("names empty, truncated and foreign reports", () => {
    expect(failure(parse(""))).toMatchInlineSnapshot(
      `"[REPORT_EMPTY] gitleaks.json: the gitleaks report is empty; expected a gitleaks JSON or SARIF report — fix: check that gitleaks v8 ran to completion and wrote its report; a clean run still writes one"`,
    );
    expect(failure(parse('[{"RuleID": "jwt", "File": "a'))).toMatchInlineSnapshot(
      `"[REPORT_MALFORMED] gitleaks.json: the gitleaks report is not valid JSON (Unterminated string in JSON at position 29); starts with "[{\\"RuleID\\": \\"jwt\\", \\"File\\": \\"a" — fix: the file is truncated or is not a gitleaks JSON or SARIF report: re-run gitleaks v8 and let it finish writing"`,
    );
    expect(failure(parse("{}"))).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] gitleaks.json: expected a gitleaks JSON or SARIF report, got an empty JSON object — fix: pass a gitleaks JSON or SARIF report here"`,
    );
    expect(failure(parse('{"version": "1.163.0", "results": [], "errors": []}'))).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] gitleaks.json: expected a gitleaks JSON or SARIF report, got a semgrep JSON report — fix: this looks like a semgrep report: pass it as --report semgrep=<file>, or give the gitleaks report here"`,
    );
    expect(
      failure(parse('{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Semgrep OSS"}}, "results": []}]}')),
    ).toMatchInlineSnapshot(
      `"[REPORT_WRONG_TOOL] gitleaks.json: expected a gitleaks JSON or SARIF report, got a SARIF log from Semgrep OSS — fix: this looks like a semgrep report: pass it as --report semgrep=<file>, or give the gitleaks report here"`,
    );
  });

  it("names the field of a gitleaks report of the wrong shape", () => {
    expect(
      failure(parse('[{"RuleID": "jwt", "File": "a", "StartLine": "3", "Match": "m", "Secret": "s"}]')),
    ).toMatchInlineSnapshot(
      `"[REPORT_INVALID] gitleaks.json: 0.StartLine: the gitleaks report does not match the gitleaks JSON report layout: 0.StartLine: Invalid input: expected number, received string — fix: re-generate the report with gitleaks v8; do not edit reports by hand"`,
    );
    expect(failure(parse('[{"RuleID": "jwt", "File": "a", "StartLine": 3, "Match": "m"}]'))).toMatchInlineSnapshot(
      `"[REPORT_INVALID] gitleaks.json: 0.Secret: the gitleaks report does not match the gitleaks JSON report layout: 0.Secret: Invalid input: expected string, received undefined — fix: re-generate the report with gitleaks v8; do not edit reports by hand"`,
    );
  });
});

describe("gitleaks JSON fast check", () => {
  const leak = fc.record(
    {
      RuleID: mostly(
        fc.oneof(
          { weight: 10, arbitrary: fc.constantFrom("generic-api-key", "aws-access-token") },
          { weight: 1, arbitrary: fc.constant("") },
        ),
      ),
      Description: mostly(fc.string()),
      File: mostly(fc.constantFrom("src/a.py", "C:\\repo\\b.py", "")),
      StartLine: mostly(count),
      EndLine: mostly(count),
      StartColumn: mostly(count),
      EndColumn: mostly(count),
      Match: mostly(fc.constantFrom("key = 'AKIAIOSFODNN7EXAMPLE'", "token: ****", "")),
      Secret: mostly(fc.constantFrom("AKIAIOSFODNN7EXAMPLE", "****", "")),
      Commit: mostly(fc.constantFrom("", "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567")),
      Link: mostly(fc.constantFrom("", "https://github.com/o/r/blob/x/a.py#L1")),
      Entropy: fc.double(),
    },
    // Required members are always written (`maybe` still makes them undefined or wrong).
    { requiredKeys: ["RuleID", "File", "StartLine", "Match", "Secret"] },
  );

  it("accepts only what the schema accepts, and builds the same findings from it", () => {
    expectFastPathMatchesSchema(
      gitleaksSpec({ file: "gitleaks.json" }),
      fc.oneof(
        { weight: 20, arbitrary: fc.array(leak, { minLength: 1, maxLength: 4 }) },
        { weight: 1, arbitrary: anyValue },
      ),
    );
  });
});

describe("maskedSecretsIn", () => {
  const line = fc.string({ unit: "grapheme", maxLength: 30 }).filter((text) => !text.includes("\n"));

  /** A finding as gitleaks reports a masked leak at `start` (bytes) of line `lineNumber` (from 1), columns counted its way. */
  function leakAt(lines: readonly string[], lineNumber: number, before: string, secret: string, after: string) {
    const byteOffset = (text: string): number => Buffer.byteLength(text, "utf8");
    const head = lines.slice(0, lineNumber - 1).join("\n");
    const lineStart = lineNumber === 1 ? 0 : byteOffset(head) + 1;
    const prefix = lines[lineNumber - 1] ?? "";
    const matchStart = lineStart + byteOffset(prefix);
    const matchEnd = matchStart + byteOffset(`${before}${secret}${after}`);
    // gitleaks counts from the newline ending the line before (from the file's start on line 1).
    const base = lineNumber === 1 ? 0 : lineStart - 1;
    const file = [
      ...lines.slice(0, lineNumber - 1),
      `${prefix}${before}${secret}${after}`,
      ...lines.slice(lineNumber),
    ].join("\n");
    const finding = Finding.parse({
      tool: "gitleaks",
      kind: "secret",
      ruleId: "rule",
      severity: "high",
      title: "rule",
      message: "m",
      snippet: `${before}REDACTED${after}`,
      references: [],
      fingerprint: "f",
      location: {
        path: "a.txt",
        startLine: lineNumber,
        endLine: lineNumber,
        startColumn: matchStart - base + 1,
        endColumn: matchEnd - base,
      },
    });
    return { file: scannedFile(Buffer.from(file, "utf8")), finding };
  }

  it("property: reads back the secret of a match anywhere in a file, whatever the characters before it", () => {
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 5 }),
        fc.nat(),
        line,
        line.filter((text) => text.trim() !== "" && !text.includes("REDACTED")),
        line,
        (lines, pick, before, secret, after) => {
          fc.pre(!`${before}${after}`.includes("REDACTED"));
          const lineNumber = (pick % lines.length) + 1;
          const { file, finding } = leakAt(lines, lineNumber, before, secret, after);
          expect(maskedSecretsIn(file, finding)).toContain(secret);
        },
      ),
    );
  });

  it("guesses nothing when the file no longer holds a match of that shape there", () => {
    const { file, finding } = leakAt(["x = 1", "token: "], 2, "key=", "s3cr3t-value", ";");
    expect(maskedSecretsIn(file, finding)).toContain("s3cr3t-value");
    expect(
      maskedSecretsIn(scannedFile(Buffer.from(Buffer.from(file.bytes).toString().replace("key=", "KEY="))), finding),
    ).toEqual([]);
    expect(maskedSecretsIn(scannedFile(file.bytes.subarray(0, 10)), finding)).toEqual([]);
    expect(maskedSecretsIn(file, { ...finding, snippet: "REDACTED twice REDACTED" })).toEqual([]);
    expect(maskedSecretsIn(file, { ...finding, tool: "trivy" })).toEqual([]);
  });
});

describe("gitleaks' own suppressions, for another scanner's secret findings", () => {
  const secretAt = (tool: string, path: string, startLine: number, endLine = startLine): Finding =>
    Finding.parse({
      tool,
      kind: "secret",
      ruleId: "github-pat",
      severity: "critical",
      title: "t",
      message: "m",
      references: [],
      fingerprint: "f",
      location: { path, startLine, endLine },
    });

  it("reads .gitleaksignore's working-tree and history entries, comments and CRLF, file names with colons", () => {
    const commit = "9c508d12b8e73c61af231778054b91c29079fb90";
    const places = gitleaksIgnoredPlaces(
      `# accepted\r\nsrc/a.js:github-pat:3\r\n${commit}:deploy/run.sh:aws-access-token:7\nweird:name.txt:generic-api-key:1\nnot an entry\n`,
    );
    expect([...places].sort()).toEqual(["deploy/run.sh\u00007", "src/a.js\u00003", "weird:name.txt\u00001"].sort());
  });

  it("suppresses another scanner's finding on an allowed or ignored line, never gitleaks' own nor another line", () => {
    const ignored = gitleaksIgnoredPlaces("key.pem:private-key:2\n");
    expect(gitleaksSuppressionOf(secretAt("trivy", "a.js", 1), ['x = "t" // gitleaks:allow'], ignored)).toMatchObject({
      kind: "inSource",
    });
    expect(gitleaksSuppressionOf(secretAt("trivy", "key.pem", 1, 3), ["", "", ""], ignored)).toMatchObject({
      kind: "external",
    });
    expect(gitleaksSuppressionOf(secretAt("trivy", "key.pem", 3), [""], ignored)).toBeUndefined();
    expect(gitleaksSuppressionOf(secretAt("gitleaks", "a.js", 1), ["// gitleaks:allow"], ignored)).toBeUndefined();
  });
});
