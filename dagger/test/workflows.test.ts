import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const workflowsDir = join(root, ".github", "workflows");
const workflowFiles = readdirSync(workflowsDir)
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => join(workflowsDir, name));

/** GitHub's own parser (through tsx: it imports its schema as a JSON module) over the given files. */
async function parserErrors(files: readonly string[]): Promise<Record<string, string[]>> {
  const { stdout } = await run(
    join(root, "node_modules", ".bin", "tsx"),
    [join(root, "dagger", "test", "workflows", "parse-workflows.ts"), ...files],
    {
      cwd: root,
      timeout: 60_000,
    },
  );
  return z.record(z.string(), z.array(z.string())).parse(JSON.parse(stdout));
}

describe("GitHub's workflow parser", () => {
  const scratch = mkdtempSync(join(tmpdir(), "portcullis-workflows-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("finds no error in any workflow", async () => {
    expect(workflowFiles.length).toBeGreaterThan(0);
    const errors = await parserErrors(workflowFiles);
    expect(Object.keys(errors).sort()).toEqual([...workflowFiles].sort());
    for (const file of workflowFiles) expect(errors[file], file).toEqual([]);
  }, 60_000);

  it("does report errors (the harness is not blind)", async () => {
    const broken = join(scratch, "broken.yml");
    writeFileSync(
      broken,
      "on:\n  schedule:\n    - cron: every night\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4.2.2\n        with: 3\n",
    );
    const errors = await parserErrors([broken]);
    expect(errors[broken]?.join("\n")).toMatch(/Unexpected value '3'/);
  }, 60_000);
});

const Step = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  uses: z.string().optional(),
  run: z.string().optional(),
  if: z.string().optional(),
  with: z.record(z.string(), z.unknown()).optional(),
  env: z.record(z.string(), z.string()).optional(),
});
const Job = z.looseObject({
  needs: z.union([z.string(), z.array(z.string())]).optional(),
  if: z.string().optional(),
  environment: z.unknown().optional(),
  permissions: z.record(z.string(), z.string()),
  env: z.record(z.string(), z.string()).optional(),
  steps: z.array(Step),
});
const Workflow = z.looseObject({
  on: z.looseObject({
    pull_request: z.unknown(),
    push: z.looseObject({ branches: z.array(z.string()) }),
    schedule: z.array(z.looseObject({ cron: z.string() })),
    workflow_dispatch: z.unknown(),
  }),
  permissions: z.record(z.string(), z.string()),
  jobs: z.record(z.string(), Job),
});
type Step = z.infer<typeof Step>;

describe(".github/workflows/ci.yml", () => {
  let workflow: z.infer<typeof Workflow>;
  let engineVersion: string;
  beforeAll(() => {
    workflow = Workflow.parse(yaml.load(readFileSync(join(workflowsDir, "ci.yml"), "utf8")));
    engineVersion = z
      .looseObject({ engineVersion: z.string() })
      .parse(JSON.parse(readFileSync(join(root, "dagger.json"), "utf8"))).engineVersion;
  });
  const gates = () =>
    z
      .object({ steps: z.array(Step) })
      .passthrough()
      .parse(workflow.jobs["gates"]);
  const steps = (job: string): Step[] => workflow.jobs[job]?.steps ?? [];
  const stepIndex = (job: string, match: (step: Step) => boolean) => steps(job).findIndex(match);

  it("runs on pull requests, pushes to main, nightly at 02:00 and by hand", () => {
    expect(workflow.on.push.branches).toEqual(["main"]);
    expect(workflow.on.schedule).toEqual([{ cron: "0 2 * * *" }]);
    expect("pull_request" in workflow.on && "workflow_dispatch" in workflow.on).toBe(true);
  });

  it("pins every action to an exact version", () => {
    const uses = Object.values(workflow.jobs).flatMap((job) =>
      job.steps.flatMap((step) => (step.uses === undefined ? [] : [step.uses])),
    );
    expect(uses.length).toBeGreaterThan(4);
    for (const ref of uses) expect(ref, ref).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
  });

  it("installs the Dagger version dagger.json pins the engine to, with dagger-for-github v8.4.1 (by its commit)", () => {
    const dagger = Object.values(workflow.jobs).flatMap((job) =>
      job.steps.filter((step) => step.uses?.startsWith("dagger/dagger-for-github@")),
    );
    expect(dagger.length).toBe(2);
    for (const step of dagger) {
      expect(step.uses).toBe("dagger/dagger-for-github@27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77");
      expect(step.with?.["version"]).toBe(engineVersion);
    }
  });

  it("calls ci once and exports its reports", () => {
    const calls = gates().steps.filter((step) => step.uses?.startsWith("dagger/dagger-for-github@"));
    expect(calls).toHaveLength(1);
    expect(String(calls[0]?.with?.["args"])).toMatch(
      /^ci --source=\. --env=\$\{\{ env\.PORTCULLIS_ENV \}\} .* reports export --path=reports$/,
    );
  });

  it("uploads SARIF and writes the step summary even when something failed, then fails when blocked", () => {
    const sarif = stepIndex("gates", (step) => step.uses?.startsWith("github/codeql-action/upload-sarif@") === true);
    const summary = stepIndex("gates", (step) => step.run?.includes('>> "$GITHUB_STEP_SUMMARY"') === true);
    const fail = stepIndex(
      "gates",
      (step) => step.run?.includes("jq -e '.passed == true' reports/report.json") === true,
    );
    expect(Math.min(sarif, summary, fail)).toBeGreaterThan(
      stepIndex("gates", (step) => step.uses?.startsWith("dagger/") === true),
    );
    expect(steps("gates")[sarif]?.if).toMatch(/^always\(\)/);
    expect(steps("gates")[sarif]?.with?.["sarif_file"]).toBe("reports/report.sarif");
    expect(steps("gates")[summary]?.if).toMatch(/^always\(\)/);
    expect(fail).toBe(steps("gates").length - 1);
    expect(steps("gates")[fail]?.if).toBeUndefined();
  });

  it("scans only a pull request's own commits for secrets", () => {
    const scope = steps("gates").find((step) => step.id === "scope");
    expect(scope?.env).toMatchObject({
      BASE: "${{ github.event.pull_request.base.sha }}",
      HEAD: "${{ github.event.pull_request.head.sha }}",
    });
    expect(scope?.run).toContain('pull_request) args="--history=. --history-base=$BASE --history-head=$HEAD"');
    expect(steps("gates").find((step) => step.uses?.startsWith("actions/checkout@"))?.with?.["fetch-depth"]).toBe(0);
  });

  it("deploys, from main only and where deploys are switched on, to the environment the gates judged", () => {
    const deploy = workflow.jobs["deploy"];
    expect(deploy?.needs).toBe("gates");
    expect(workflow.jobs["gates"]?.env?.["PORTCULLIS_ENV"]).toBe(
      "${{ inputs.environment || vars.PORTCULLIS_ENV || 'development' }}",
    );
    expect(z.looseObject({ outputs: z.record(z.string(), z.string()) }).parse(workflow.jobs["gates"]).outputs).toEqual({
      environment: "${{ env.PORTCULLIS_ENV }}",
    });
    const judged = "${{ needs.gates.outputs.environment }}";
    expect(deploy?.environment).toBe(judged);
    expect(deploy?.if).toBe(
      "github.event_name == 'push' && github.ref == 'refs/heads/main' && vars.PORTCULLIS_DEPLOY == 'true'",
    );
    const args = String(deploy?.steps.find((step) => step.uses?.startsWith("dagger/"))?.with?.["args"]);
    expect(args).toMatch(/^deploy --source=\. --env=\$\{\{ needs\.gates\.outputs\.environment \}\} /);
    // The report of this run's gates (same commit, same environment), which deploy checks before anything moves.
    expect(args).toContain("--commit=${{ github.sha }}");
    expect(args).toContain("--gate-report=reports/report.json");
    const fetch = deploy?.steps.find((step) => step.uses?.startsWith("actions/download-artifact@"));
    expect(fetch?.with).toEqual({ name: "portcullis-reports", path: "reports" });
  });

  it("without a load target, gates with development, whose performance gate is advisory (this repository has no service)", () => {
    const development = z
      .looseObject({ gates: z.looseObject({ performance: z.looseObject({ mode: z.string() }) }) })
      .parse(yaml.load(readFileSync(join(root, "environments", "development.yml"), "utf8")));
    expect(development.gates.performance.mode).toBe("advisory");
    const scope = steps("gates").find((step) => step.id === "scope");
    expect(scope?.env?.["TARGET"]).toBe("${{ vars.PORTCULLIS_TARGET }}");
    expect(scope?.run).toContain('if [ -n "$TARGET" ]; then args="$args --target=$TARGET"; fi');
  });

  it("shows the deploy credentials to the deploy step alone", () => {
    for (const job of Object.values(workflow.jobs)) expect(JSON.stringify(job.env ?? {})).not.toContain("secrets.");
    const deploy = steps("deploy").find((step) => step.uses?.startsWith("dagger/"));
    expect(deploy?.env).toEqual({
      PORTCULLIS_DEPLOY_CREDENTIALS: "${{ secrets.PORTCULLIS_DEPLOY_CREDENTIALS }}",
    });
    const others = steps("deploy").filter((step) => step !== deploy);
    for (const step of others) expect(JSON.stringify(step)).not.toContain("secrets.");
  });

  it("grants nothing by default and each job only what it uses", () => {
    expect(workflow.permissions).toEqual({});
    expect(workflow.jobs["gates"]?.permissions).toEqual({
      contents: "read",
      "security-events": "write",
      actions: "read",
    });
    expect(workflow.jobs["deploy"]?.permissions).toEqual({ contents: "read" });
  });

  it("never checks out with a persisted token", () => {
    const checkouts = Object.values(workflow.jobs).flatMap((job) =>
      job.steps.filter((step) => step.uses?.startsWith("actions/checkout@")),
    );
    for (const step of checkouts) expect(step.with?.["persist-credentials"]).toBe(false);
  });
});
