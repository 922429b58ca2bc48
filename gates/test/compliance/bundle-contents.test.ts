import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ledgerExcerpt, parseReportDocument, scrubbedFiles } from "../../src/compliance/bundle-contents.js";
import { packBundle, verifyBundle, type EvidenceFile } from "../../src/compliance/evidence.js";
import { chainEntries } from "../../src/deploy/ledger.js";
import { isPortcullisError } from "../../src/errors.js";
import { ledgerEntry } from "./bundle-fixtures.js";

describe("ledgerExcerpt", () => {
  const { lines } = chainEntries(null, [
    ledgerEntry("deploy_started", "d1", "aaa"),
    ledgerEntry("deploy_started", "d2", "bbb"),
    ledgerEntry("deploy_finished", "d2", null),
    ledgerEntry("deploy_finished", "d1", null),
  ]);

  it("keeps the exact stored lines of the commit's deploys, in ledger order", () => {
    const excerpt = ledgerExcerpt(lines, "bbb");
    const stored = lines.split("\n");
    expect(excerpt).toEqual({ lines: `${stored[1]}\n${stored[2]}\n`, total: 4, selected: 2 });
  });

  it("selects nothing without a commit, or for a commit never deployed; skips damaged lines", () => {
    expect(ledgerExcerpt(lines, undefined)).toEqual({ lines: "", total: 4, selected: 0 });
    expect(ledgerExcerpt(lines, "ccc").selected).toBe(0);
    expect(ledgerExcerpt(`${lines}{"truncated":\n`, "aaa")).toMatchObject({ total: 4, selected: 2 });
  });
});

describe("parseReportDocument", () => {
  it.each([
    ["{", "REPORT_MALFORMED", /not valid JSON/],
    ['{"schema":"portcullis.report/v2"}', "REPORT_INVALID", /not a portcullis\.report\/v2 document: /],
  ])("refuses %j with %s", (text, code, message) => {
    const error = (() => {
      try {
        return parseReportDocument(text, "reports/report.json");
      } catch (caught) {
        return caught;
      }
    })();
    expect(isPortcullisError(error) && error.code).toBe(code);
    expect(isPortcullisError(error) ? error.describe() : "").toMatch(message);
  });
});

describe("evidence bundle: property", () => {
  const arbFiles = fc
    .uniqueArray(
      fc.record({
        path: fc
          .array(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,8}$/), { minLength: 1, maxLength: 3 })
          .map((parts) => `reports/${parts.join("/")}`),
        content: fc.uint8Array({ maxLength: 64 }),
      }),
      { selector: (file) => file.path, minLength: 1, maxLength: 8 },
    )
    // A path cannot be both a file and a folder of the bundle.
    .filter((files) => files.every((a) => files.every((b) => !b.path.startsWith(`${a.path}/`))));

  it("gives the same bytes for the same files in any order, and verifies", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbFiles.chain((files) =>
          fc.tuple(
            fc.constant(files),
            fc.shuffledSubarray(files, { minLength: files.length, maxLength: files.length }),
          ),
        ),
        async ([files, shuffled]: [EvidenceFile[], EvidenceFile[]]) => {
          const options = { environment: "production", commit: "abc", generatedAt: "2026-05-04T10:00:00.000Z" };
          const first = await packBundle(files, options);
          expect(Buffer.from(await packBundle(shuffled, options)).equals(Buffer.from(first))).toBe(true);
          expect((await verifyBundle(first)).ok).toBe(true);
        },
      ),
      { seed: 20_261_124, numRuns: 40 },
    );
  });
});

describe("scrubbedFiles", () => {
  const file = (path: string, text: string) => ({ path, content: Buffer.from(text, "utf8") });
  const textOf = (scrubbed: EvidenceFile | undefined) => Buffer.from(scrubbed?.content ?? []).toString("utf8");

  it("rewrites the string values of the JSON files that hold a secret, and names those it cannot scrub", () => {
    const quoted = 'pa"ss\\word';
    const files = [
      file(
        "trivy.nodb.json",
        JSON.stringify({ "s3cr3t-token-1": 3, Lines: ["ENV TOKEN=s3cr3t-token-1", `RUN x ${quoted}`] }),
      ),
      file("semgrep.json", JSON.stringify({ results: [] })),
      file("k6.log", "token s3cr3t-token-1\n"),
    ];
    // As evaluate takes them: trimmed, and a value too short to be told from ordinary text left alone.
    const result = scrubbedFiles(files, [" s3cr3t-token-1 ", quoted, "a:"]);
    expect(result.redacted).toEqual(["trivy.nodb.json"]);
    expect(result.unscrubbable).toEqual(["k6.log"]);
    // The format's keys are kept, even one equal to a secret.
    expect(JSON.parse(textOf(result.files[0]))).toEqual({
      "s3cr3t-token-1": 3,
      Lines: ["ENV TOKEN=REDACTED", "RUN x REDACTED"],
    });
    expect(result.files[1]).toBe(files[1]);
    expect(scrubbedFiles(files, [])).toEqual({ files, redacted: [], unscrubbable: [] });
  });

  it("scrubs what a tool left visible of a secret it masked in part, and leaves PEM headers alone", () => {
    // Built at run time so that no scanner takes this file for a leak.
    const token = ["xoxb", "263594206564", "2343594206574", "FGqddMF8t7YFRFAyH2Ds2Ebb"].join("-");
    // trivy's secret finding for a Slack bot token: its first 15 characters masked, the rest shown.
    const shown = `${"*".repeat(15)}${token.slice(15)}`;
    const key = ["-----BEGIN", "RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1x2y3z\n-----END RSA PRIVATE KEY-----"].join(" ");
    const files = [
      file("trivy.nodb.json", JSON.stringify({ Match: `SLACK_TOKEN=${shown}`, Cert: "-----BEGIN CERTIFICATE-----" })),
    ];
    const result = scrubbedFiles(files, [token, key]);
    expect(result.redacted).toEqual(["trivy.nodb.json"]);
    const text = textOf(result.files[0]);
    expect(text).not.toContain(token.slice(-12));
    expect(JSON.parse(text)).toEqual({
      Match: `SLACK_TOKEN=${"*".repeat(15)}REDACTED`,
      Cert: "-----BEGIN CERTIFICATE-----",
    });
  });
});
