/**
 * The containers the module builds, read from their lazy query trees: nothing here talks to an
 * engine. What runs where, with which argv, mounts, caches, secrets and exit-code handling.
 */
import { dag } from "@dagger.io/dagger";
import { describe, expect, it } from "vitest";
import { deployContainer, deployRun } from "../src/blue-green.js";
import { BUILD_FILES, BUILTIN_FILES, CLI_BIN, cliContainer, MANIFEST_FILES } from "../src/cli-container.js";
import {
  CACHE_BUSTERS,
  CACHE_VOLUMES,
  gitleaksDir,
  gitleaksGit,
  k6Run,
  portcullisValidate,
  scenarios,
  semgrepScan,
  trivyFs,
  trivyImage,
  trivySbom,
  type TrivyOptions,
} from "../src/containers.js";
import { cliArgv, deployCommand, PORTCULLIS_BIN, rollbackCommand, statusCommand } from "../src/deploy.js";
import { LAYOUT } from "../src/layout.js";
import { IMAGES } from "../src/tools.gen.js";
import { z } from "zod";
import { calls, execs, only, ops, type Op } from "./helpers/query-tree.js";

const source = dag.directory().withNewFile("app/main.py", "print('hi')\n");
const trivyOptions: TrivyOptions = { image: IMAGES.trivy.ref, ignoreUnfixed: false };

/** This process's scan cache buster (CACHE_BUSTERS), read back from a scan. */
const scanRun = String(
  calls(gitleaksDir(IMAGES.gitleaks.ref, dag.directory()).container, "withEnvVariable").at(-1)?.args["value"],
);

/** The empty, world-writable /out every tool writes its report to. */
const writableOut = [
  { operation: "directory", args: {} },
  { operation: "withNewDirectory", args: { path: "out", permissions: 0o777 } },
  { operation: "directory", args: { path: "out" } },
];

describe("gitleaks", () => {
  it("scans the working tree from the pinned image, keeping every exit code", () => {
    const run = gitleaksDir(IMAGES.gitleaks.ref, source);
    expect(ops(run.container).map((op) => op.operation)).toEqual([
      "container",
      "from",
      "withMountedDirectory",
      "withWorkdir",
      "withMountedDirectory",
      "withEnvVariable",
      "withExec",
    ]);
    expect(only(run.container, "withEnvVariable").args).toEqual({ name: CACHE_BUSTERS.scan, value: scanRun });
    expect(only(run.container, "from").args).toEqual({ address: "zricethezav/gitleaks:v8.30.1" });
    expect(calls(run.container, "withMountedDirectory").map((op) => op.args)).toEqual([
      { path: "/src", source: ops(source) },
      { path: "/out", source: writableOut },
    ]);
    expect(only(run.container, "withWorkdir").args).toEqual({ path: "/src" });
    expect(only(run.container, "withExec").args).toEqual({
      args: [
        "gitleaks",
        "dir",
        ".",
        "--report-format",
        "json",
        "--report-path",
        "/out/gitleaks.json",
        "--redact",
        "--no-banner",
        "--exit-code",
        "42",
        "--gitleaks-ignore-path",
        ".",
      ],
      expect: "ANY",
    });
    expect(run.exitCodeFile).toBe("gitleaks.exitcode");
  });

  it("scans history in a checkout at /repo, one range when given, git told the checkout is safe", () => {
    const repo = dag.directory().withNewDirectory(".git");
    const run = gitleaksGit(IMAGES.gitleaks.ref, repo, { base: "4f1e2d3", head: "9a8b7c6" });
    expect(calls(run.container, "withMountedDirectory")[0]?.args).toEqual({ path: "/repo", source: ops(repo) });
    expect(only(run.container, "withWorkdir").args).toEqual({ path: "/repo" });
    expect(calls(run.container, "withEnvVariable").map((op) => op.args)).toEqual([
      { name: "GIT_CONFIG_COUNT", value: "1" },
      { name: "GIT_CONFIG_KEY_0", value: "safe.directory" },
      { name: "GIT_CONFIG_VALUE_0", value: "*" },
      { name: CACHE_BUSTERS.scan, value: scanRun },
    ]);
    expect(execs(run.container)).toEqual([
      [
        "gitleaks",
        "git",
        ".",
        "--log-opts",
        "4f1e2d3..9a8b7c6",
        "--report-format",
        "json",
        "--report-path",
        "/out/gitleaks.history.json",
        "--redact",
        "--no-banner",
        "--exit-code",
        "42",
        "--gitleaks-ignore-path",
        ".",
      ],
    ]);
    expect(run.exitCodeFile).toBe("gitleaks.history.exitcode");
    expect(execs(gitleaksGit(IMAGES.gitleaks.ref, repo).container)[0]).not.toContain("--log-opts");
  });

  it("refuses a range that would smuggle options into git log", () => {
    expect(() => gitleaksGit(IMAGES.gitleaks.ref, source, { base: "main --all", head: "HEAD" })).toThrow(
      /cannot be passed to a tool/,
    );
  });
});

describe("trivy", () => {
  it("keeps its DB in one cache volume, LOCKED, and records `trivy version` after the scan", () => {
    const run = trivyFs(trivyOptions, source);
    const cache = only(run.container, "withMountedCache");
    expect(cache.args).toEqual({
      path: "/cache/trivy",
      cache: [{ operation: "cacheVolume", args: { key: CACHE_VOLUMES.trivy } }],
      sharing: "LOCKED",
    });
    expect(only(run.container, "withExec").args).toEqual({
      args: [
        "trivy",
        "fs",
        "--format",
        "json",
        "--output",
        "/out/trivy.fs.json",
        "--scanners",
        "vuln,secret,misconfig,license",
        "--cache-dir",
        "/cache/trivy",
        "--config",
        "/dev/null",
        "--secret-config",
        "/out/.portcullis-no-secret-config.yaml",
        "--no-progress",
        "--",
        ".",
      ],
      expect: "ANY",
      // Beside the reports: evaluate turns what trivy skipped, said only in its log, into warnings.
      redirectStderr: "/out/trivy.fs.log",
    });
    expect(run.exitCodeFile).toBe("trivy.fs.exitcode");
    // The reports come from after `trivy version`, run in the same container and cache.
    const after = ops(run.reports);
    expect(after.at(-1)).toEqual({ operation: "directory", args: { path: "/out" } });
    expect(after.filter((op) => op.operation === "withExec").at(-1)?.args).toEqual({
      args: ["trivy", "version", "--format", "json", "--cache-dir", "/cache/trivy"],
      expect: "ANY",
      redirectStdout: "/out/versions/trivy.txt",
    });
  });

  it("passes mirrors and their credentials, the password only as a secret", () => {
    const password = dag.setSecret("mirror-token", "not-a-real-token");
    const run = trivyFs(
      {
        ...trivyOptions,
        ignoreUnfixed: true,
        dbRepository: "mirror.example/trivy-db:2",
        registryUsername: "robot",
        registryPassword: password,
      },
      source,
    );
    expect(execs(run.container)[0]).toEqual(
      expect.arrayContaining(["--ignore-unfixed", "--db-repository", "mirror.example/trivy-db:2"]),
    );
    expect(execs(run.container)[0]).not.toContain("--java-db-repository");
    expect(calls(run.container, "withEnvVariable")[0]?.args).toEqual({ name: "TRIVY_USERNAME", value: "robot" });
    expect(only(run.container, "withSecretVariable").args).toEqual({ name: "TRIVY_PASSWORD", secret: ops(password) });
  });

  it("scans an image from a tarball (no daemon, no registry) in the repository, where .trivyignore applies", () => {
    const image = dag.container().from("alpine:3.20");
    const run = trivyImage(trivyOptions, image, source);
    expect(calls(run.container, "withMountedDirectory")[0]?.args).toEqual({ path: "/src", source: ops(source) });
    expect(calls(run.container, "withWorkdir").at(-1)?.args).toEqual({ path: "/src" });
    const tarball = only(run.container, "withMountedFile");
    expect(tarball.args).toEqual({
      path: LAYOUT.imageTar,
      source: [...ops(image), { operation: "asTarball", args: {} }],
    });
    expect(execs(run.container)[0]).toEqual(
      expect.arrayContaining(["trivy", "image", "--input", "/input/image.tar", "--output", "/out/trivy.image.json"]),
    );
    expect(run.exitCodeFile).toBe("trivy.image.exitcode");
  });

  it("generates a CycloneDX SBOM and fails when trivy does", () => {
    const sbom = trivySbom(trivyOptions, source);
    expect(only(sbom, "withExec").args).toEqual({
      args: [
        "trivy",
        "fs",
        "--format",
        "cyclonedx",
        "--output",
        "/out/sbom.cdx.json",
        "--cache-dir",
        "/cache/trivy",
        "--config",
        "/dev/null",
        "--quiet",
        "--",
        ".",
      ],
      expect: "SUCCESS",
    });
    expect(ops(sbom).at(-1)).toEqual({ operation: "file", args: { path: "/out/sbom.cdx.json" } });
  });
});

describe("semgrep", () => {
  it("runs the given rules with metrics off", () => {
    const run = semgrepScan(IMAGES.semgrep.ref, source, ["p/default", "./.semgrep.yml"]);
    expect(only(run.container, "from").args).toEqual({ address: "semgrep/semgrep:1.163.0" });
    expect(only(run.container, "withExec").args).toEqual({
      args: [
        "semgrep",
        "scan",
        "--config",
        "p/default",
        "--config",
        "./.semgrep.yml",
        "--json-output",
        "/out/semgrep.json",
        "--metrics=off",
        "--disable-version-check",
        "--error",
        ".",
      ],
      expect: "ANY",
    });
  });
});

describe("k6", () => {
  it("binds the target as a service and hands it to the scenario as BASE_URL", () => {
    const target = dag.container().from("nginx:1.27").withExposedPort(8080).asService();
    const scripts = dag.directory().withNewFile("smoke.js", "export default function () {}\n");
    const run = k6Run({
      image: IMAGES.k6.ref,
      sla: { SLA_P95_MS: "1500" },
      scenarios: scripts,
      target,
      port: 8080,
      scenario: "smoke",
    });
    expect(only(run.container, "from").args).toEqual({ address: "grafana/k6:1.7.1" });
    expect(only(run.container, "withServiceBinding").args).toEqual({ alias: "target", service: ops(target) });
    expect(calls(run.container, "withEnvVariable").map((op) => op.args)).toEqual([
      { name: "SLA_P95_MS", value: "1500" },
      { name: "BASE_URL", value: "http://target:8080" },
      { name: "K6_SUMMARY_PATH", value: "/out/k6-summary.json" },
      { name: CACHE_BUSTERS.scan, value: scanRun },
    ]);
    expect(calls(run.container, "withMountedDirectory").map((op) => op.args["path"])).toEqual(["/scenarios", "/out"]);
    expect(only(run.container, "withExec").args).toEqual({
      args: ["k6", "run", "--summary-export", "/out/k6.json", "--quiet", "smoke.js"],
      expect: "ANY",
    });
    expect(run.exitCodeFile).toBe("k6.exitcode");
  });

  it.each([0, 65_536, 80.5])("refuses the port %s", (port) => {
    const target = dag.container().asService();
    expect(() =>
      k6Run({ image: IMAGES.k6.ref, sla: {}, scenarios: dag.directory(), target, port, scenario: "smoke" }),
    ).toThrow(/is not a TCP port/);
  });

  it("takes the caller's scenarios over Portcullis' own", () => {
    const mine = dag.directory().withNewFile("scenarios/smoke.js", "// mine\n");
    const theirs = dag.directory().withNewFile("scenarios/smoke.js", "// portcullis\n");
    expect(ops(scenarios(theirs, mine))).toEqual([
      ...ops(theirs),
      { operation: "filter", args: { include: ["scenarios/*.js", "scenarios/lib/**"] } },
      {
        operation: "withDirectory",
        args: { path: ".", source: [...ops(mine), { operation: "filter", args: { include: ["scenarios/**"] } }] },
      },
      { operation: "directory", args: { path: "scenarios" } },
    ]);
  });
});

describe("the portcullis CLI container", () => {
  const portcullis = dag.directory().withNewFile("package.json", "{}");
  const cli = cliContainer("node:22.14.0-bookworm-slim", portcullis);
  const manifests = [...ops(portcullis), { operation: "filter", args: { include: MANIFEST_FILES } }];
  const npmCache = {
    path: "/root/.npm",
    cache: [{ operation: "cacheVolume", args: { key: CACHE_VOLUMES.npm } }],
    sharing: "SHARED",
  };
  /** The build stage: what gates/dist is taken from. */
  const built = (): Op[] => {
    const dist = calls(cli, "withDirectory").find((op) => op.args["path"] === "gates/dist");
    return z
      .array(z.object({ operation: z.string(), args: z.record(z.string(), z.unknown()) }))
      .parse(dist?.args["source"]);
  };

  it("installs only the portcullis workspace's production dependencies, from the manifests alone", () => {
    expect(only(cli, "from").args).toEqual({ address: "node:22.14.0-bookworm-slim" });
    expect(only(cli, "withMountedCache").args).toEqual(npmCache);
    expect(calls(cli, "withDirectory")[0]?.args).toEqual({ path: LAYOUT.cli, source: manifests });
    expect(execs(cli)).toEqual([
      ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev", "--workspace", "portcullis"],
    ]);
  });

  it("compiles in a build stage (manifests, npm ci with dev dependencies, then the sources and tsc)", () => {
    const stage = built();
    expect(stage.filter((op) => op.operation === "withExec").map((op) => op.args["args"])).toEqual([
      ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
      ["npm", "run", "build", "--workspace", "portcullis"],
    ]);
    const order = stage.map((op) => op.operation);
    // Dependencies are installed before the sources arrive, so a source change reuses them.
    expect(order.indexOf("withExec")).toBeLessThan(order.lastIndexOf("withDirectory"));
    expect(stage.filter((op) => op.operation === "withDirectory").at(-1)?.args).toEqual({
      path: ".",
      source: [...ops(portcullis), { operation: "filter", args: { include: BUILD_FILES } }],
    });
    expect(stage.at(-1)).toEqual({ operation: "directory", args: { path: `${LAYOUT.cli}/gates/dist` } });
  });

  it("puts the CLI on the PATH, the built-in policies and scenarios as the last layers (editing them compiles nothing)", () => {
    expect(only(cli, "withSymlink").args).toEqual({
      target: `${LAYOUT.cli}/gates/bin/portcullis.js`,
      linkName: CLI_BIN,
    });
    expect(calls(cli, "withEnvVariable").map((op) => op.args)).toEqual([{ name: "NO_COLOR", value: "1" }]);
    // Where the CLI looks when the caller's repository has no environments/<name>.yml or scenarios/<name>.js
    // (gates/src/policy/builtin.ts), laid out as gates/scripts/copy-builtins.js lays out the npm package.
    expect(
      calls(cli, "withDirectory")
        .slice(-2)
        .map((op) => op.args),
    ).toEqual(
      (["environments", "scenarios"] as const).map((folder) => ({
        path: `gates/builtin/${folder}`,
        source: [
          ...ops(portcullis),
          { operation: "filter", args: { include: [...BUILTIN_FILES[folder]] } },
          { operation: "directory", args: { path: folder } },
        ],
      })),
    );
    expect(JSON.stringify(built())).not.toMatch(/environments|scenarios/);
  });

  it("validates the caller's tree as it is: no policies of Portcullis' laid over it", () => {
    const run = portcullisValidate(cli, source);
    expect(calls(run.container, "withMountedDirectory")[0]?.args).toEqual({ path: LAYOUT.source, source: ops(source) });
    expect(execs(run.container).at(-1)).toEqual(["portcullis", "validate", ".", "--out", "/out"]);
    expect(calls(run.container, "withExec").at(-1)?.args["expect"]).toBe("ANY");
    expect(run.exitCodeFile).toBe("validate.exitcode");
  });
});

describe("every command the module runs", () => {
  it("starts with the binary, never a shell", () => {
    const repo = dag.directory();
    const containers = [
      gitleaksDir(IMAGES.gitleaks.ref, source).container,
      gitleaksGit(IMAGES.gitleaks.ref, repo).container,
      trivyFs(trivyOptions, source).reports,
      trivyImage(trivyOptions, dag.container(), source).reports,
      trivySbom(trivyOptions, source),
      semgrepScan(IMAGES.semgrep.ref, source, ["p/default"]).container,
      portcullisValidate(cliContainer("node:22", repo), repo).container,
      k6Run({
        image: IMAGES.k6.ref,
        sla: {},
        scenarios: repo,
        target: dag.container().asService(),
        port: 80,
        scenario: "load",
      }).container,
    ];
    const binaries = new Set(
      containers.flatMap((container) => execs(container).map((argv) => (Array.isArray(argv) ? String(argv[0]) : ""))),
    );
    expect([...binaries].sort()).toEqual(["gitleaks", "k6", "npm", "portcullis", "semgrep", "trivy"]);
  });
});

describe("the blue-green commands", () => {
  const repo = dag
    .directory()
    .withNewDirectory(".git")
    .withNewFile("environments/production.yml", "name: production\n");
  const portcullisRepo = dag.directory().withNewFile("package.json", "{}");
  const cli = cliContainer("node:22.14.0-bookworm-slim", portcullisRepo);
  const tree = repo;
  const target = { env: "production", stateGitRef: undefined, actor: undefined, settings: undefined };

  it("run the CLI built from Portcullis' repository, with git added and told the checkout is safe", () => {
    const container = deployContainer(cli, tree, {});
    expect(only(container, "from").args).toEqual({ address: "node:22.14.0-bookworm-slim" });
    expect(execs(container)).toEqual([
      ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev", "--workspace", "portcullis"],
      ["apt-get", "update"],
      ["apt-get", "install", "--yes", "--no-install-recommends", "git", "ca-certificates"],
      ["git", "config", "--system", "--add", "safe.directory", "*"],
    ]);
    // The checkout keeps its .git: the state ref is fetched and pushed from it.
    expect(calls(container, "withMountedDirectory")[0]?.args).toEqual({ path: "/src", source: ops(tree) });
    expect(JSON.stringify(ops(tree))).toContain('".git"');
    expect(calls(container, "withWorkdir").at(-1)?.args).toEqual({ path: "/src" });
    expect(calls(container, "withMountedSecret")).toEqual([]);
  });

  it("deploy: binary first, the gate report, the state ref, every exit code kept for the caller to map", () => {
    const report = dag.directory().withNewFile("report.json", "{}").file("report.json");
    const argv = cliArgv(
      deployCommand({
        ...target,
        release: "1.4.2",
        commit: "4f1e2d3",
        commitTime: "2026-01-31T12:00:00Z",
        gateReport: true,
        force: false,
        reason: undefined,
      }),
      false,
    );
    const ran = deployRun(deployContainer(cli, tree, {}).withMountedFile(LAYOUT.gateReport, report), argv);
    expect(calls(ran, "withExec").at(-1)?.args).toEqual({
      args: [
        "node",
        PORTCULLIS_BIN,
        "deploy",
        "--release",
        "1.4.2",
        "--commit",
        "4f1e2d3",
        "--commit-time",
        "2026-01-31T12:00:00Z",
        "--gate-report",
        "/input/report.json",
        "--env",
        "production",
        "--state-git-ref",
        "refs/portcullis/production",
      ],
      expect: "ANY",
    });
    expect(only(ran, "withMountedFile").args).toEqual({ path: "/input/report.json", source: ops(report) });
    expect(PORTCULLIS_BIN).toBe("/opt/portcullis/gates/bin/portcullis.js");
  });

  it("mounts credentials and a kubeconfig as secret files, node loading the credentials, nothing in plain text", () => {
    const credentials = dag.setSecret("deploy-credentials", "SLACK_DEPLOY_WEBHOOK=https://hooks.invalid/x\n");
    const kubeconfig = dag.setSecret("kubeconfig", "apiVersion: v1\n");
    const ran = deployRun(
      deployContainer(cli, tree, { credentials, kubeconfig }),
      cliArgv(rollbackCommand(target, true, "errors after release"), true),
    );
    expect(calls(ran, "withMountedSecret").map((op) => op.args)).toEqual([
      { path: "/run/secrets/portcullis-credentials.env", source: ops(credentials) },
      { path: "/run/secrets/kubeconfig", source: ops(kubeconfig) },
    ]);
    expect(calls(ran, "withSecretVariable")).toEqual([]);
    expect(calls(ran, "withEnvVariable").map((op) => op.args["name"])).toEqual([
      "NO_COLOR",
      "KUBECONFIG",
      CACHE_BUSTERS.call,
    ]);
    expect(calls(ran, "withEnvVariable")[1]?.args).toEqual({ name: "KUBECONFIG", value: "/run/secrets/kubeconfig" });
    expect(calls(ran, "withExec").at(-1)?.args).toEqual({
      args: [
        "node",
        "--env-file=/run/secrets/portcullis-credentials.env",
        PORTCULLIS_BIN,
        "rollback",
        "--to-previous",
        "--reason=errors after release",
        "--env",
        "production",
        "--state-git-ref",
        "refs/portcullis/production",
      ],
      expect: "ANY",
    });
    // The secret's value exists only inside the secret itself, never in an argument or a variable.
    const elsewhere = ops(ran).filter((op) => op.operation !== "withMountedSecret");
    expect(JSON.stringify(elsewhere)).not.toContain("hooks.invalid");
  });

  it("status: the format and the given state ref", () => {
    const ran = deployRun(
      deployContainer(cli, tree, {}),
      cliArgv(statusCommand({ ...target, stateGitRef: "refs/portcullis/prod-eu" }, "json"), false),
    );
    expect(calls(ran, "withExec").at(-1)?.args).toEqual({
      args: [
        "node",
        PORTCULLIS_BIN,
        "status",
        "--format",
        "json",
        "--env",
        "production",
        "--state-git-ref",
        "refs/portcullis/prod-eu",
      ],
      expect: "ANY",
    });
  });
});

describe("cache busters", () => {
  it("give every scan of one function execution the same value, so identical scans run once", () => {
    const value = (container: unknown) =>
      calls(container, "withEnvVariable").find((op) => op.args["name"] === CACHE_BUSTERS.scan)?.args["value"];
    expect(value(gitleaksDir(IMAGES.gitleaks.ref, source).container)).toBe(scanRun);
    expect(value(semgrepScan(IMAGES.semgrep.ref, source, ["p/default"]).container)).toBe(scanRun);
    expect(value(trivySbom(trivyOptions, source))).toBe(scanRun);
    expect(scanRun).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("give every blue-green command a fresh value, so a repeated status or deploy runs again", () => {
    const cli = dag.container().from("node:22");
    const value = (container: unknown) => only(container, "withEnvVariable").args["value"];
    const first = value(deployRun(cli, ["portcullis", "status"]));
    const second = value(deployRun(cli, ["portcullis", "status"]));
    expect(first).not.toBe(second);
  });
});
