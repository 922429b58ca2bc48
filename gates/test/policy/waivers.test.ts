import { readFileSync } from "node:fs";
import fc from "fast-check";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import type { Finding } from "../../src/findings/finding.js";
import { findWaiver, parseWaivers, type Waiver } from "../../src/policy/waivers.js";
import { PolicyError, type PolicyProblem } from "../../src/policy/problems.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/policy/${name}`, import.meta.url), "utf8");
const NOW = new Date("2026-03-10T15:30:00Z");
const OPTIONS = { now: NOW, maxDays: 30 };
const DAY = 86_400_000;

function fileError(text: string): string {
  try {
    parseWaivers(text, ".portcullis/waivers.yml", OPTIONS);
  } catch (error) {
    if (error instanceof ConfigError) return error.describe();
    throw error;
  }
  throw new Error("expected the file to be rejected");
}

function finding(
  ruleId: string,
  fingerprint: string,
  path?: string,
): Pick<Finding, "fingerprint" | "ruleId" | "location"> {
  return { ruleId, fingerprint, ...(path === undefined ? {} : { location: { path } }) };
}

const day = (date: Date) => date.toISOString().slice(0, 10);

describe("parseWaivers", () => {
  const parsed = parseWaivers(fixture("waivers.yml"), ".portcullis/waivers.yml", OPTIONS);

  it("keeps the usable waivers, an id for each", () => {
    expect(parsed.waivers.map((waiver) => waiver.id)).toEqual(["W-1", "waivers[1]"]);
    expect(parsed.waivers[1]).toEqual({
      id: "waivers[1]",
      rule: "javascript.lang.security.audit.eval-detected",
      path: "scripts/**",
      reason: "Build scripts run on developer machines only.",
      approver: "bob",
      expires: "2026-03-20",
    });
  });

  it("reports every unusable waiver by name, with its code, path and fix", () => {
    expect(parsed.problems.map((problem) => ({ ...problem.toJSON(), waiver: problem.waiver?.id })))
      .toMatchInlineSnapshot(`
      [
        {
          "code": "WAIVER_EXPIRED",
          "file": ".portcullis/waivers.yml",
          "fix": "fix the finding and remove the waiver, or renew it: a fresh approval and an expires date at most 30 days later",
          "message": "waivers[2] (id W-3): expired on 2026-02-01 (today is 2026-03-10)",
          "path": "waivers.2.expires",
          "waiver": "W-3",
        },
        {
          "code": "WAIVER_INVALID",
          "file": ".portcullis/waivers.yml",
          "fix": "set expires to 2026-03-31 or earlier",
          "message": "waivers[3] (id W-4): expires 92 days after approval (2026-03-01); the limit is 30 days",
          "path": "waivers.3.expires",
          "waiver": "W-4",
        },
        {
          "code": "WAIVER_INVALID",
          "file": ".portcullis/waivers.yml",
          "fix": "waive one finding with fingerprint, or a rule (optionally under a path) with rule; not both",
          "message": "waivers[4] (id W-5): set exactly one of fingerprint or rule",
          "path": "waivers.4",
          "waiver": undefined,
        },
        {
          "code": "WAIVER_INVALID",
          "file": ".portcullis/waivers.yml",
          "fix": "write a non-empty value; use a day that exists (months have 28 to 31 days)",
          "message": "waivers[5] (id W-6): reason: expected a non-empty string; expires: "2026-02-30" is not a calendar date",
          "path": "waivers.5.reason",
          "waiver": undefined,
        },
      ]
    `);
  });

  it("rejects a malformed file as a whole", () => {
    expect(fileError(fixture("waivers-unknown-key.yml"))).toMatchInlineSnapshot(
      `"[WAIVER_INVALID] .portcullis/waivers.yml: waivers.0.expirs: unknown key — did you mean "expires"? — fix: rename it to "expires""`,
    );
    expect(fileError("- id: W-1\n")).toMatchInlineSnapshot(
      `"[WAIVER_INVALID] .portcullis/waivers.yml: (root): expected a mapping, received a list — fix: the file must be a mapping of \`key: value\` lines at the top level"`,
    );
    expect(fileError("waivers:\n  id: W-1\n")).toMatchInlineSnapshot(
      `"[WAIVER_INVALID] .portcullis/waivers.yml: waivers: expected a list, received a mapping — fix: set waivers to a list"`,
    );
    expect(fileError("waivers: []\nowner: security\n")).toMatchInlineSnapshot(
      `"[WAIVER_INVALID] .portcullis/waivers.yml: owner: unknown key — fix: remove it; keys allowed here: waivers"`,
    );
    expect(fileError("waivers:\n  - id: [W-1\n")).toMatchInlineSnapshot(
      `"[WAIVER_INVALID] .portcullis/waivers.yml: YAML syntax error at line 3, column 1: unexpected end of the stream within a flow collection — fix: correct the YAML at line 3, column 1 (indentation, quoting, a missing ":" or closing bracket)"`,
    );
    expect(fileError("# nothing yet\n")).toMatchInlineSnapshot(
      `"[WAIVER_INVALID] .portcullis/waivers.yml: the file is empty — fix: write \`waivers: []\` when there are none"`,
    );
  });

  it("names every problem of every waiver at once when the file must be fixed, not only the first", () => {
    const text = [
      "waivers:",
      "  - id: W-1",
      "    rule: r1",
      "    reson: typo",
      "    approver: alice",
      "    expires: 2026-03-20",
      "  - id: W-2",
      "    rule: r2",
      "    reason: no approver",
      "    expires: 2026-03-20",
      "  - id: W-3",
      "    rule: r3",
      "    reason: bad date",
      "    aprover: bob",
      "    expires: 2026-13-01",
      "  - id: W-4",
      "    rule: r4",
      "    reason: long gone",
      "    approver: carol",
      "    expires: 2025-01-31",
      "",
    ].join("\n");
    let problems: readonly PolicyProblem[] = [];
    try {
      parseWaivers(text, ".portcullis/waivers.yml", OPTIONS);
    } catch (error) {
      if (error instanceof PolicyError) problems = error.problems;
    }
    expect(problems.map((problem) => `${problem.path}: ${problem.message} — fix: ${problem.fix}`)).toEqual([
      'waivers.0.reson: unknown key — did you mean "reason"? — fix: rename it to "reason"',
      "waivers.1.approver: required: expected string — fix: add approver",
      'waivers.2.expires: "2026-13-01" is not a calendar date — fix: use a day that exists (months have 28 to 31 days)',
      'waivers.2.aprover: unknown key — did you mean "approver"? — fix: rename it to "approver"',
      expect.stringMatching(
        /^waivers\.3\.expires: waivers\[3\] \(id W-4\): expired on 2025-01-31 .* — fix: fix the finding and remove the waiver, or renew it/,
      ),
    ]);
  });

  it("accepts an empty list", () => {
    expect(parseWaivers("waivers: []\n", "w.yml", OPTIONS)).toEqual({ waivers: [], problems: [] });
  });

  it.each([
    [
      "approved in the future",
      { approved: "2026-03-11", expires: "2026-03-20" },
      "approved 2026-03-11 is in the future",
    ],
    [
      "expiring 31 days after approval",
      { approved: "2026-03-01", expires: "2026-04-01" },
      "expires 31 days after approval",
    ],
    ["expiring 31 days from today without approval date", { expires: "2026-04-10" }, "expires 31 days after today"],
    ["not a calendar date", { expires: "2026-02-29" }, '"2026-02-29" is not a calendar date'],
    ["a timestamp instead of a date", { expires: "2026-03-20T00:00:00Z" }, "expected a date as YYYY-MM-DD"],
    ["a blank reason", { reason: "   " }, "reason: expected a non-empty string"],
    ["a path without rule", { path: "src/**" }, "path narrows a rule waiver"],
    ["neither fingerprint nor rule", { fingerprint: undefined }, "set exactly one of fingerprint or rule"],
  ])("refuses a waiver %s", (_name, change, message) => {
    const entry = { id: "W-9", fingerprint: "abc", reason: "ok", approver: "ann", expires: "2026-03-20", ...change };
    const result = parseWaivers(yaml.dump({ waivers: [entry] }), "w.yml", OPTIONS);
    expect(result.waivers).toEqual([]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.code).toBe("WAIVER_INVALID");
    expect(result.problems[0]?.message).toContain("waivers[0] (id W-9): ");
    expect(result.problems[0]?.message).toContain(message);
  });

  it("refuses the second waiver of a duplicated id, keeping the first", () => {
    const entry = { id: "W-1", fingerprint: "abc", reason: "ok", approver: "ann", expires: "2026-03-20" };
    const result = parseWaivers(yaml.dump({ waivers: [entry, { ...entry, fingerprint: "def" }] }), "w.yml", OPTIONS);
    expect(result.waivers.map((waiver) => waiver.fingerprint)).toEqual(["abc"]);
    expect(result.problems.map((problem) => problem.message)).toEqual([
      "waivers[1] (id W-1): duplicate id, already used by waivers[0] (id W-1)",
    ]);
  });

  it("expires at the end of its expires day (UTC): today still applies, yesterday does not", () => {
    const instant = fc.date({
      min: new Date("2000-01-01T00:00:00Z"),
      max: new Date("2099-12-31T23:59:59Z"),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(instant, (now) => {
        const waiver = (expires: string) =>
          yaml.dump({ waivers: [{ id: "W", rule: "r", reason: "ok", approver: "ann", expires }] });
        const today = parseWaivers(waiver(day(now)), "w.yml", { now, maxDays: 30 });
        expect(today.problems).toEqual([]);
        expect(today.waivers).toHaveLength(1);
        const yesterday = parseWaivers(waiver(day(new Date(now.getTime() - DAY))), "w.yml", { now, maxDays: 30 });
        expect(yesterday.waivers).toEqual([]);
        expect(yesterday.problems.map((problem) => problem.code)).toEqual(["WAIVER_EXPIRED"]);
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it("allows exactly max_days from approval, not one more", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 90 }), fc.integer({ min: 0, max: 90 }), (maxDays, daysAgo) => {
        const approved = new Date(NOW.getTime() - daysAgo * DAY);
        const waiver = (lifetime: number) =>
          yaml.dump({
            waivers: [
              {
                fingerprint: "f",
                reason: "ok",
                approver: "ann",
                approved: day(approved),
                expires: day(new Date(approved.getTime() + lifetime * DAY)),
              },
            ],
          });
        const atLimit = parseWaivers(waiver(maxDays), "w.yml", { now: NOW, maxDays });
        const overLimit = parseWaivers(waiver(maxDays + 1), "w.yml", { now: NOW, maxDays });
        if (maxDays >= daysAgo) expect(atLimit.waivers).toHaveLength(1);
        else expect(atLimit.problems.map((problem) => problem.code)).toEqual(["WAIVER_EXPIRED"]);
        expect(overLimit.waivers).toEqual([]);
      }),
      { seed: 13, numRuns: 200 },
    );
  });
});

describe("findWaiver", () => {
  const waivers: Waiver[] = [
    {
      id: "by-rule-scripts",
      rule: "eval-detected",
      path: "scripts/**",
      reason: "r",
      approver: "a",
      expires: "2026-04-01",
    },
    { id: "by-fingerprint", fingerprint: "fp-1", reason: "r", approver: "a", expires: "2026-04-01" },
    { id: "by-rule-anywhere", rule: "generic-api-key", reason: "r", approver: "a", expires: "2026-04-01" },
    {
      id: "by-rule-dotfiles",
      rule: "dotfile-rule",
      path: "**/*.env",
      reason: "r",
      approver: "a",
      expires: "2026-04-01",
    },
  ];

  it.each([
    ["fingerprint equal", finding("any", "fp-1", "src/a.ts"), "by-fingerprint"],
    [
      "fingerprint first, even when a rule waiver also matches",
      finding("eval-detected", "fp-1", "scripts/x.js"),
      "by-fingerprint",
    ],
    ["rule and path glob", finding("eval-detected", "fp-2", "scripts/build/x.js"), "by-rule-scripts"],
    ["rule, path outside the glob", finding("eval-detected", "fp-2", "src/x.js"), undefined],
    ["rule with a path, finding without location", finding("eval-detected", "fp-2"), undefined],
    ["rule without path, any location", finding("generic-api-key", "fp-3", "deep/dir/file"), "by-rule-anywhere"],
    ["rule without path, no location", finding("generic-api-key", "fp-3"), "by-rule-anywhere"],
    ["globs match dot files", finding("dotfile-rule", "fp-4", "config/.env"), "by-rule-dotfiles"],
    ["rule ids are exact", finding("eval-detected-2", "fp-5", "scripts/x.js"), undefined],
    ["nothing matches", finding("other", "fp-6", "src/x.ts"), undefined],
  ])("%s", (_name, subject, expected) => {
    expect(findWaiver(subject, waivers)?.id).toBe(expected);
  });
});
