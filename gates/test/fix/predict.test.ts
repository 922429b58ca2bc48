import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/findings/finding.js";
import { npm } from "../../src/fix/npm.js";
import { predictFindings } from "../../src/fix/predict.js";
import type { Inventory } from "../../src/fix/ecosystem.js";

/** The findings a fix's prediction keeps: only what the new lockfile shows fixed is dropped. */

function vulnerability(name: string, installed: string, fixed: string[], lockfile = "package-lock.json"): Finding {
  return {
    tool: "trivy",
    kind: "vulnerability",
    ruleId: `CVE-${name}`,
    severity: "critical",
    title: name,
    message: name,
    location: { path: lockfile },
    fingerprint: `${name}-${lockfile}`,
    package: { name, installed, fixed, ecosystem: "npm" },
    references: [],
  };
}

const after: Inventory = {
  lockfile: "package-lock.json",
  workspaces: [],
  packages: [
    { name: "lib", version: "1.0.1", location: "node_modules/lib", declaredBy: [] },
    { name: "other", version: "2.0.0", location: "node_modules/other", declaredBy: [] },
  ],
  cannotOverride: () => undefined,
};

const predict = (findings: Finding[]) =>
  predictFindings(findings, after, { trivyTypes: npm.trivyTypes, versions: npm.versions });

describe("predictFindings", () => {
  it("drops a finding of the fixed lockfile whose package is now at its fix", () => {
    const fixed = vulnerability("lib", "1.0.0", ["1.0.1"]);
    expect(predict([fixed])).toEqual({ findings: [], resolved: [fixed] });
  });

  it("keeps a finding of another lockfile, of a package the lockfile does not hold, or still unfixed", () => {
    const elsewhere = vulnerability("lib", "1.0.0", ["1.0.1"], "tools/package-lock.json");
    const absent = vulnerability("ghost", "1.0.0", ["1.0.1"]);
    const unfixed = vulnerability("other", "2.0.0", []);
    expect(predict([elsewhere, absent, unfixed])).toEqual({ findings: [elsewhere, absent, unfixed], resolved: [] });
  });
});
