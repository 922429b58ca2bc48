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

  it("keeps the first of two other scanners, and everything at different places or of other kinds", () => {
    expect(dedupeSecrets([secret("trivy"), secret("findings")]).findings.map((kept) => kept.tool)).toEqual(["trivy"]);
    const apart = [secret("gitleaks", 4), secret("trivy", 5), finding("trivy", at(4))];
    expect(dedupeSecrets(apart)).toEqual({ findings: apart, dropped: 0 });
  });
});
