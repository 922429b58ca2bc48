/**
 * Portcullis: CI/CD quality gates. Secrets, vulnerabilities, SAST, load and Markdown-framework
 * checks run in pinned containers; a policy per environment turns their reports into pass, warn,
 * fail or error verdicts and one set of reports (JSON, SARIF, Markdown, JUnit).
 *
 * Start with `dagger call ci --source=. summary`. Called from another module, always pass your own
 * source: a default path points at Portcullis' repository there, not yours.
 */
import {
  argument,
  check,
  func,
  generate,
  object,
  type Changeset,
  type Container,
  type Directory,
  type File,
  type Secret,
  type Service,
} from "@dagger.io/dagger";
import {
  CHECKOUT_IGNORE,
  DEFAULT_ENV,
  DEFAULT_SCENARIO,
  FIX_ENV,
  NODE_IMAGE,
  SOURCE_IGNORE,
  SOURCE_PATH,
} from "./arguments.js";
import { deployRelease, environmentStatus, rollbackRelease } from "./blue-green.js";
import { gateCheck, runCi } from "./ci.js";
import { collect, gitleaksDir, gitleaksGit, semgrepScan, trivyImage, trivySbom } from "./containers.js";
import { fixChangeset } from "./fix.js";
import { evaluateReports, evidenceBundle, type Result } from "./result.js";
import { historyRange, loadRun, orThrow, semgrepConfigs, validateStage, vulnerabilitiesStage } from "./stages.js";
import { GITLEAKS_IMAGE, K6_IMAGE, SEMGREP_IMAGE, TRIVY_IMAGE } from "./tools.gen.js";
import type { Toolbox } from "./toolbox.js";

/**
 * Quality gates as functions. Every image is an argument, so mirrors and newer tools need no fork.
 */
@object()
export class Portcullis {
  nodeImage: string;
  gitleaksImage: string;
  trivyImage: string;
  semgrepImage: string;
  k6Image: string;
  trivyDbRepository: string;
  trivyJavaDbRepository: string;
  trivyIgnoreUnfixed: boolean;
  trivyRegistryUsername: string;
  trivyRegistryPassword?: Secret;

  constructor(
    /**
     * Image the `portcullis` CLI runs in.
     * Usage: --node-image=node:22.14.0-bookworm-slim
     */
    nodeImage: string = NODE_IMAGE,
    /**
     * gitleaks image (secrets).
     * Usage: --gitleaks-image=mirror.example/gitleaks:v8.30.1
     */
    gitleaksImage: string = GITLEAKS_IMAGE,
    /**
     * trivy image (vulnerabilities, SBOM, misconfigurations, licences).
     * Usage: --trivy-image=mirror.example/trivy:0.74.0
     */
    trivyImage: string = TRIVY_IMAGE,
    /**
     * semgrep image (SAST).
     * Usage: --semgrep-image=mirror.example/semgrep:1.163.0
     */
    semgrepImage: string = SEMGREP_IMAGE,
    /**
     * k6 image (load).
     * Usage: --k6-image=mirror.example/k6:1.7.1
     */
    k6Image: string = K6_IMAGE,
    /**
     * Mirror of trivy's vulnerability DB (`--db-repository`); empty for the default.
     * Usage: --trivy-db-repository=mirror.example/aquasecurity/trivy-db:2
     */
    trivyDbRepository: string = "",
    /**
     * Mirror of trivy's Java DB (`--java-db-repository`); empty for the default.
     * Usage: --trivy-java-db-repository=mirror.example/aquasecurity/trivy-java-db:1
     */
    trivyJavaDbRepository: string = "",
    /**
     * Leave out vulnerabilities that have no fixed version yet.
     * Usage: --trivy-ignore-unfixed
     */
    trivyIgnoreUnfixed: boolean = false,
    /**
     * User for a private DB mirror (TRIVY_USERNAME).
     * Usage: --trivy-registry-username=robot
     */
    trivyRegistryUsername: string = "",
    /**
     * Password or token for a private DB mirror (TRIVY_PASSWORD), as a secret.
     * Usage: --trivy-registry-password=env://MIRROR_TOKEN
     */
    trivyRegistryPassword?: Secret,
  ) {
    this.nodeImage = nodeImage;
    this.gitleaksImage = gitleaksImage;
    this.trivyImage = trivyImage;
    this.semgrepImage = semgrepImage;
    this.k6Image = k6Image;
    this.trivyDbRepository = trivyDbRepository;
    this.trivyJavaDbRepository = trivyJavaDbRepository;
    this.trivyIgnoreUnfixed = trivyIgnoreUnfixed;
    this.trivyRegistryUsername = trivyRegistryUsername;
    // Left unset rather than null: the SDK saves the object's state field by field, and a null
    // object field fails that (Object.entries(null) in loadResult, dist/src/module/entrypoint/load.js).
    if (trivyRegistryPassword !== undefined) this.trivyRegistryPassword = trivyRegistryPassword;
  }

  /**
   * Runs, concurrently, every stage the gates need (validate, secrets, vulnerabilities and SBOM,
   * SAST; the history scan when given a checkout; load when given a target), then evaluates them
   * against the environment's policy. Never scans twice in one Dagger session.
   * Usage: dagger call ci --source=. --env=staging summary
   */
  @func({ cache: "session" })
  async ci(
    /**
     * The repository to check. Pass your own: from another module the default is Portcullis' repository.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
    /**
     * Environment whose policy decides: a name (environments/<name>.yml, your repository's first) or a policy file.
     * Usage: --env=production
     */
    env: string = DEFAULT_ENV,
    /**
     * Service to load-test; without one, the performance gate is `error` (blocking where it is mandatory).
     * Usage: --target=tcp://localhost:8080
     */
    target?: Service,
    /**
     * A checkout with its `.git`, to scan the history for secrets as well.
     * Usage: --history=.
     */
    history?: Directory,
    /**
     * Scan only the history after this commit (a pull request's base); needs historyHead.
     * Usage: --history-base=$BASE_SHA
     */
    historyBase?: string,
    /**
     * Last commit of the history range (a pull request's head); needs historyBase.
     * Usage: --history-head=$HEAD_SHA
     */
    historyHead?: string,
    /**
     * k6 scenario to run against the target: smoke, load, stress or soak.
     * Usage: --scenario=load
     */
    scenario: string = DEFAULT_SCENARIO,
    /**
     * Port of the target; by default its first exposed port.
     * Usage: --target-port=8080
     */
    targetPort?: number,
    /**
     * semgrep rules instead of the default (p/default plus the repository's .semgrep.yml or .semgrep/).
     * Usage: --semgrep-config=p/owasp-top-ten,.semgrep.yml
     */
    semgrepConfig?: string[],
    /**
     * The commit judged, recorded in report.json (deploy accepts a report only for its own commit).
     * Usage: --commit=$GITHUB_SHA
     */
    commit?: string,
  ): Promise<Result> {
    const input = {
      source,
      env,
      target,
      history,
      historyBase,
      historyHead,
      scenario,
      targetPort,
      semgrepConfig,
      commit,
    };
    return runCi(this.tools(), input);
  }

  /**
   * The gates of an environment as a check: fails when a mandatory gate blocks.
   * Usage: dagger check gates
   */
  @func()
  @check()
  async gates(
    /**
     * The repository to check.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
    /**
     * Environment whose policy decides.
     * Usage: --env=staging
     */
    env: string = DEFAULT_ENV,
  ): Promise<void> {
    (await this.ci(source, env)).assert();
  }

  /**
   * The secrets gate alone, as a check: gitleaks over the working tree, judged by the environment's policy.
   * Usage: dagger check secrets-gate
   */
  @func()
  @check()
  async secretsGate(
    /**
     * The repository to check.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
    /**
     * Environment whose policy decides.
     * Usage: --env=staging
     */
    env: string = DEFAULT_ENV,
  ): Promise<void> {
    return gateCheck(this.tools(), "secrets", { source, env });
  }

  /**
   * The vulnerabilities gate alone, as a check: trivy over the source tree, judged by the environment's policy.
   * Usage: dagger check vulnerabilities-gate
   */
  @func()
  @check()
  async vulnerabilitiesGate(
    /**
     * The repository to check.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
    /**
     * Environment whose policy decides.
     * Usage: --env=staging
     */
    env: string = DEFAULT_ENV,
  ): Promise<void> {
    return gateCheck(this.tools(), "vulnerabilities", { source, env });
  }

  /**
   * The sast gate alone, as a check: semgrep with the default rules, judged by the environment's policy.
   * Usage: dagger check sast-gate
   */
  @func()
  @check()
  async sastGate(
    /**
     * The repository to check.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
    /**
     * Environment whose policy decides.
     * Usage: --env=staging
     */
    env: string = DEFAULT_ENV,
  ): Promise<void> {
    return gateCheck(this.tools(), "sast", { source, env });
  }

  /**
   * The framework_integrity and documentation gates alone, as a check: `portcullis validate`, judged by the environment's policy.
   * Usage: dagger check validate-gate
   */
  @func()
  @check()
  async validateGate(
    /**
     * The repository to check.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
    /**
     * Environment whose policy decides.
     * Usage: --env=staging
     */
    env: string = DEFAULT_ENV,
  ): Promise<void> {
    return gateCheck(this.tools(), "validate", { source, env });
  }

  /**
   * Markdown agent-framework integrity (references, cycles, XML, frontmatter, token budgets, fences,
   * markdownlint): `validate.json` and `validate.exitcode`.
   * Usage: dagger call validate --source=. export --path=./reports
   */
  @func({ cache: "session" })
  async validate(
    /**
     * The repository to check.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
  ): Promise<Directory> {
    return orThrow(await validateStage(this.tools(), source));
  }

  /**
   * gitleaks over the working tree (`gitleaks dir`): `gitleaks.json` (secrets redacted) and `gitleaks.exitcode`.
   * Usage: dagger call secrets --source=. export --path=./reports
   */
  @func({ cache: "session" })
  async secrets(
    /**
     * The tree to scan (without `.git`; see secretsHistory).
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
  ): Promise<Directory> {
    return collect(gitleaksDir(this.tools().gitleaksImage, source));
  }

  /**
   * gitleaks over the git history (`gitleaks git`), all of it or one range: `gitleaks.history.json`
   * and `gitleaks.history.exitcode`.
   * Usage: dagger call secrets-history --repo=. --base=origin/main --head=HEAD export --path=./reports
   */
  @func({ cache: "session" })
  async secretsHistory(
    /**
     * A checkout including its `.git` folder.
     * Usage: --repo=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: CHECKOUT_IGNORE })
    repo: Directory,
    /**
     * Scan only the commits after this one (a pull request's base); needs head.
     * Usage: --base=$BASE_SHA
     */
    base?: string,
    /**
     * Last commit to scan (a pull request's head); needs base.
     * Usage: --head=$HEAD_SHA
     */
    head?: string,
  ): Promise<Directory> {
    return collect(gitleaksGit(this.tools().gitleaksImage, repo, historyRange(base, head)));
  }

  /**
   * trivy over the source tree (vulnerabilities, secrets, misconfigurations, licences): `trivy.fs.json`,
   * `trivy.fs.exitcode` and `versions/trivy.txt` (`trivy version --format json`: the DB it used; evaluate judges its
   * age against the policy's `gates.vulnerabilities.max_db_age`).
   * Usage: dagger call vulnerabilities --source=. export --path=./reports
   */
  @func({ cache: "session" })
  async vulnerabilities(
    /**
     * The tree to scan (lock files, manifests, IaC).
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
  ): Promise<Directory> {
    return orThrow(await vulnerabilitiesStage(this.tools(), source));
  }

  /**
   * trivy over a container image, read from a tarball (no daemon, no registry): `trivy.image.json`,
   * `trivy.image.exitcode` and `versions/trivy.txt`. Feed it to evaluate together with the other reports.
   * Usage: dagger call scan-image --image=$(dagger call build) export --path=./reports
   */
  @func({ cache: "session" })
  async scanImage(
    /**
     * The image to scan, as a container.
     * Usage: --image=alpine:3.20
     */
    image: Container,
    /**
     * The repository whose `.trivyignore` applies to the scan.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
  ): Promise<Directory> {
    return collect(trivyImage(this.tools().trivy, image, source));
  }

  /**
   * A CycloneDX SBOM of the source tree (`trivy fs --format cyclonedx`).
   * Usage: dagger call sbom --source=. export --path=./sbom.cdx.json
   */
  @func({ cache: "session" })
  sbom(
    /**
     * The tree to inventory.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
  ): File {
    return trivySbom(this.tools().trivy, source);
  }

  /**
   * semgrep (`semgrep scan --metrics=off`): `semgrep.json` and `semgrep.exitcode` (`evaluate` writes the SARIF).
   * Rules: p/default (fetched at scan time) plus the repository's .semgrep.yml or .semgrep/, or `config`.
   * Usage: dagger call sast --source=. export --path=./reports
   */
  @func({ cache: "session" })
  async sast(
    /**
     * The tree to scan.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
    /**
     * Rule files, folders (relative to the source) or registry packs, replacing the default; never `auto`.
     * Usage: --config=p/owasp-top-ten,rules/
     */
    config?: string[],
  ): Promise<Directory> {
    return collect(semgrepScan(this.tools().semgrepImage, source, await semgrepConfigs(source, config)));
  }

  /**
   * k6 against a running service, bound into the k6 container (`http://target:<port>` as BASE_URL):
   * `k6.json` (summary export), `k6.exitcode` (99: thresholds failed) and `k6-summary.json`.
   * Usage: dagger call load --target=tcp://localhost:8080 --scenario=load export --path=./reports
   */
  @func({ cache: "session" })
  async load(
    /**
     * The service under test: a Dagger service, or a host port as tcp://host:port.
     * Usage: --target=tcp://localhost:8080
     */
    target: Service,
    /**
     * Scenario: smoke, load, stress or soak (your scenarios/<name>.js first, then Portcullis' own).
     * Usage: --scenario=stress
     */
    scenario: string = DEFAULT_SCENARIO,
    /**
     * The repository whose scenarios/ may add or replace scenarios.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
    /**
     * Port of the target; by default its first exposed port.
     * Usage: --target-port=8080
     */
    targetPort?: number,
    /**
     * The environment whose gates.performance policy is the SLA k6's thresholds enforce.
     * Usage: --env=production
     */
    env: string = DEFAULT_ENV,
  ): Promise<Directory> {
    return collect(await loadRun(this.tools(), { target, scenario, source, targetPort, env }));
  }

  /**
   * Turns reports into verdicts: runs `portcullis evaluate --reports` on a folder named by the
   * `--reports` contract (what the other functions export), for one environment.
   * Usage: dagger call evaluate --reports=./reports --env=staging summary
   */
  @func({ cache: "session" })
  async evaluate(
    /**
     * Folder of reports: `<kind>[.<label>].json|.sarif` and `<kind>[.<label>].exitcode`.
     * Usage: --reports=./reports
     */
    reports: Directory,
    /**
     * Environment whose policy decides: a name or a policy file in the source.
     * Usage: --env=production
     */
    env: string = DEFAULT_ENV,
    /**
     * The repository the reports are about: its environments/, waivers and baseline apply.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
    /**
     * The commit judged, recorded in report.json.
     * Usage: --commit=$GITHUB_SHA
     */
    commit?: string,
  ): Promise<Result> {
    return evaluateReports(this.tools(), { reports, env, source, commit, notes: [] });
  }

  /**
   * A verifiable evidence bundle of one run (tar.gz): the reports and SBOM, the policy files with
   * their SHA-256, the ledger records of the report's commit, tool versions and images, and a
   * manifest.json hashing every file, optionally Ed25519-signed. The same reports give the same bytes.
   * Check it with `portcullis evidence verify evidence.tar.gz`.
   * Usage: dagger call evidence --reports=./reports --env=production --signing-key=env://EVIDENCE_KEY export --path=./evidence.tar.gz
   */
  @func()
  evidence(
    /**
     * The reports of a run, with its report.json (what `ci` or `evaluate` returns as reports).
     * Usage: --reports=./reports
     */
    reports: Directory,
    /**
     * The repository: its environments/, .portcullis/ (waivers, controls) and deployment ledger go in.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
    /**
     * Environment whose policy the report was judged by; by default the one report.json names.
     * Usage: --env=production
     */
    env?: string,
    /**
     * Ed25519 private key (PEM) that signs manifest.json, as a secret; it is never printed.
     * Usage: --signing-key=env://EVIDENCE_KEY
     */
    signingKey?: Secret,
  ): File {
    return evidenceBundle(this.tools(), { reports, source, env, signingKey });
  }

  /**
   * The smallest dependency upgrades that unblock the vulnerabilities gate, as a changeset of the
   * manifests and package-lock.json: trivy scans the source in its pinned image, then `portcullis fix`
   * upgrades through npm in the pinned node image and judges the result again (a prediction: trivy is
   * not in that image). A generator: with the module installed as a toolchain, `dagger generate` runs it.
   * Usage: dagger generate portcullis:fix
   */
  @func({ cache: "never" })
  @generate()
  async fix(
    /**
     * The repository to fix (its package-lock.json and manifests).
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: SOURCE_IGNORE })
    source: Directory,
    /**
     * Environment whose policy judges before and after.
     * Usage: --env=staging
     */
    env: string = FIX_ENV,
  ): Promise<Changeset> {
    return fixChangeset(this.tools(), { source, env });
  }

  /**
   * Blue-green deploy of a release with `portcullis deploy`: the idle slot gets it, traffic moves step
   * by step with analysis after each, and any degradation rolls back. Refuses without a passing gate
   * report of the same commit (or force with a reason). State, ledger and lock live in a git ref of
   * the repository (stateGitRef), so every throwaway container shares them. Returns the CLI's output
   * once the release is live; fails with it when the deploy rolled back or aborted (exit 1), had bad
   * input (2) or could not start (3).
   * Usage: dagger call deploy --source=. --env=production --release=1.4.2 --commit=$GITHUB_SHA --gate-report=reports/report.json --credentials=env://DEPLOY_CREDENTIALS
   */
  @func({ cache: "never" })
  async deploy(
    /**
     * The repository with its `.git` (the state ref is fetched from and pushed to its remote) and its environments/.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: CHECKOUT_IGNORE })
    source: Directory,
    /**
     * Environment to deploy to: a name (environments/<name>.yml with a deploy: section) or a policy file.
     * Usage: --env=production
     */
    env: string,
    /**
     * The version being deployed, recorded in the ledger.
     * Usage: --release=1.4.2
     */
    release: string,
    /**
     * The commit deployed; the gate report must be for the same commit.
     * Usage: --commit=$GITHUB_SHA
     */
    commit?: string,
    /**
     * When the commit was made (ISO 8601), for the lead-time metric.
     * Usage: --commit-time=2026-01-31T12:00:00Z
     */
    commitTime?: string,
    /**
     * The passing report.json of the same commit and environment (what `ci` exports).
     * Usage: --gate-report=reports/report.json
     */
    gateReport?: File,
    /**
     * Deploy without a passing gate report; needs reason, and is recorded and notified.
     * Usage: --force --reason="hotfix for the outage"
     */
    force: boolean = false,
    /**
     * Why force is used, recorded in the ledger.
     * Usage: --reason="hotfix for the outage"
     */
    reason?: string,
    /**
     * An env file (KEY=value lines) loaded into the CLI's environment only: webhook URLs named `env:NAME`,
     * git credentials for the state ref's remote, what the deploy hooks read.
     * Usage: --credentials=env://DEPLOY_CREDENTIALS
     */
    credentials?: Secret,
    /**
     * Kubeconfig for the gateway-api router, as a secret.
     * Usage: --kubeconfig=file://$HOME/.kube/config
     */
    kubeconfig?: Secret,
    /**
     * Git ref holding state, ledger and lock; by default refs/portcullis/<env>.
     * Usage: --state-git-ref=refs/portcullis/production
     */
    stateGitRef?: string,
    /**
     * Who deploys, recorded in the ledger.
     * Usage: --actor=$GITHUB_ACTOR
     */
    actor?: string,
    /**
     * deploy: settings overriding the environment file, as key=value (a bare key turns a switch on).
     * Usage: --settings=bake=45s,max_p95=300ms,manual_promotion
     */
    settings?: string[],
  ): Promise<string> {
    const request = { env, release, commit, commitTime, gateReport, force, reason, stateGitRef, actor, settings };
    return deployRelease(this.tools(), { source, secrets: { credentials, kubeconfig } }, request);
  }

  /**
   * Sends all traffic back to the previous slot at once, without analysis (`portcullis rollback`),
   * or, with toPrevious, restores the last stable release in the ledger. Never blocked by a lock.
   * Returns the CLI's output once traffic is verified on the old slot; fails otherwise.
   * Usage: dagger call rollback --source=. --env=production --reason="errors after release" --credentials=env://DEPLOY_CREDENTIALS
   */
  @func({ cache: "never" })
  async rollback(
    /**
     * The repository with its `.git` (where the state ref lives) and its environments/.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: CHECKOUT_IGNORE })
    source: Directory,
    /**
     * Environment to roll back: a name or a policy file.
     * Usage: --env=production
     */
    env: string,
    /**
     * Restore the last stable release recorded in the ledger instead of the other slot.
     * Usage: --to-previous
     */
    toPrevious: boolean = false,
    /**
     * Why, recorded in the ledger and notified.
     * Usage: --reason="errors after release"
     */
    reason?: string,
    /**
     * An env file (KEY=value lines) loaded into the CLI's environment only (webhooks, git credentials, hooks).
     * Usage: --credentials=env://DEPLOY_CREDENTIALS
     */
    credentials?: Secret,
    /**
     * Kubeconfig for the gateway-api router, as a secret.
     * Usage: --kubeconfig=file://$HOME/.kube/config
     */
    kubeconfig?: Secret,
    /**
     * Git ref holding state, ledger and lock; by default refs/portcullis/<env>.
     * Usage: --state-git-ref=refs/portcullis/production
     */
    stateGitRef?: string,
    /**
     * Who rolls back, recorded in the ledger.
     * Usage: --actor=$GITHUB_ACTOR
     */
    actor?: string,
    /**
     * deploy: settings overriding the environment file, as key=value.
     * Usage: --settings=probe_path=/ready
     */
    settings?: string[],
  ): Promise<string> {
    const target = { env, stateGitRef, actor, settings };
    return rollbackRelease(this.tools(), { source, secrets: { credentials, kubeconfig } }, target, {
      toPrevious,
      reason,
    });
  }

  /**
   * Where an environment stands (`portcullis status`): the active slot and the release of each, the
   * phase and weights of a deploy in progress (or interrupted), and the lock.
   * Usage: dagger call status --source=. --env=production
   */
  @func({ cache: "never" })
  async status(
    /**
     * The repository with its `.git` (where the state ref lives) and its environments/.
     * Usage: --source=.
     */
    @argument({ defaultPath: SOURCE_PATH, ignore: CHECKOUT_IGNORE })
    source: Directory,
    /**
     * Environment to report on: a name or a policy file.
     * Usage: --env=production
     */
    env: string,
    /**
     * text or json.
     * Usage: --format=json
     */
    format: string = "text",
    /**
     * An env file (KEY=value lines) loaded into the CLI's environment only: git credentials for a private remote.
     * Usage: --credentials=env://DEPLOY_CREDENTIALS
     */
    credentials?: Secret,
    /**
     * Git ref holding state, ledger and lock; by default refs/portcullis/<env>.
     * Usage: --state-git-ref=refs/portcullis/production
     */
    stateGitRef?: string,
  ): Promise<string> {
    const target = { env, stateGitRef, actor: undefined, settings: undefined };
    return environmentStatus(this.tools(), { source, secrets: { credentials } }, target, format);
  }

  // --- internal ---

  /** The images and trivy settings this object was constructed with, as the jobs take them. */
  private tools(): Toolbox {
    return {
      nodeImage: this.nodeImage,
      gitleaksImage: this.gitleaksImage,
      semgrepImage: this.semgrepImage,
      k6Image: this.k6Image,
      trivy: {
        image: this.trivyImage,
        ignoreUnfixed: this.trivyIgnoreUnfixed,
        dbRepository: this.trivyDbRepository === "" ? undefined : this.trivyDbRepository,
        javaDbRepository: this.trivyJavaDbRepository === "" ? undefined : this.trivyJavaDbRepository,
        registryUsername: this.trivyRegistryUsername === "" ? undefined : this.trivyRegistryUsername,
        registryPassword: this.trivyRegistryPassword,
      },
    };
  }
}
