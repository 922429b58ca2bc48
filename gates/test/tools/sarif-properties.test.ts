import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReportError } from "../../src/errors.js";
import { Finding, REPORT_FORMATS, ToolError, type ToolResult } from "../../src/findings/finding.js";
import { REDACTED } from "../../src/findings/redact.js";
import { gitleaks } from "../../src/tools/gitleaks.js";
import { sarif } from "../../src/tools/sarif.js";
import { semgrep } from "../../src/tools/semgrep.js";
import type { ToolAdapter } from "../../src/tools/types.js";

/*
 * Properties shared by the three adapters: whatever the input, the outcome is a typed ReportError
 * or a ToolResult whose findings pass the strict Finding schema; unrecognised JSON never yields a
 * result; and a planted secret never reaches a finding.
 */

const SEED = 20260521;
const read = (path: string): string => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), "utf8");

const ADAPTERS: ReadonlyArray<[string, ToolAdapter, readonly string[]]> = [
  [
    "sarif",
    sarif,
    ["sarif/generic.sarif", "sarif/failed-run.sarif", "sarif/trivy-kinds.sarif", "sarif/multi-run.sarif"],
  ],
  ["gitleaks", gitleaks, ["gitleaks/leaks.git.json", "gitleaks/leaks.dir-old-layout.json", "gitleaks/leaks.sarif"]],
  ["semgrep", semgrep, ["semgrep/scan.json", "semgrep/scan.sarif"]],
];

/** Fails the property unless `run` returns a valid ToolResult or throws a ReportError. */
function expectTypedOutcome(run: () => ToolResult): "result" | "error" {
  let result: ToolResult;
  try {
    result = run();
  } catch (error) {
    expect(error).toBeInstanceOf(ReportError);
    return "error";
  }
  expect(REPORT_FORMATS).toContain(result.format);
  for (const finding of result.findings) expect(Finding.safeParse(finding).error).toBeUndefined();
  for (const toolError of result.toolErrors) expect(ToolError.safeParse(toolError).error).toBeUndefined();
  expect(result.secrets.every((secret) => typeof secret === "string")).toBe(true);
  return "result";
}

describe.each(ADAPTERS)("%s adapter on arbitrary input", (_name, adapter, fixtures) => {
  it("random text ends in a ReportError or a valid result; non-JSON always in REPORT_MALFORMED/EMPTY", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.json()), (raw) => {
        const outcome = expectTypedOutcome(() => adapter.parse(raw));
        let isJson = true;
        try {
          JSON.parse(raw.replace(/^\uFEFF/, ""));
        } catch {
          isJson = false;
        }
        if (!isJson) {
          expect(outcome).toBe("error");
          expect(["REPORT_MALFORMED", "REPORT_EMPTY"]).toContain(reportErrorCode(() => adapter.parse(raw)));
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("JSON the adapter does not recognise never yields a result", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        fc.pre(adapter.detect(value) === undefined);
        expect(reportErrorCode(() => adapter.parse(JSON.stringify(value)))).toBe("REPORT_WRONG_TOOL");
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("mutated valid reports end in a ReportError or a valid result", () => {
    const documents = fixtures.map((path): unknown => JSON.parse(read(path)));
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(
        fc.nat({ max: documents.length - 1 }),
        fc.nat(),
        fc.oneof(
          fc.constant<Mutation>({ op: "delete" }),
          fc.jsonValue().map<Mutation>((value) => ({ op: "replace", value })),
          fc.nat().map<Mutation>((at) => ({ op: "truncate", at })),
        ),
        (which, where, mutation) => {
          const document = documents[which];
          const paths = pathsOf(document);
          const path = paths[where % paths.length] ?? [];
          const raw = applyMutation(document, path, mutation);
          outcomes.add(expectTypedOutcome(() => adapter.parse(raw)));
        },
      ),
      { seed: SEED, numRuns: 400 },
    );
    // Both branches were exercised: the mutations are neither all harmless nor all fatal.
    expect([...outcomes].sort()).toEqual(["error", "result"]);
  });
});

describe("a planted secret never reaches a finding", () => {
  const secretArb = fc.stringMatching(/^[A-Za-z0-9+/=_-]{8,40}$/).map((tail) => `PLANT${tail}`);
  const contextArb = fc.string({ maxLength: 20 });

  it("gitleaks JSON: in Secret, Match and commit message", () => {
    fc.assert(
      fc.property(secretArb, contextArb, contextArb, fc.boolean(), (secret, before, after, decoded) => {
        const match = decoded ? `${before}ZW5jb2RlZA==${after}` : `${before}${secret}${after}`;
        const report = [
          {
            RuleID: "generic-api-key",
            Description: "Generic API Key",
            File: "src/app.ts",
            StartLine: 3,
            Match: match,
            Secret: secret,
            Commit: "0123456789abcdef0123456789abcdef01234567",
            Message: `oops ${secret}`,
          },
        ];
        const result = gitleaks.parse(JSON.stringify(report));
        expect(JSON.stringify(result.findings)).not.toContain(secret);
        expect(result.secrets).toContain(secret);
        if (decoded) expect(result.findings[0]?.snippet).toBe(REDACTED);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("gitleaks SARIF: in the snippet and the message", () => {
    fc.assert(
      fc.property(secretArb, contextArb, (secret, context) => {
        const log = {
          version: "2.1.0",
          runs: [
            {
              tool: { driver: { name: "gitleaks", rules: [{ id: "generic-api-key" }] } },
              results: [
                {
                  ruleId: "generic-api-key",
                  message: { text: `${context} found ${secret}` },
                  locations: [
                    {
                      physicalLocation: {
                        artifactLocation: { uri: "src/app.ts" },
                        region: { startLine: 3, snippet: { text: secret } },
                      },
                    },
                  ],
                  partialFingerprints: { commitSha: "0123456789abcdef0123456789abcdef01234567" },
                },
              ],
            },
          ],
        };
        for (const adapter of [gitleaks, sarif]) {
          const result = adapter.parse(JSON.stringify(log));
          expect(JSON.stringify(result.findings)).not.toContain(secret);
          expect(result.findings[0]?.snippet).toBe(REDACTED);
          expect(result.secrets).toEqual([secret]);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

// --- helpers ---

/** The code of the ReportError `run` throws; undefined when it returns. */
function reportErrorCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ReportError);
    return error instanceof ReportError ? error.code : undefined;
  }
  return undefined;
}

type Mutation = { op: "delete" } | { op: "replace"; value: unknown } | { op: "truncate"; at: number };
type Path = ReadonlyArray<string | number>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every path inside a JSON value, the root included. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const children: Path[] = [];
  if (Array.isArray(value))
    value.forEach((item: unknown, index) => children.push(...pathsOf(item, [...prefix, index])));
  else if (isRecord(value))
    for (const [key, item] of Object.entries(value)) children.push(...pathsOf(item, [...prefix, key]));
  return [prefix, ...children];
}

function applyMutation(document: unknown, path: Path, mutation: Mutation): string {
  if (mutation.op === "truncate") {
    const text = JSON.stringify(document);
    return text.slice(0, mutation.at % (text.length + 1));
  }
  return JSON.stringify(rewrite(document, path, mutation)) ?? "";
}

function rewrite(value: unknown, path: Path, mutation: Mutation): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return mutation.op === "replace" ? mutation.value : undefined;
  const remove = rest.length === 0 && mutation.op === "delete";
  if (Array.isArray(value) && typeof head === "number") {
    return remove
      ? value.filter((_item: unknown, index) => index !== head)
      : value.map((item: unknown, index) => (index === head ? rewrite(item, rest, mutation) : item));
  }
  if (isRecord(value) && typeof head === "string") {
    const entries = Object.entries(value).filter(([key]) => !(remove && key === head));
    return Object.fromEntries(entries.map(([key, item]) => [key, key === head ? rewrite(item, rest, mutation) : item]));
  }
  return value;
}
