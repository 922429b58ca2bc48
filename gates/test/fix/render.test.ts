import { describe, expect, it } from "vitest";
import { renderPatch } from "../../src/fix/patch.js";
import type { FixPlan } from "../../src/fix/plan.js";
import { renderPlan, renderPullRequest, renderVerdictChanges } from "../../src/fix/render.js";

const plan: FixPlan = {
  ecosystem: "npm",
  lockfile: "package-lock.json",
  upgrades: [
    {
      name: "web-lib",
      from: "4.2.0",
      to: "4.2.3",
      via: "direct",
      major: false,
      declaredBy: [{ manifest: "package.json", workspace: undefined, section: "dependencies", range: "^4.2.0" }],
      advisories: [
        { id: "CVE-2026-1000", severity: "critical", title: "web-lib: RCE", fixed: ["4.2.3"], fingerprint: "f1" },
      ],
    },
    {
      name: "util-core",
      from: "0.3.0",
      to: "0.3.5",
      via: "override",
      major: false,
      declaredBy: [],
      advisories: [
        { id: "CVE-2026-1001", severity: "high", title: "util-core: ReDoS", fixed: ["0.3.5"], fingerprint: "f2" },
      ],
    },
  ],
  skipped: [
    {
      name: "old-major",
      installed: "1.9.0",
      reason: "major",
      to: "2.1.0",
      detail: "only 2.1.0, a new major, fixes it: review its changes and run again with --allow-major",
      advisories: [{ id: "CVE-2026-2000", severity: "high", title: "x", fixed: ["2.1.0"], fingerprint: "f3" }],
    },
  ],
};
const changes = [
  { gate: "vulnerabilities" as const, before: "fail" as const, after: "pass" as const, blockingAfter: false },
];

describe("fix renderers", () => {
  it("the pull-request body: each upgrade with its findings, the verdicts, what was left, the prediction", () => {
    expect(
      renderPullRequest({
        plan,
        changes,
        source: "the trivy report `trivy.json`",
        prediction: "no scanner ran after the change.",
      }),
    ).toMatchInlineSnapshot(`
      "## Fix 2 vulnerable packages (npm)

      \`portcullis fix\` read the trivy report \`trivy.json\` and made the smallest upgrades that fix its findings, through npm itself (\`package-lock.json\` and the manifests; nothing else moved).

      | Package | From | To | How | Fixes |
      | --- | --- | --- | --- | --- |
      | \`web-lib\` | 4.2.0 | 4.2.3 | \`package.json\` dependencies | CVE-2026-1000 (critical) |
      | \`util-core\` | 0.3.0 | 0.3.5 | \`overrides\` in package.json, transitive only | CVE-2026-1001 (high) |

      ### Verdicts

      | Gate | Before | After |
      | --- | --- | --- |
      | vulnerabilities | fail | pass |

      > [!NOTE]
      > The "after" column is a prediction: no scanner ran after the change. Let CI scan this branch to confirm it.

      ### Not fixed here

      - \`old-major\` 1.9.0, CVE-2026-2000 (high): only 2.1.0, a new major, fixes it: review its changes and run again with --allow-major

      ### Check it

      \`\`\`sh
      npm ci
      npm test
      \`\`\`
      "
    `);
  });

  it("the plan and the verdict change per gate", () => {
    expect(renderPlan(plan, [{ kind: "run", argv: ["npm", "install", "web-lib@4.2.3"], why: "" }]))
      .toMatchInlineSnapshot(`
      "npm (package-lock.json): 2 upgrades, 1 package not changed

      Upgrades:
        web-lib 4.2.0 → 4.2.3 (package.json dependencies): CVE-2026-1000 (critical)
        util-core 0.3.0 → 0.3.5 (overrides in package.json, transitive only): CVE-2026-1001 (high)

      Not changed:
        old-major 1.9.0, CVE-2026-2000 (high): only 2.1.0, a new major, fixes it: review its changes and run again with --allow-major

      Steps:
        1. npm install web-lib@4.2.3
      "
    `);
    expect(renderVerdictChanges(changes, true)).toBe("vulnerabilities: fail → pass (predicted)\n");
  });

  it("a git-style patch of the files that differ, new and deleted files included", () => {
    const before = new Map([
      ["package.json", '{\n  "a": "^1.0.0"\n}\n'],
      ["gone.json", "{}\n"],
    ]);
    const after = new Map([
      ["package.json", '{\n  "a": "^1.0.1"\n}\n'],
      ["new.json", "{}\n"],
    ]);
    expect(renderPatch(before, after)).toMatchInlineSnapshot(`
      "diff --git a/gone.json b/gone.json
      deleted file mode 100644
      --- a/gone.json
      +++ /dev/null
      @@ -1,1 +0,0 @@
      -{}
      diff --git a/new.json b/new.json
      new file mode 100644
      --- /dev/null
      +++ b/new.json
      @@ -0,0 +1,1 @@
      +{}
      diff --git a/package.json b/package.json
      --- a/package.json
      +++ b/package.json
      @@ -1,3 +1,3 @@
       {
      -  "a": "^1.0.0"
      +  "a": "^1.0.1"
       }
      "
    `);
  });
});
