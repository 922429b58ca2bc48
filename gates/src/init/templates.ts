/**
 * The files `portcullis init` writes, as text. Pure: the caller passes the built-in policies and
 * the module address; every file says what it is for and where its reference is, because the
 * people who edit them next did not write them.
 */

/** The Dagger engine the written workflow installs (the module's `engineVersion` in dagger.json). */
export const DAGGER_ENGINE_VERSION = "v0.21.9";

/**
 * The actions the workflows use, pinned by commit (a tag can be moved; a security gate's own supply
 * chain should not), the release beside it. All run on Node 24 or none (Node 20 left the runners
 * in September 2026); this repository's own ci.yml pins the same commits (a test checks).
 */
export const ACTIONS = {
  checkout: "3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
  setupNode: "820762786026740c76f36085b0efc47a31fe5020 # v7.0.0",
  uploadArtifact: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0",
  downloadArtifact: "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c # v8.0.1",
  codeqlUploadSarif: "8aad20d150bbac5944a9f9d289da16a4b0d87c1e # v4.36.2",
  daggerForGithub: "27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77 # v8.4.1",
} as const;

/** The environments a repository starts from, in the order a change moves through them. */
export const SCAFFOLD_ENVIRONMENTS = ["development", "staging", "production"] as const;

export interface TemplateContext {
  /** The Dagger module, without version: `github.com/<owner>/<name>`. */
  moduleAddress: string;
  /** The pinned module version (a git tag such as `v0.1.0`, or a commit). */
  moduleVersion: string;
  /** The version of this CLI. */
  portcullisVersion: string;
  /** Where the manual lives, at the pinned version (`https://github.com/<owner>/<name>/blob/<version>/docs`). */
  docsUrl: string;
}

/** An environment file: the built-in policy under a header saying where it came from. */
export function environmentFile(name: string, builtin: string, context: TemplateContext): string {
  // The editor's schema line stays first, pointing at the schema.json init writes beside the file.
  const [first = "", ...rest] = builtin.split("\n");
  const schemaLine = first.startsWith("# yaml-language-server:") ? [first] : [];
  return [
    ...schemaLine,
    `# The ${name} environment's policy: which gates run, their thresholds and what blocks.`,
    `# Started from the built-in ${name} policy of portcullis ${context.portcullisVersion}; this file now wins`,
    `# over the built-in one. Reference: ${context.docsUrl}/policy.md`,
    "# Check it with `npx portcullis policy check`.",
    ...(schemaLine.length === 0 ? [builtin] : rest),
  ].join("\n");
}

/** `.portcullis/waivers.yml`: none yet, with the shape of one in comments. */
export function waiversFile(context: TemplateContext): string {
  return [
    "# Waivers: known findings accepted for a limited time, each with a reason, an approver and an",
    "# expiry. An expired or incomplete waiver does not apply: its findings count and their gate is",
    `# \`error\`. Reference: ${context.docsUrl}/policy.md#waivers`,
    "#",
    "# waivers:",
    "#   - id: W-1 # your reference (a ticket)",
    "#     fingerprint: 3f2a9c0d1e4b5a6f7c8d9e0f1a2b3c4d # one finding, as in reports/report.json",
    "#     reason: Test key, never deployed.",
    "#     approver: alice",
    "#     expires: 2026-03-31 # last day it applies; at most waivers.max_days after today",
    "#   - rule: javascript.lang.security.audit.eval-detected # every finding of a rule…",
    '#     path: "scripts/**" # …optionally only under a glob',
    "#     reason: Build scripts run on developer machines only.",
    "#     approver: bob",
    "#     expires: 2026-03-20",
    "waivers: []",
    "",
  ].join("\n");
}

/** `portcullis.yml`: the validate settings, at their defaults. */
export function validateConfigFile(context: TemplateContext): string {
  return [
    "# Settings of `portcullis validate`, which feeds the framework_integrity and documentation gates:",
    "# which Markdown files are checked, and how. Every key is optional; the values below are the",
    `# defaults. Reference: ${context.docsUrl}/validate.md`,
    "validate:",
    "  # Files to check (repository-relative globs).",
    '  include: ["**/*.md"]',
    "  # Files and folders never read. The reports folder, .gitignored files and node_modules are",
    "  # skipped whatever this says.",
    '  exclude: ["**/node_modules/**", "**/.git/**"]',
    "  # markdownlint rule settings, merged over `{ default: true, MD013: false }`; `false` runs none.",
    "  markdownlint: {}",
    "  # A token budget per glob (the first matching entry wins), for files an agent reads whole.",
    "  # token_budgets:",
    '  #   - glob: "**/CLAUDE.md"',
    "  #     max: 10000",
    "",
  ].join("\n");
}

/** The workflow that calls the Dagger module at its pinned version: the runner needs only Dagger. */
export function daggerWorkflow(context: TemplateContext): string {
  const module = `${context.moduleAddress}@${context.moduleVersion}`;
  return [
    "# Portcullis' quality gates on every pull request and push to main, run by its Dagger module at a",
    "# pinned version: every scanner comes in its own pinned image, so the runner needs only Dagger",
    "# (installed by the action). Upgrade by changing the module version below.",
    `# Written by \`portcullis init\`. Reference: ${context.docsUrl}/adoption.md`,
    "name: portcullis",
    "",
    "on:",
    "  pull_request:",
    "  push:",
    "    branches: [main]",
    "  workflow_dispatch:",
    "    inputs:",
    "      environment:",
    "        description: Environment whose gates decide",
    "        type: choice",
    `        options: [${SCAFFOLD_ENVIRONMENTS.join(", ")}]`,
    "        default: development",
    "",
    ...gatesJobStart([
      "      # A manual run chooses; otherwise the repository variable PORTCULLIS_ENV, else development.",
      "      PORTCULLIS_ENV: ${{ inputs.environment || vars.PORTCULLIS_ENV || 'development' }}",
    ]),
    "",
    "      - name: Run the gates and export the reports",
    `        uses: dagger/dagger-for-github@${ACTIONS.daggerForGithub}`,
    "        with:",
    `          version: ${DAGGER_ENGINE_VERSION}`,
    `          module: ${module}`,
    "          verb: call",
    "          args: ci --source=. --env=${{ env.PORTCULLIS_ENV }} --commit=${{ github.sha }} reports export --path=reports",
    "",
    ...reportSteps({ summary: true }),
    "",
    "      - name: Fail when blocked",
    "        run: |",
    "          if ! jq -e '.passed == true' reports/report.json > /dev/null; then",
    '            echo "::error title=Portcullis::a mandatory gate blocked (see the summary)"',
    "            exit 1",
    "          fi",
    "",
  ].join("\n");
}

/** Both workflows' `gates` job up to its first step: least privilege, the environment, a checkout. */
function gatesJobStart(environment: readonly string[]): string[] {
  return [
    "# Nothing by default; the job asks for what it uses.",
    "permissions: {}",
    "",
    "jobs:",
    "  gates:",
    "    runs-on: ubuntu-latest",
    "    timeout-minutes: 60",
    "    permissions:",
    "      contents: read",
    "      # upload-sarif: write code scanning alerts; read the run it belongs to.",
    "      security-events: write",
    "      actions: read",
    "    env:",
    ...environment,
    "    steps:",
    "      - name: Check out",
    `        uses: actions/checkout@${ACTIONS.checkout}`,
    "        with:",
    "          persist-credentials: false",
  ];
}

/** Scanner versions the host workflow installs: the ones the Dagger module's images pin. */
export interface HostToolVersions {
  gitleaks: string;
  trivy: string;
  semgrep: string;
  k6: string;
}

/** The workflow that runs `npx portcullis ci` on the runner itself, with the scanners installed there. */
export function hostWorkflow(context: TemplateContext, tools: HostToolVersions): string {
  return [
    "# Portcullis' quality gates run on the runner itself (`npx portcullis ci`), for repositories that",
    "# cannot use Dagger. Needs portcullis as a dev dependency (npm install -D portcullis) and installs",
    "# the scanners at the versions the Dagger module pins.",
    `# Written by \`portcullis init --host-workflow\`. Reference: ${context.docsUrl}/adoption.md`,
    "name: portcullis-host",
    "",
    "on:",
    "  pull_request:",
    "  push:",
    "    branches: [main]",
    "",
    ...gatesJobStart(["      PORTCULLIS_ENV: ${{ vars.PORTCULLIS_ENV || 'development' }}"]),
    "",
    `      - uses: actions/setup-node@${ACTIONS.setupNode}`,
    "        with:",
    "          node-version: 24",
    "          cache: npm",
    "",
    "      - name: Install dependencies (portcullis among them)",
    "        run: npm ci",
    "",
    // The pinned versions: release archives checked against their published checksums, semgrep
    // from PyPI at its pin; k6 only when named.
    `      - name: Install gitleaks ${tools.gitleaks}, trivy ${tools.trivy}, semgrep ${tools.semgrep} and k6 ${tools.k6}`,
    "        run: npx portcullis tools install gitleaks trivy semgrep k6",
    "",
    "      # Exit 1 when a mandatory gate blocks, which fails the job after the reports are kept.",
    "      - name: Run the gates",
    '        run: npx portcullis ci --env "$PORTCULLIS_ENV" --commit "$GITHUB_SHA"',
    "",
    ...reportSteps({ summary: false }),
    "",
  ].join("\n");
}

/** The `.gitignore` line for the reports folder, and the comment above it. */
export const GITIGNORE_ENTRY = ["# Portcullis reports (regenerated by every run)", "reports/"] as const;

// --- internal ---

/**
 * SARIF to code scanning and the summary to the run page, whether the gates passed or not. The host
 * runner writes the summary itself (it sees GITHUB_STEP_SUMMARY); the module's container does not.
 */
function reportSteps(options: { summary: boolean }): string[] {
  const sarif = [
    "      - name: Upload SARIF to code scanning",
    "        if: always() && hashFiles('reports/report.sarif') != ''",
    `        uses: github/codeql-action/upload-sarif@${ACTIONS.codeqlUploadSarif}`,
    "        with:",
    "          sarif_file: reports/report.sarif",
    "          category: portcullis",
  ];
  if (!options.summary) return sarif;
  return [
    ...sarif,
    "",
    "      - name: Summary",
    "        if: always() && hashFiles('reports/summary.md') != ''",
    '        run: cat reports/summary.md >> "$GITHUB_STEP_SUMMARY"',
  ];
}
