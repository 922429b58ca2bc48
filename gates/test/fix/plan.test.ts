import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/findings/finding.js";
import { npm, unplannedMoves, withOverrides } from "../../src/fix/npm.js";
import { npmInventory } from "../../src/fix/npm-lockfile.js";
import { planFixes, unappliedUpgrades, type FixPlan } from "../../src/fix/plan.js";

/** A workspace project as npm writes it: root app, workspace `packages/api`. */
const manifests = {
  "package.json": {
    name: "app",
    workspaces: ["packages/*"],
    dependencies: { direct: "^1.0.0", gitdep: "github:o/r", shared: "^3.0.0", pinned: "^1.0.0" },
    overrides: { other: { held: "1.0.0" } },
    peerDependencies: { peered: "^1.0.0" },
  },
  "packages/api/package.json": { name: "api", devDependencies: { wsdep: "~2.0.0" } },
};
const lock = {
  name: "app",
  lockfileVersion: 3,
  packages: {
    "": { name: "app", workspaces: ["packages/*"], dependencies: manifests["package.json"].dependencies },
    "node_modules/api": { resolved: "packages/api", link: true },
    "packages/api": { name: "api", devDependencies: { wsdep: "~2.0.0" } },
    "node_modules/direct": { version: "1.0.0", dependencies: { deep: "^1.0.0" } },
    "node_modules/deep": { version: "1.0.0" },
    "node_modules/gitdep": { version: "1.0.0", resolved: "git+ssh://git@github.com/o/r.git#abc" },
    "node_modules/shared": { version: "3.0.0" },
    "node_modules/other/node_modules/shared": { version: "2.0.0" },
    "node_modules/other": { version: "1.0.0", dependencies: { shared: "^2.0.0", pinned: "1.0.0", held: "^1.0.0" } },
    "node_modules/pinned": { version: "1.2.0" },
    "node_modules/other/node_modules/pinned": { version: "1.0.0" },
    "node_modules/held": { version: "1.0.0" },
    "node_modules/other/node_modules/peered": { version: "1.0.0" },
    "packages/api/node_modules/wsdep": { version: "2.0.0" },
  },
};
const files = new Map(
  Object.entries({ ...manifests, "package-lock.json": lock }).map(([file, value]) => [
    file,
    JSON.stringify(value, null, 2),
  ]),
);

function vulnerability(name: string, installed: string, id: string, fixed: string[]): Finding {
  return {
    tool: "trivy",
    kind: "vulnerability",
    ruleId: id,
    severity: "high",
    title: id,
    message: id,
    location: { path: "package-lock.json" },
    fingerprint: `${id}-${name}`,
    package: { name, installed, fixed, ecosystem: "npm" },
    references: [],
  };
}

function plan(findings: Finding[], allowMajor = false): FixPlan {
  return planFixes({
    findings,
    ecosystem: "npm",
    trivyTypes: npm.trivyTypes,
    inventory: npmInventory(files),
    versions: npm.versions,
    allowMajor,
    cannotRewrite: (name, declaration) => npm.cannotRewrite(name, declaration),
  });
}

describe("planFixes over an npm workspace project", () => {
  it("sorts each vulnerable package into direct, override or listed", () => {
    const result = plan([
      vulnerability("direct", "1.0.0", "CVE-1", ["1.0.2"]),
      vulnerability("direct", "1.0.0", "CVE-2", ["1.0.3"]),
      vulnerability("deep", "1.0.0", "CVE-3", ["1.0.1"]),
      vulnerability("wsdep", "2.0.0", "CVE-4", ["3.0.1"]),
      vulnerability("gitdep", "1.0.0", "CVE-5", ["1.0.1"]),
      vulnerability("shared", "2.0.0", "CVE-6", ["2.0.1"]),
      vulnerability("ghost", "1.0.0", "CVE-7", ["1.0.1"]),
      vulnerability("pinned", "1.0.0", "CVE-10", ["1.0.1"]),
      vulnerability("held", "1.0.0", "CVE-11", ["1.0.1"]),
      vulnerability("peered", "1.0.0", "CVE-12", ["1.0.1"]),
    ]);
    expect(
      result.upgrades.map((u) => [u.name, u.from, u.to, u.via, u.declaredBy.map((d) => `${d.manifest}:${d.section}`)]),
    ).toEqual([
      ["deep", "1.0.0", "1.0.1", "override", []],
      ["direct", "1.0.0", "1.0.3", "direct", ["package.json:dependencies"]],
      // The root declares shared ^3.0.0, which 2.0.0 does not satisfy: npm takes `shared@2.0.0`.
      ["shared", "2.0.0", "2.0.1", "override", []],
    ]);
    expect(result.upgrades[1]?.advisories.map((a) => a.id)).toEqual(["CVE-1", "CVE-2"]);
    expect(Object.fromEntries(result.skipped.map((s) => [s.name, s.reason]))).toEqual({
      ghost: "not-in-lockfile",
      gitdep: "unsupported-range",
      held: "not-overridable",
      peered: "not-overridable",
      pinned: "not-overridable",
      wsdep: "major",
    });
    const detail = (name: string) => result.skipped.find((skipped) => skipped.name === name)?.detail;
    expect(detail("pinned")).toContain('declares pinned as "^1.0.0" in dependencies, which 1.0.0 satisfies');
    expect(detail("held")).toContain('package.json\'s overrides.other.held already sets held to "1.0.0"');
  });

  it("lists a package at a version npm does not read (`1.0`, as a report may write it) instead of crashing", () => {
    const result = plan([
      vulnerability("direct", "1.0", "CVE-8", ["1.0.1"]),
      vulnerability("direct", "1.0.0", "CVE-9", ["1.0.1"]),
    ]);
    expect(result.skipped.map((skipped) => [skipped.name, skipped.installed, skipped.reason])).toEqual([
      ["direct", "1.0", "not-in-lockfile"],
    ]);
    expect(result.upgrades.map((upgrade) => [upgrade.name, upgrade.to])).toEqual([["direct", "1.0.1"]]);
  });

  it("plans the workspace's major upgrade with --allow-major, as a -w step keeping the tilde", () => {
    const result = plan([vulnerability("wsdep", "2.0.0", "CVE-4", ["3.0.1"])], true);
    expect(result.upgrades).toMatchObject([{ name: "wsdep", to: "3.0.1", via: "direct", major: true }]);
    const [step] = npm.steps(result, npmInventory(files));
    expect(step?.kind === "run" && step.argv.join(" ")).toBe(
      "npm install --package-lock-only --ignore-scripts --no-audit --no-fund --workspace packages/api --save-dev --save-exact=false --save-prefix=~ wsdep@3.0.1",
    );
  });
});

describe("npm manifest and lockfile checks", () => {
  it("adds overrides keyed by the vulnerable version, keeping tabs and CRLF", () => {
    const text = '{\r\n\t"name": "app",\r\n\t"overrides": {\r\n\t\t"x": "1.0.0"\r\n\t}\r\n}\r\n';
    const upgrade = plan([vulnerability("deep", "1.0.0", "CVE-3", ["1.0.1"])]).upgrades;
    expect(withOverrides(text, upgrade)).toBe(
      '{\r\n\t"name": "app",\r\n\t"overrides": {\r\n\t\t"x": "1.0.0",\r\n\t\t"deep@1.0.0": "1.0.1"\r\n\t}\r\n}\r\n',
    );
  });

  it("lets the planned package and its own dependencies move, and reports anything else", () => {
    const planned = plan([vulnerability("direct", "1.0.0", "CVE-1", ["1.0.2"])]);
    const after: { packages: Record<string, unknown> } = structuredClone(lock);
    after.packages["node_modules/direct"] = { version: "1.0.2", dependencies: { deep: "^1.0.0", fresh: "^1.0.0" } };
    after.packages["node_modules/deep"] = { version: "1.0.5" };
    after.packages["node_modules/fresh"] = { version: "1.0.0" };
    after.packages["node_modules/other"] = { version: "1.1.0", dependencies: { shared: "^2.0.0" } };
    const moves = unplannedMoves(files, new Map([["package-lock.json", JSON.stringify(after)]]), planned);
    expect(moves).toEqual([
      { location: "node_modules/other", name: "other", before: "1.0.0", after: "1.1.0", resolvedAgain: false },
    ]);
  });
});

describe("unappliedUpgrades", () => {
  it("names an upgrade whose vulnerable copy is still in the new lockfile (npm kept it)", () => {
    const planned = plan([
      vulnerability("deep", "1.0.0", "CVE-3", ["1.0.1"]),
      vulnerability("direct", "1.0.0", "CVE-1", ["1.0.2"]),
    ]);
    const after = structuredClone(lock) as { packages: Record<string, unknown> };
    after.packages["node_modules/direct"] = { version: "1.0.2" };
    const files2 = new Map(files);
    files2.set("package-lock.json", JSON.stringify(after));
    expect(unappliedUpgrades(planned, npmInventory(files2)).map((upgrade) => upgrade.name)).toEqual(["deep"]);
  });
});
