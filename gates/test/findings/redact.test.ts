import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { REDACTED, redactBySchema, redactText, scrubList } from "../../src/findings/redact.js";

/**
 * What redactText must return, computed the slow and obvious way: every place where any secret
 * starts, each occurrence a stretch, overlapping stretches merged, each merged stretch REDACTED.
 */
function reference(text: string, secrets: readonly string[]): string {
  const stretches: [number, number][] = [];
  for (const secret of secrets) {
    if (secret === "") continue;
    for (let at = 0; at + secret.length <= text.length; at += 1)
      if (text.startsWith(secret, at)) stretches.push([at, at + secret.length]);
  }
  stretches.sort((a, b) => a[0] - b[0]);
  let out = "";
  let kept = 0;
  for (let index = 0; index < stretches.length;) {
    const [start] = stretches[index] ?? [0, 0];
    let end = stretches[index]?.[1] ?? 0;
    for (index += 1; index < stretches.length && (stretches[index]?.[0] ?? 0) < end; index += 1)
      end = Math.max(end, stretches[index]?.[1] ?? 0);
    out += text.slice(kept, start) + REDACTED;
    kept = end;
  }
  return out + text.slice(kept);
}

/**
 * A small alphabet, so that secrets overlap and repeat; with a letter outside Latin-1, a surrogate
 * pair, a line break and every character regular expressions give a meaning.
 */
const alphabet = fc.constantFrom("a", "b", "Z", "é", "\u4e2d", "😀", "\n", ..."\\^$.*+?()[]{}|/-");
const text = fc.array(alphabet, { maxLength: 120 }).map((chars) => chars.join(""));
const secret = fc.array(alphabet, { minLength: 1, maxLength: 7 }).map((chars) => chars.join(""));

describe("redactText", () => {
  it("replaces each stretch covered by secrets, merged where they overlap, for few and for many secrets", () => {
    fc.assert(
      fc.property(text, fc.array(secret, { minLength: 1, maxLength: 40 }), (value, secrets) => {
        expect(redactText(value, secrets)).toBe(reference(value, secrets));
      }),
      { numRuns: 2_000 },
    );
  });

  it("finds a planted secret among thousands of others", () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Za-z0-9]{4,40}$/), { minLength: 9, maxLength: 3_000 }),
        fc.nat(),
        (secrets, pick) => {
          const planted = secrets[pick % secrets.length] ?? "";
          const value = `token=${planted}; again: "${planted}".`;
          expect(redactText(value, secrets)).toBe(reference(value, secrets));
          expect(redactText(value, secrets)).not.toContain(planted);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("leaves no piece of overlapping secrets and keeps adjacent ones apart", () => {
    expect(redactText("xxabcdefyy", ["abcd", "cdef"])).toBe(`xx${REDACTED}yy`);
    expect(redactText("ababab", ["abab"])).toBe(REDACTED);
    expect(redactText("abcdefgh", ["abcd", "efgh"])).toBe(`${REDACTED}${REDACTED}`);
    expect(redactText("no secret here", ["abcd"])).toBe("no secret here");
    expect(redactText("abcd", [])).toBe("abcd");
  });

  it("is linear in the text whatever the number of secrets, when secrets share a prefix and the text holds it", () => {
    const token = (index: number) => `ghp_${index.toString(36).padStart(8, "x")}Q7Lm`;
    const secrets = scrubList(Array.from({ length: 20_000 }, (_, index) => token(index)));
    // Tokens of the same kind that are not in the list: every text holds the shared prefix.
    const texts = Array.from(
      { length: 20_000 },
      (_, index) => `gitleaks rule github-pat matched ${token(index + 50_000)} at src/module${index}/file.py:12`,
    );
    const started = performance.now();
    for (const value of texts) expect(redactText(value, secrets)).toBe(value);
    // One search per secret took 12 s here; one pass per text takes well under a second.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(redactText(`key ${token(12_345)} end`, secrets)).toBe(`key ${REDACTED} end`);
  });
});

describe("redactBySchema", () => {
  const Level = z.enum(["pass", "fail"]);
  const Check = z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("passive"), note: z.string() }).strict(),
    z.object({ kind: z.literal("active"), passes: z.number() }).strict(),
  ]);
  const Doc = z
    .object({
      schema: z.literal("passport/v1"),
      passed: z.boolean(),
      status: Level,
      title: z.string(),
      aliases: z.array(z.string()).default([]),
      counts: z.record(Level, z.number()),
      byRule: z.record(z.string(), z.number()),
      checks: z.array(Check),
      note: z.string().optional().nullable(),
      nested: z.lazy(() => z.object({ password: z.string() }).strict()),
      raw: z.unknown(),
    })
    .strict();
  type Doc = z.infer<typeof Doc>;

  it("scrubs every string and every key of a string-keyed record, never the schema's own words", () => {
    const doc: Doc = Doc.parse({
      schema: "passport/v1",
      passed: true,
      status: "pass",
      title: "a pass in the title",
      aliases: ["bypass", "other"],
      counts: { pass: 1, fail: 2 },
      byRule: { "pass-rule": 1, other: 2 },
      checks: [
        { kind: "passive", note: "pass" },
        { kind: "active", passes: 3 },
      ],
      note: null,
      nested: { password: "pass" },
      raw: { pass: ["pass"] },
    });
    expect(redactBySchema(Doc, doc, ["pass"])).toEqual({
      schema: "passport/v1",
      passed: true,
      status: "pass",
      title: `a ${REDACTED} in the title`,
      aliases: [`by${REDACTED}`, "other"],
      counts: { pass: 1, fail: 2 },
      byRule: { [`${REDACTED}-rule`]: 1, other: 2 },
      checks: [
        { kind: "passive", note: REDACTED },
        { kind: "active", passes: 3 },
      ],
      note: null,
      nested: { password: REDACTED },
      // What the schema does not describe is data throughout, keys included.
      raw: { [REDACTED]: [REDACTED] },
    });
    expect(Doc.safeParse(redactBySchema(Doc, doc, ["pass"])).success).toBe(true);
  });

  it("scrubs whole what the schema does not describe: an unknown key, a union without a discriminator", () => {
    const Loose = z.object({ status: Level }).passthrough();
    expect(redactBySchema(Loose, { status: "pass", extra: "pass" }, ["pass"])).toEqual({
      status: REDACTED,
      extra: REDACTED,
    });
    const Either = z.union([Level, z.string()]);
    expect(redactBySchema(Either, "pass", ["pass"])).toBe(REDACTED);
  });

  it("keeps an enum's or a literal's own words only: anything else in their place is data", () => {
    const unchecked = (value: string) => value as "pass";
    expect(redactBySchema(Level, unchecked("bypass"), ["pass"])).toBe(`by${REDACTED}`);
    expect(redactBySchema(z.literal("pass"), unchecked("passes"), ["pass"])).toBe(`${REDACTED}es`);
    const counts = { pass: 1, passes: 2 } as Record<string, number> as Record<"pass" | "fail", number>;
    expect(redactBySchema(z.record(Level, z.number()), counts, ["pass"])).toEqual({ pass: 1, [`${REDACTED}es`]: 2 });
  });

  it("follows a recursive schema and a union discriminated by an enum", () => {
    interface Tree {
      status: "pass" | "fail";
      note: string;
      children: Tree[];
    }
    const Tree: z.ZodType<Tree> = z.object({
      status: Level,
      note: z.string(),
      get children() {
        return z.array(Tree);
      },
    });
    const tree: Tree = { status: "pass", note: "pass", children: [{ status: "pass", note: "a pass", children: [] }] };
    expect(redactBySchema(Tree, tree, ["pass"])).toEqual({
      status: "pass",
      note: REDACTED,
      children: [{ status: "pass", note: `a ${REDACTED}`, children: [] }],
    });
    const Outcome = z.discriminatedUnion("status", [
      z.object({ status: Level, note: z.string() }),
      z.object({ status: z.literal("passing"), count: z.number() }),
    ]);
    expect(redactBySchema(Outcome, { status: "pass", note: "pass" }, ["pass"])).toEqual({
      status: "pass",
      note: REDACTED,
    });
  });

  it("returns what holds no secret as it is, allocating nothing", () => {
    const finding = { tool: "gitleaks", title: "Generic API key", location: { path: "src/app.ts", startLine: 3 } };
    const value = { findings: [finding, { ...finding }], count: 2 };
    expect(redactBySchema(z.unknown(), value, ["s3cr3t-value", "an0ther-one"])).toBe(value);
  });

  it("copies only the path to each secret; the rest is shared", () => {
    const Finding = z.object({
      tool: z.string(),
      location: z.object({ path: z.string(), startLine: z.number() }),
      references: z.array(z.string()),
    });
    const finding = {
      tool: "gitleaks",
      location: { path: "src/app.ts", startLine: 3 },
      references: ["https://example.com/a", "https://example.com/b"],
    };
    const leaking = { ...finding, references: ["https://example.com/a", "https://example.com/?key=s3cr3t-value"] };
    for (const schema of [z.object({ findings: z.array(Finding) }), z.unknown()]) {
      const value = { findings: [finding, leaking] };
      const clean = redactBySchema(schema, value, ["s3cr3t-value"]) as typeof value;
      expect(clean.findings[1]?.references).toEqual(["https://example.com/a", `https://example.com/?key=${REDACTED}`]);
      expect(clean.findings[0]).toBe(finding);
      expect(clean.findings[1]?.location).toBe(finding.location);
      expect(value.findings[1]?.references[1]).toContain("s3cr3t-value");
    }
  });

  it("keeps a `__proto__` key a key", () => {
    const parsed: unknown = JSON.parse('{"__proto__": {"polluted": "s3cr3t-value"}, "a": "s3cr3t-value"}');
    for (const schema of [z.unknown(), z.record(z.string(), z.unknown())]) {
      const clean = redactBySchema(schema, parsed, ["s3cr3t-value"]) as Record<string, unknown>;
      expect(Object.getPrototypeOf(clean)).toBe(Object.prototype);
      expect(JSON.stringify(clean)).toBe(`{"__proto__":{"polluted":"${REDACTED}"},"a":"${REDACTED}"}`);
    }
  });

  it("without a schema, scrubs each string and key as redactText would, for few and for many secrets", () => {
    /** JSON-like values whose strings and keys are texts of the alphabet, with numbers among them. */
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        text,
        fc.integer(),
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(text, tie("node"), { maxKeys: 3 }),
      ),
    })).node;
    const expected = (data: unknown, secrets: readonly string[]): unknown => {
      if (typeof data === "string") return reference(data, secrets);
      if (Array.isArray(data)) return data.map((item) => expected(item, secrets));
      if (data === null || typeof data !== "object") return data;
      return Object.fromEntries(
        Object.entries(data).map(([key, item]) => [reference(key, secrets), expected(item, secrets)]),
      );
    };
    fc.assert(
      fc.property(value, fc.array(secret, { minLength: 1, maxLength: 3 }), fc.boolean(), (data, some, many) => {
        // Past 256 secrets the scrubber searches without its one expression: both ways are covered.
        const secrets = many ? [...some, ...Array.from({ length: 300 }, (_, index) => `unrelated-${index}`)] : some;
        expect(redactBySchema(z.unknown(), data, secrets)).toEqual(expected(data, secrets));
      }),
      { numRuns: 1_000 },
    );
  });

  it("sees a list it has scrubbed with before changed in place, for few and for many secrets", () => {
    for (const others of [[], Array.from({ length: 12 }, (_, index) => `other-secret-${index}`)]) {
      const secrets = ["first-secret", ...others];
      expect(redactText("first-secret second-secret", secrets)).toBe(`${REDACTED} second-secret`);
      secrets.push("second-secret");
      expect(redactText("first-secret second-secret", secrets)).toBe(`${REDACTED} ${REDACTED}`);
      secrets[0] = "third-secret";
      expect(redactText("a third-secret", secrets)).toBe(`a ${REDACTED}`);
    }
  });

  it("freezes scrubList's lists, whose index is kept", () => {
    const secrets = scrubList([" padded-secret ", "****", "abc", "padded-secret"]);
    expect(secrets).toEqual(["padded-secret"]);
    expect(Object.isFrozen(secrets)).toBe(true);
    expect(redactText("x padded-secret y", secrets)).toBe(`x ${REDACTED} y`);
  });
});
