import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dedupeSecrets } from "../../src/evaluate/routing.js";
import type { Finding } from "../../src/findings/finding.js";
import { finding } from "./helpers.js";

const at = (line: number) => ({ location: { path: "config/app.env", startLine: line } });
const secret = (tool: "gitleaks" | "trivy" | "findings", line = 4): Finding =>
  finding(tool, { kind: "secret", tool: tool === "findings" ? "custom-scanner" : tool, ...at(line) });

describe("dedupeSecrets", () => {
  it("keeps the secret scanner's finding where another scanner reports the same file and line", () => {
    for (const order of [
      [secret("trivy"), secret("gitleaks")],
      [secret("gitleaks"), secret("trivy")],
    ]) {
      const { findings, dropped } = dedupeSecrets(order);
      expect(findings.map((kept) => kept.tool)).toEqual(["gitleaks"]);
      expect(dropped).toBe(1);
    }
  });

  it("keeps the worse severity of the two: trivy's critical is not lost to gitleaks' high", () => {
    const gitleaks = { ...secret("gitleaks"), severity: "high" as const };
    for (const [trivy, kept] of [
      ["critical", "critical"],
      ["medium", "high"],
      ["unknown", "high"],
    ] as const) {
      const { findings } = dedupeSecrets([gitleaks, { ...secret("trivy"), severity: trivy }]);
      expect(findings.map((one) => [one.tool, one.severity, one.fingerprint])).toEqual([
        ["gitleaks", kept, gitleaks.fingerprint],
      ]);
    }
  });

  it("takes another scanner's finding on lines overlapping the secret scanner's as the same secret (a private key)", () => {
    const lines = (tool: "gitleaks" | "trivy", startLine: number, endLine: number): Finding =>
      finding(tool, { kind: "secret", tool, location: { path: "key.pem", startLine, endLine } });
    // gitleaks reports the BEGIN to the END line, trivy the key's body.
    expect(dedupeSecrets([lines("gitleaks", 1, 5), lines("trivy", 2, 4)]).findings.map((kept) => kept.tool)).toEqual([
      "gitleaks",
    ]);
    expect(dedupeSecrets([lines("trivy", 5, 9), lines("gitleaks", 1, 5)]).dropped).toBe(1);
    const apart = [lines("gitleaks", 1, 5), lines("trivy", 6, 9)];
    expect(dedupeSecrets(apart)).toEqual({ findings: apart, dropped: 0 });
  });

  it("property: never drops a secret scanner's finding; drops another's only where it overlaps one in the same file", () => {
    const anyFinding = fc
      .record({
        tool: fc.constantFrom("gitleaks", "trivy", "custom-scanner"),
        kind: fc.constantFrom("secret", "vulnerability"),
        path: fc.constantFrom("a.env", "b.pem"),
        startLine: fc.integer({ min: 1, max: 12 }),
        span: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
      })
      .map(({ tool, kind, path, startLine, span }) =>
        finding("trivy", {
          tool,
          kind,
          location: { path, startLine, ...(span === undefined ? {} : { endLine: startLine + span }) },
        }),
      );
    fc.assert(
      fc.property(fc.array(anyFinding, { maxLength: 12 }), (all) => {
        const { findings, dropped } = dedupeSecrets(all);
        expect(findings.length + dropped).toBe(all.length);
        const gone = all.filter((candidate) => !findings.includes(candidate));
        for (const lost of gone) {
          expect(lost.tool).not.toBe("gitleaks");
          expect(lost.kind).toBe("secret");
          const from = lost.location?.startLine ?? 0;
          const to = Math.max(from, lost.location?.endLine ?? 0);
          const covered = findings.some(
            (kept) =>
              kept.kind === "secret" &&
              kept.location?.path === lost.location?.path &&
              (kept.tool === "gitleaks"
                ? (kept.location?.startLine ?? 0) <= to &&
                  from <= Math.max(kept.location?.startLine ?? 0, kept.location?.endLine ?? 0)
                : kept.location?.startLine === from),
          );
          expect(covered).toBe(true);
        }
      }),
    );
  });

  it("keeps the first of two other scanners, and everything at different places or of other kinds", () => {
    expect(dedupeSecrets([secret("trivy"), secret("findings")]).findings.map((kept) => kept.tool)).toEqual(["trivy"]);
    const apart = [secret("gitleaks", 4), secret("trivy", 5), finding("trivy", at(4))];
    expect(dedupeSecrets(apart)).toEqual({ findings: apart, dropped: 0 });
  });
});
