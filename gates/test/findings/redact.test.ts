import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonMayHoldSecret, REDACTED, redactDeep, redactText, scrubList } from "../../src/findings/redact.js";

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

describe("redactDeep", () => {
  const finding = {
    tool: "gitleaks",
    title: "Generic API key",
    location: { path: "src/app.ts", startLine: 3 },
    references: ["https://example.com/a", "https://example.com/b"],
  };

  it("returns what holds no secret as it is, allocating nothing", () => {
    const value = { findings: [finding, { ...finding }], count: 2 };
    expect(redactDeep(value, ["s3cr3t-value", "an0ther-one"])).toBe(value);
  });

  it("copies only the path to each secret; the rest is shared", () => {
    const leaking = { ...finding, references: ["https://example.com/a", "https://example.com/?key=s3cr3t-value"] };
    const value = { findings: [finding, leaking], count: 2 };
    const clean = redactDeep(value, ["s3cr3t-value"]);
    expect(clean).toEqual({
      findings: [
        finding,
        { ...finding, references: ["https://example.com/a", `https://example.com/?key=${REDACTED}`] },
      ],
      count: 2,
    });
    expect(clean.findings[0]).toBe(finding);
    expect(clean.findings[1]?.location).toBe(finding.location);
    expect(value.findings[1]?.references[1]).toContain("s3cr3t-value");
  });

  it("scrubs keys too, and keeps a `__proto__` key a key", () => {
    expect(redactDeep({ "s3cr3t-value": 1, other: 2 }, ["s3cr3t-value"])).toEqual({ [REDACTED]: 1, other: 2 });
    const parsed: unknown = JSON.parse('{"__proto__": {"polluted": "s3cr3t-value"}, "a": "s3cr3t-value"}');
    const clean = redactDeep(parsed, ["s3cr3t-value"]) as Record<string, unknown>;
    expect(Object.getPrototypeOf(clean)).toBe(Object.prototype);
    expect(JSON.stringify(clean)).toBe(`{"__proto__":{"polluted":"${REDACTED}"},"a":"${REDACTED}"}`);
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

describe("jsonMayHoldSecret", () => {
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
  /** Past 256 secrets the scrubber searches without its one expression: both ways are covered. */
  const manySecrets = (secrets: string[]): string[] => [
    ...secrets,
    ...Array.from({ length: 300 }, (_, index) => `unrelated-${index}`),
  ];

  it("says no only when scrubbing would change nothing, for few and for many secrets", () => {
    let cleared = 0;
    fc.assert(
      fc.property(value, fc.array(secret, { minLength: 1, maxLength: 3 }), fc.boolean(), (data, some, many) => {
        const secrets = many ? manySecrets(some) : some;
        if (jsonMayHoldSecret(JSON.stringify(data), secrets)) return;
        cleared += 1;
        expect(redactDeep(data, secrets)).toBe(data);
      }),
      { numRuns: 3_000 },
    );
    expect(cleared).toBeGreaterThan(300);
  });

  it("says yes for a secret JSON writes escaped, which the text cannot show as it is", () => {
    for (const escaped of ['pass"word', "back\\slash", "line\nbreak", "lone\ud800x"]) {
      expect(jsonMayHoldSecret(JSON.stringify({ message: `token ${escaped}` }), [escaped])).toBe(true);
      expect(jsonMayHoldSecret(JSON.stringify({ message: "nothing here" }), ["plain-secret", escaped])).toBe(true);
    }
    expect(jsonMayHoldSecret(JSON.stringify({ message: "nothing here" }), ["plain-secret"])).toBe(false);
    expect(jsonMayHoldSecret(JSON.stringify({ message: "a plain-secret" }), ["plain-secret"])).toBe(true);
    expect(jsonMayHoldSecret(JSON.stringify({ message: "a plain-secret" }), [])).toBe(false);
  });
});
