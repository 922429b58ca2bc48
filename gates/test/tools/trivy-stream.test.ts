import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPortcullisError } from "../../src/errors.js";
import { Finding, type ToolResult } from "../../src/findings/finding.js";
import { trivy } from "../../src/tools/trivy.js";
import { parseTrivyStream } from "../../src/tools/trivy-stream.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/trivy/${name}`, import.meta.url), "utf8");

/** The text in pieces of `size`, as strings or as UTF-8 bytes cut anywhere (also inside a character). */
async function* pieces(text: string, size: number, bytes: boolean): AsyncGenerator<string | Uint8Array> {
  const data = bytes ? new TextEncoder().encode(text) : text;
  for (let start = 0; start < data.length; start += size) {
    yield data.slice(start, start + size);
    await Promise.resolve();
  }
}

type Outcome = { result: ToolResult } | { code: string; path: string | undefined; message: string };

function settle(run: () => ToolResult): Outcome {
  try {
    return { result: run() };
  } catch (error) {
    if (!isPortcullisError(error)) throw error;
    return { code: error.code, path: error.path, message: error.message };
  }
}

async function settleStream(text: string, size: number, bytes: boolean): Promise<Outcome> {
  try {
    return { result: await parseTrivyStream(pieces(text, size, bytes), { file: "trivy.json" }) };
  } catch (error) {
    if (!isPortcullisError(error)) throw error;
    return { code: error.code, path: error.path, message: error.message };
  }
}

/** The same outcome: equal results, or errors with the same code and path (and text, except syntax errors). */
function expectSameOutcome(streamed: Outcome, whole: Outcome): void {
  if ("result" in whole || "result" in streamed) {
    expect(streamed).toEqual(whole);
    return;
  }
  expect({ code: streamed.code, path: streamed.path }).toEqual({ code: whole.code, path: whole.path });
  if (whole.code !== "REPORT_MALFORMED") expect(streamed.message).toBe(whole.message);
}

async function expectStreamLikeParse(text: string, size: number, bytes: boolean): Promise<Outcome> {
  // Bytes go through UTF-8, which turns a lone surrogate into U+FFFD: compare with the same text.
  const seen = bytes ? new TextDecoder("utf-8", { ignoreBOM: true }).decode(new TextEncoder().encode(text)) : text;
  const whole = settle(() => trivy.parse(seen, { file: "trivy.json" }));
  expectSameOutcome(await settleStream(text, size, bytes), whole);
  return whole;
}

describe("parseTrivyStream against trivy.parse", () => {
  it.each([
    ["fs.mixed.json", 1, false],
    ["fs.mixed.json", 7, true],
    ["fs.mixed.json", 65_536, true],
    ["clean.fs.json", 3, true],
    ["secret.unmasked.json", 11, false],
    ["image.sarif", 5, true],
  ])("%s in pieces of %i (bytes: %s) gives the same result", async (name, size, bytes) => {
    const outcome = await expectStreamLikeParse(fixture(name), size, bytes);
    expect("result" in outcome).toBe(true);
  });

  it("keeps a multi-byte character cut between two byte chunks", async () => {
    const text = fixture("fs.mixed.json").replace("cross-spawn: regular", "cross-spawn — ünïcødé 🐛: regular");
    for (const size of [1, 2, 3, 5]) {
      const outcome = await expectStreamLikeParse(text, size, true);
      expect("result" in outcome && outcome.result.findings[0]?.title).toBe(
        "cross-spawn — ünïcødé 🐛: regular expression denial of service",
      );
    }
  });

  it("reads a report larger than its internal tokenizing slice, with a character cut at the slice edge", async () => {
    const entry = (index: number): object => ({
      Target: `app${index}/package-lock.json`,
      Class: "lang-pkgs",
      Vulnerabilities: [
        {
          VulnerabilityID: "CVE-2024-21538",
          PkgName: "cross-spawn",
          InstalledVersion: "7.0.3",
          Severity: "HIGH",
          Title: "ReDoS",
        },
        {
          VulnerabilityID: "CVE-2025-27789",
          PkgName: "@babel/runtime",
          InstalledVersion: "7.20.0",
          Severity: "MEDIUM",
          Description: "-".repeat(200),
        },
      ],
    });
    const report = JSON.stringify({
      SchemaVersion: 2,
      ArtifactName: ".",
      Results: Array.from({ length: 800 }, (_, index) => entry(index)),
    });
    let text = report;
    const cut = 65_536 - 1;
    const quote = text.indexOf('"Title":"', cut - 2_000) + '"Title":"'.length;
    text = `${text.slice(0, quote)}${"x".repeat(cut - quote)}🐛${text.slice(quote)}`;
    expect(text.charCodeAt(cut)).toBe(0xd83d);
    const outcome = await expectStreamLikeParse(text, text.length, false);
    expect("result" in outcome && outcome.result.findings.length).toBe(1_600);
    expect("result" in outcome && outcome.result.findings.some((finding) => finding.title.includes("🐛"))).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["blank", "  \n\t"],
    ["a byte-order mark only", "\uFEFF"],
    ["a non-breaking space only", "\u00A0"],
    ["truncated", fixture("fs.mixed.json").slice(0, 1_000)],
    ["cut right after the top-level object opens", "{"],
    ["an unterminated top-level string", '"SchemaVersion'],
    ["trailing content after the report", `${fixture("clean.fs.json")} {}`],
    ["two byte-order marks", `\uFEFF\uFEFF${fixture("clean.fs.json")}`],
    ["a byte-order mark", `\uFEFF${fixture("clean.fs.json")}`],
    ["a gitleaks array", '[{"RuleID":"aws-access-token","File":"a.env"}]'],
    ["a top-level null", "null"],
    ["a top-level number", "42"],
    ["an empty object", "{}"],
    ["Results that is not a list", '{"SchemaVersion":2,"ArtifactName":".","Results":{"Target":"x"}}'],
    ["a bad entry and a bad header", '{"Results":[{"Target":1}],"SchemaVersion":3,"ArtifactName":"."}'],
    ["a bad entry before a missing SchemaVersion", '{"Results":[{"Target":1}],"ArtifactName":"."}'],
    ["a bad entry and broken JSON later", '{"SchemaVersion":2,"Results":[{"Target":1}], nope}'],
    [
      "duplicate Results keys (the last wins)",
      '{"SchemaVersion":2,"Results":[{"Target":1}],"Results":[{"Target":"ok"}]}',
    ],
    [
      "a later bad entry after a good one",
      '{"SchemaVersion":2,"Results":[{"Target":"a"},{"Target":"b","Secrets":[{"RuleID":""}]}]}',
    ],
  ])("%s: same outcome as parse", async (_name, text) => {
    for (const [size, bytes] of [
      [1, true],
      [4, false],
      [1_024, true],
    ] as const) {
      await expectStreamLikeParse(text, size, bytes);
    }
  });
});

/*
 * Random trivy-like reports: every kind of result, lists absent or null, unknown keys with arbitrary
 * JSON (which the stream skips without building), secrets masked or not, odd severities.
 */
const text = fc.string({ unit: "grapheme", maxLength: 12 });
const extra = fc.dictionary(
  fc.constantFrom("Layer", "CVSS", "DataSource", "Extra", "Code"),
  fc.jsonValue({ maxDepth: 2 }),
  {
    maxKeys: 2,
  },
);
const severity = fc.constantFrom("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN", "high", "SEVERE");
const vulnerability = fc
  .record(
    {
      VulnerabilityID: fc.constantFrom("CVE-2024-0001", "CVE-2024-0002", "GHSA-abcd-efgh-ijkl"),
      PkgName: fc.constantFrom("left-pad", "@scope/pkg", "openssl"),
      PkgPath: fc.constantFrom("node_modules/a/package.json", "usr/lib/b"),
      InstalledVersion: fc.constantFrom("1.0.0", "2.3.4"),
      FixedVersion: fc.constantFrom("", "1.0.1", "1.0.1, 2.0.0", " , "),
      Severity: severity,
      Title: text,
      Description: text,
      CweIDs: fc.option(fc.array(fc.constantFrom("CWE-79", "CWE-89"), { maxLength: 2 }), { nil: null }),
      References: fc.option(fc.array(fc.webUrl(), { maxLength: 2 }), { nil: null }),
    },
    { requiredKeys: ["VulnerabilityID", "PkgName", "Severity"] },
  )
  .chain((record) => extra.map((more) => ({ ...more, ...record })));
const line = fc.record({ Number: fc.nat(99), Content: text, IsCause: fc.boolean() }, { requiredKeys: [] });
const misconfiguration = fc.record(
  {
    ID: fc.constantFrom("DS002", "KSV-0001", "AVD-AWS-0086", "custom"),
    AVDID: fc.constantFrom("AVD-DS-0002", "AVD-KSV-0001"),
    Title: text,
    Message: text,
    Severity: severity,
    Status: fc.constantFrom("FAIL", "PASS", "EXCEPTION"),
    CauseMetadata: fc.record(
      {
        Resource: fc.constantFrom("aws_s3_bucket.a", "Deployment/web"),
        StartLine: fc.nat(200),
        EndLine: fc.nat(200),
        Code: fc.record({ Lines: fc.option(fc.array(line, { maxLength: 3 }), { nil: null }) }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ["ID", "Severity"] },
);
const secret = fc.record(
  {
    RuleID: fc.constantFrom("aws-access-key-id", "github-pat", "custom"),
    Category: text,
    Severity: severity,
    Title: text,
    StartLine: fc.nat(99),
    EndLine: fc.nat(99),
    Match: fc.oneof(fc.constant("KEY=********************"), text),
    Code: fc.record({ Lines: fc.option(fc.array(line, { maxLength: 3 }), { nil: null }) }),
  },
  { requiredKeys: ["RuleID", "Severity"] },
);
const license = fc.record(
  {
    Name: fc.constantFrom("MIT", "GPL-3.0-only", "AGPL-3.0"),
    Severity: severity,
    Category: fc.constantFrom("notice", "restricted", "forbidden"),
    PkgName: fc.constantFrom("left-pad", "openssl"),
    FilePath: fc.constantFrom("LICENSE", "vendor/x/COPYING"),
    Link: fc.constantFrom("", "https://spdx.org/licenses/MIT.html"),
  },
  { requiredKeys: ["Name", "Severity"] },
);
const list = <T>(item: fc.Arbitrary<T>) => fc.option(fc.array(item, { maxLength: 3 }), { nil: null });
const result = fc.record(
  {
    Target: fc.constantFrom("package-lock.json", "Dockerfile", "app (alpine 3.21)", "src\\win\\go.mod", ""),
    Class: fc.constantFrom("lang-pkgs", "os-pkgs", "config", "secret", "license"),
    Type: fc.constantFrom("npm", "alpine", "dockerfile"),
    Vulnerabilities: list(vulnerability),
    Misconfigurations: list(misconfiguration),
    Secrets: list(secret),
    Licenses: list(license),
    MisconfSummary: fc.record({ Successes: fc.nat(), Failures: fc.nat() }),
  },
  { requiredKeys: ["Target"] },
);
const report = fc.record(
  {
    SchemaVersion: fc.constant(2),
    Trivy: fc.record({ Version: fc.constantFrom("0.74.0", "dev") }),
    ArtifactName: text,
    ArtifactType: fc.constantFrom("filesystem", "container_image", "repository"),
    Metadata: fc.jsonValue({ maxDepth: 3 }),
    Results: fc.array(result, { maxLength: 5 }),
  },
  { requiredKeys: ["SchemaVersion", "ArtifactName"] },
);
const layout = fc.record({
  indent: fc.constantFrom(0, 2, "\t"),
  size: fc.integer({ min: 1, max: 300 }),
  bytes: fc.boolean(),
});

/** A wrong type for one of the string fields, picked among all of them by `at`. */
function retype(raw: string, at: number): string {
  const fields = [...raw.matchAll(/"(Severity|Target|RuleID|Name|VulnerabilityID)": "[^"]*"/g)];
  const field = fields[Math.floor(at * fields.length)];
  if (field === undefined) return raw;
  return `${raw.slice(0, field.index)}"${field[1] ?? ""}": 7${raw.slice(field.index + field[0].length)}`;
}

describe("parseTrivyStream properties", () => {
  it("gives the result trivy.parse gives for any report, however it is cut", async () => {
    await fc.assert(
      fc.asyncProperty(report, layout, async (document, { indent, size, bytes }) => {
        const outcome = await expectStreamLikeParse(JSON.stringify(document, null, indent), size, bytes);
        if ("result" in outcome) for (const finding of outcome.result.findings) Finding.parse(finding);
      }),
      { seed: 20261124, numRuns: 150 },
    );
  });

  it("fails exactly like trivy.parse on mutated and truncated reports", async () => {
    const mutation = fc.record({
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      kind: fc.constantFrom("truncate", "delete", "replace", "retype"),
      char: fc.constantFrom("x", "}", "]", '"', ",", "1", " ", "\u00e9"),
    });
    await fc.assert(
      fc.asyncProperty(report, mutation, layout, async (document, { at, kind, char }, { size, bytes }) => {
        const raw = JSON.stringify(document, null, 2);
        const index = Math.floor(at * raw.length);
        const mutated =
          kind === "truncate"
            ? raw.slice(0, index)
            : kind === "delete"
              ? raw.slice(0, index) + raw.slice(index + 1)
              : kind === "replace"
                ? raw.slice(0, index) + char + raw.slice(index + 1)
                : retype(raw, at);
        const outcome = await expectStreamLikeParse(mutated, size, bytes);
        if ("result" in outcome) for (const finding of outcome.result.findings) Finding.parse(finding);
      }),
      { seed: 424242, numRuns: 200 },
    );
  });

  it("never turns garbage into a result", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.jsonValue().map((value) => JSON.stringify(value) ?? ""),
        ),
        fc.integer({ min: 1, max: 64 }),
        async (garbage, size) => {
          const outcome = await expectStreamLikeParse(garbage, size, false);
          expect("code" in outcome).toBe(true);
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });
});
