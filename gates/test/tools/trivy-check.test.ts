import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPortcullisError } from "../../src/errors.js";
import type { ToolResult } from "../../src/findings/finding.js";
import { trivy } from "../../src/tools/trivy.js";
import { isPlainVulnerabilityResult } from "../../src/tools/trivy-check.js";
import { TrivyResult } from "../../src/tools/trivy-schema.js";
import { parseTrivyStream } from "../../src/tools/trivy-stream.js";

const fixture = readFileSync(new URL("../fixtures/trivy/fs.mixed.json", import.meta.url), "utf8");

async function* once(text: string): AsyncGenerator<string> {
  await Promise.resolve();
  yield text;
}

type Outcome = { result: ToolResult } | { code: string; path: string | undefined; message: string };

async function outcome(run: () => Promise<ToolResult> | ToolResult): Promise<Outcome> {
  try {
    return { result: await run() };
  } catch (error) {
    if (!isPortcullisError(error)) throw error;
    return { code: error.code, path: error.path, message: error.message };
  }
}

/** The streamed outcome equals the whole-text one; syntax errors may word their position differently. */
async function expectStreamLikeParse(text: string): Promise<Outcome> {
  const whole = await outcome(() => trivy.parse(text, { file: "trivy.json" }));
  const streamed = await outcome(() => parseTrivyStream(once(text), { file: "trivy.json" }));
  if ("result" in whole || "result" in streamed) expect(streamed).toEqual(whole);
  else if (whole.code !== "REPORT_MALFORMED") expect(streamed).toEqual(whole);
  else expect({ code: streamed.code, path: streamed.path }).toEqual({ code: whole.code, path: whole.path });
  return whole;
}

const anyValue = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string(), fc.integer(), fc.boolean());
const maybeString = fc.oneof({ weight: 4, arbitrary: fc.string() }, { weight: 1, arbitrary: anyValue });
const maybeStrings = fc.oneof(
  { weight: 4, arbitrary: fc.option(fc.array(fc.string(), { maxLength: 3 }), { nil: null }) },
  { weight: 1, arbitrary: fc.array(anyValue, { maxLength: 2 }) },
  { weight: 1, arbitrary: anyValue },
);
const vulnerability = fc.record(
  {
    VulnerabilityID: maybeString,
    PkgName: maybeString,
    PkgPath: maybeString,
    InstalledVersion: maybeString,
    FixedVersion: maybeString,
    Severity: maybeString,
    Title: maybeString,
    PrimaryURL: maybeString,
    CweIDs: maybeStrings,
    References: maybeStrings,
  },
  { requiredKeys: [] },
);
const entry = fc.record(
  {
    Target: maybeString,
    Class: maybeString,
    Type: maybeString,
    Vulnerabilities: fc.oneof(fc.array(fc.oneof(vulnerability, anyValue), { maxLength: 3 }), anyValue),
    Misconfigurations: fc.oneof(fc.constant([]), fc.constant([{ ID: "DS002", Severity: "HIGH" }]), anyValue),
    Secrets: fc.oneof(fc.constant([]), anyValue),
    Licenses: fc.oneof(fc.constant([]), anyValue),
  },
  { requiredKeys: [] },
);

describe("isPlainVulnerabilityResult", () => {
  it("never accepts an entry the TrivyResult schema refuses", () => {
    fc.assert(
      fc.property(fc.oneof(entry, anyValue, fc.array(entry, { maxLength: 1 })), (value) => {
        if (isPlainVulnerabilityResult(value)) expect(TrivyResult.safeParse(value).success).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it("accepts the vulnerabilities trivy writes, and leaves everything else to the schema", () => {
    const document = JSON.parse(fixture) as { Results: unknown[] };
    const first = document.Results[0] as Record<string, unknown>;
    expect(isPlainVulnerabilityResult(first)).toBe(true);
    expect(isPlainVulnerabilityResult({ ...first, Secrets: [{ RuleID: "aws-access-key-id" }] })).toBe(false);
    expect(isPlainVulnerabilityResult({ ...first, Vulnerabilities: [{ VulnerabilityID: "", PkgName: "a" }] })).toBe(
      false,
    );
  });

  it("keeps the schema's error naming the field when a vulnerability is bad", async () => {
    const bad = fixture.replace('"PkgName": "cross-spawn"', '"PkgName": 7');
    const whole = await expectStreamLikeParse(bad);
    expect(whole).toMatchObject({ code: "REPORT_INVALID", path: "Results.0.Vulnerabilities.0.PkgName" });
  });
});

describe("parseTrivyStream cuts entries by trivy's layout, and falls back to scanning", () => {
  it("reads trivy's indented layout, the compact one and CRLF line ends alike", async () => {
    const indented = await expectStreamLikeParse(fixture);
    const compact = await expectStreamLikeParse(JSON.stringify(JSON.parse(fixture)));
    const crlf = await expectStreamLikeParse(fixture.replaceAll("\n", "\r\n"));
    expect("result" in indented && indented.result.findings.length).toBeGreaterThan(0);
    expect(compact).toEqual(indented);
    expect(crlf).toEqual(indented);
  });

  it("gives the same result when a line inside an entry looks like the entry's end", async () => {
    // Valid JSON whose nested object closes on a line indented like the entry: the cut there does
    // not parse, so the entry (and every later one) is scanned instead.
    const tricky = fixture.replace('"PkgIdentifier": {', '"PkgIdentifier": {\n    "Odd": {\n    },');
    expect(tricky).not.toBe(fixture);
    const outcome = await expectStreamLikeParse(tricky);
    expect(outcome).toEqual(await expectStreamLikeParse(fixture));
  });

  it("fails like trivy.parse when an entry laid out as trivy writes it is broken", async () => {
    const broken = fixture.replace('"InstalledVersion": "7.0.3",', '"InstalledVersion": "7.0.3",,');
    expect(await expectStreamLikeParse(broken)).toMatchObject({ code: "REPORT_MALFORMED" });
  });
});
