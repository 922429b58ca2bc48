import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { maskedSecrets, treeFiles } from "../../src/cli/masked-secrets.js";
import type { ToolResult } from "../../src/findings/finding.js";
import { tempDir } from "./cli-harness.js";

/** Where masked secrets are read back from: files inside the scanned tree only. */

const SECRET = ["tok_", "a8Zq2Lm9Xv4Bn7Ct"].join("");

function gitleaksResult(file: string): ToolResult {
  return {
    tool: "gitleaks",
    format: "gitleaks-json",
    findings: [
      {
        tool: "gitleaks",
        kind: "secret",
        ruleId: "generic-api-key",
        severity: "high",
        title: "key",
        message: "key",
        snippet: "REDACTED",
        references: [],
        fingerprint: "f",
        // On line 2, counted gitleaks' way: one more than the byte's place in its line.
        location: { path: file, startLine: 2, endLine: 2, startColumn: 8, endColumn: 7 + SECRET.length },
      },
    ],
    toolErrors: [],
    secrets: [],
  };
}

describe("maskedSecrets", () => {
  it("reads back from a folder whose name starts with two dots, never from outside the tree", async () => {
    const root = tempDir("portcullis-masked-");
    const tree = path.join(root, "tree");
    mkdirSync(path.join(tree, "..docker"), { recursive: true });
    const text = `FROM alpine\nENV K=${SECRET}\n`;
    writeFileSync(path.join(tree, "..docker", "Dockerfile"), text);
    writeFileSync(path.join(root, "Dockerfile"), text);
    const inside = await maskedSecrets([gitleaksResult("..docker/Dockerfile")], treeFiles(tree));
    expect(inside.secrets[0]).toContain(SECRET);
    expect(inside.unread).toBe(0);
    const outside = await maskedSecrets([gitleaksResult("../Dockerfile")], treeFiles(tree));
    expect(outside).toEqual({ secrets: [[]], unread: 1 });
  });
});
