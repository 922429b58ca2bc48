/**
 * The module as a v0.21 engine runs it (runtime/layout.ts, runtime/driver.ts): compiled and loaded
 * against the SDK the engine's TypeScript runtime generates, not the npm package, every function
 * called through the SDK's own entrypoint path with the arguments the engine sends when the caller
 * gives nothing, against a fake engine that records the GraphQL the module sends.
 *
 * Runtime facts, from dagger/dagger branch backport-0.21 (dagger.json pins engine v0.21.9):
 * - what the module can import: sdk/typescript/runtime/tsutils/module/index.ts, lib_generator.go,
 *   config.go, main.go (runtime/layout.ts);
 * - how it is started: sdk/typescript/runtime/runtime_node.go (runtime/runtime.ts);
 * - the arguments of a call: core/modfunc.go, setCallInputs and DynamicInputsForCall (runtime/driver.ts);
 * - how the module reaches its own files: core/schema/module.go (currentModuleSource),
 *   core/schema/modulesource.go (loadModuleSourceContext), core/directory.go (Subdirectory),
 *   core/modfunc.go (loadLegacyDefaultPathArg) — see the "own source" tests below.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { CLI_SOURCE_FILES } from "../src/cli-container.js";
import { CACHE_BUSTERS } from "../src/containers.js";
import { IMAGES, REPORTS } from "../src/tools.gen.js";
import { MODULE_INDEX_EXPORTS } from "./runtime/layout.js";
import type { Call, CallOutcome } from "./runtime/plan.js";
import { callInRuntime, compileInRuntime, runtimeLayout, type RuntimeRun } from "./runtime/runtime.js";

const layout = runtimeLayout();
afterAll(() => layout.remove());

/** Every call, in one engine session; object arguments are IDs, as the engine sends them. */
const CALLS: Call[] = [
  { label: "constructor", object: "Portcullis", fn: "", given: {} },
  { label: "ci", object: "Portcullis", fn: "ci", given: {} },
  { label: "assert", object: "Result", fn: "assert", given: {}, parent: "ci" },
  { label: "gates", object: "Portcullis", fn: "gates", given: {} },
  { label: "secretsGate", object: "Portcullis", fn: "secretsGate", given: {} },
  { label: "vulnerabilitiesGate", object: "Portcullis", fn: "vulnerabilitiesGate", given: {} },
  { label: "sastGate", object: "Portcullis", fn: "sastGate", given: {} },
  { label: "validateGate", object: "Portcullis", fn: "validateGate", given: {} },
  { label: "validate", object: "Portcullis", fn: "validate", given: {} },
  { label: "secrets", object: "Portcullis", fn: "secrets", given: {} },
  { label: "secretsHistory", object: "Portcullis", fn: "secretsHistory", given: {} },
  { label: "vulnerabilities", object: "Portcullis", fn: "vulnerabilities", given: {} },
  { label: "scanImage", object: "Portcullis", fn: "scanImage", given: { image: "image-container-id" } },
  { label: "sbom", object: "Portcullis", fn: "sbom", given: {} },
  { label: "sast", object: "Portcullis", fn: "sast", given: {} },
  { label: "load", object: "Portcullis", fn: "load", given: { target: "target-service-id" } },
  { label: "evaluate", object: "Portcullis", fn: "evaluate", given: { reports: "reports-directory-id" } },
  { label: "evidence", object: "Portcullis", fn: "evidence", given: { reports: "reports-directory-id" } },
  { label: "fix", object: "Portcullis", fn: "fix", given: {} },
  { label: "deploy", object: "Portcullis", fn: "deploy", given: { env: "production", release: "1.4.2" } },
  {
    label: "deploy --force",
    object: "Portcullis",
    fn: "deploy",
    given: { env: "production", release: "1.4.2", force: true, reason: "hotfix" },
  },
  { label: "rollback", object: "Portcullis", fn: "rollback", given: { env: "production" } },
  { label: "status", object: "Portcullis", fn: "status", given: { env: "production" } },
  { label: "status again", object: "Portcullis", fn: "status", given: { env: "production" } },
  {
    label: "constructor with a mirror",
    object: "Portcullis",
    fn: "",
    given: { trivyRegistryUsername: "robot", trivyRegistryPassword: "mirror-token-secret-id" },
  },
  { label: "vulnerabilities from a mirror", object: "Portcullis", fn: "vulnerabilities", given: {} },
];

/** The innermost field a query asks for (`exitCode`, `exists (path: ".semgrep")`…). */
const field = (query: string) => query.slice(query.lastIndexOf("{ ") + 2).replace(/( \})+$/, "");

/** An engine where every tool ran and exited 0, and evaluate passed. */
function answer(query: string): string | number | boolean | { id: string }[] | undefined {
  const asked = field(query);
  if (asked === "exitCode") return 0;
  if (asked === "stdout" && query.includes('"policy","sla"')) return JSON.stringify({ SLA_P95_MS: "200" });
  if (asked === "stdout") return query.includes('"evaluate"') ? "GATE  STATUS\nsecrets  pass\n" : "done\n";
  if (asked === "stderr") return "";
  if (asked.startsWith("exists")) return false;
  if (asked === "sync") return "synced";
  if (/ ports \{ id \}/.test(query)) return [{ id: "PORT1" }];
  if (asked === "port") return 8080;
  return undefined;
}

let session: RuntimeRun;
beforeAll(async () => {
  session = await callInRuntime(layout, CALLS, answer);
}, 240_000);

function outcome(label: string): CallOutcome {
  const found = session.outcomes.find((candidate) => candidate.label === label);
  if (found === undefined) throw new Error(`no outcome for ${label}`);
  return found;
}

/** The queries that read an exec's exit code, whose argv starts with `binary` (and `sub`). */
function ran(binary: string, sub?: string): string[] {
  const argv = sub === undefined ? `args: ["${binary}",` : `args: ["${binary}","${sub}"`;
  return session.queries.filter((query) => field(query) === "exitCode" && query.includes(argv));
}

/** Every value of an environment variable set in the recorded queries. */
function values(name: string): Set<string> {
  const pattern = new RegExp(`withEnvVariable \\(name: "${name}",value: "([^"]+)"\\)`, "g");
  return new Set(session.queries.flatMap((query) => [...query.matchAll(pattern)].map((match) => match[1] ?? "")));
}

describe("the module against the SDK the v0.21 runtime generates", () => {
  it("imports only what the generated index exports (ExecError is not among them)", async () => {
    expect(MODULE_INDEX_EXPORTS).not.toContain("ExecError");
    expect(await compileInRuntime(layout)).toBe("");
  }, 240_000);

  it("loads, and every function runs through scan, load, Executor and invoke", () => {
    expect(session.outcomes.map((call) => call.label)).toEqual(CALLS.map((call) => call.label));
    const failed = session.outcomes.filter((call) => call.error !== undefined).map((call) => [call.label, call.error]);
    // The one refusal the caller must see: a deploy with neither a gate report nor --force.
    expect(failed).toEqual([["deploy", expect.stringMatching(/^deploy needs the gate report of the same commit/)]]);
  });
});

describe("the constructor, given nothing", () => {
  it("receives the defaults the engine sends, and no value for an optional secret", () => {
    expect(outcome("constructor").inputs).toEqual({
      nodeImage: JSON.stringify("node:22.14.0-bookworm-slim"),
      gitleaksImage: JSON.stringify(IMAGES.gitleaks.ref),
      trivyImage: JSON.stringify(IMAGES.trivy.ref),
      semgrepImage: JSON.stringify(IMAGES.semgrep.ref),
      k6Image: JSON.stringify(IMAGES.k6.ref),
      trivyDbRepository: '""',
      trivyJavaDbRepository: '""',
      trivyIgnoreUnfixed: "false",
      trivyRegistryUsername: '""',
    });
  });

  it("returns a state the engine can store and hand back (no null object field)", () => {
    const state = z.record(z.string(), z.unknown()).parse(outcome("constructor").result);
    expect(Object.values(state)).not.toContain(null);
    expect(state).not.toHaveProperty("trivyRegistryPassword");
  });
});

describe("what the functions send to the engine", () => {
  it("pulls each tool's pinned image", () => {
    for (const image of [
      IMAGES.gitleaks.ref,
      IMAGES.trivy.ref,
      IMAGES.semgrep.ref,
      IMAGES.k6.ref,
      "node:22.14.0-bookworm-slim",
    ]) {
      expect(session.queries.some((query) => query.includes(`from (address: "${image}")`))).toBe(true);
    }
  });

  it("runs each tool with the adapters' argv", () => {
    expect(ran("gitleaks", "dir")[0]).toContain('"--report-path","/out/gitleaks.json","--redact"');
    expect(ran("gitleaks", "git")[0]).toContain('withMountedDirectory (path: "/repo",source: "ID');
    expect(ran("trivy", "fs")[0]).toContain('"--output","/out/trivy.fs.json"');
    expect(ran("trivy", "image")[0]).toContain('"--input","/input/image.tar"');
    expect(ran("semgrep", "scan")[0]).toContain('args: ["semgrep","scan","--config","p/default","--json-output"');
    expect(ran("k6", "run")[0]).toContain('withServiceBinding (alias: "target",service: "ID');
    expect(ran("portcullis", "evaluate")[0]).toContain('"--env","development","--reports","/reports"');
    expect(ran("node").map((query) => /PORTCULLIS_BIN|portcullis\.js","(\w+)"/.exec(query)?.[1])).toEqual([
      "deploy",
      "rollback",
      "status",
      "status",
    ]);
  });

  it("judges each gate check's own gates only", () => {
    const judged = ran("portcullis", "evaluate").map((query) => /"--gate","([^"]+)"/.exec(query)?.[1] ?? "all");
    expect(judged.sort()).toEqual(
      ["all", "all", "all", "secrets", "vulnerabilities", "sast", "framework_integrity,documentation"].sort(),
    );
  });

  it("hands the contextual source (defaultPath) to the scans, as the engine loads it", () => {
    expect(session.queries).toContain('{ node (id: "contextual:/") { ... on Directory { id } } }');
  });

  it("builds the CLI from the module's own source, never from a default path", () => {
    const own = session.queries.filter((query) => query.includes('currentModule { source { directory (path: "..")'));
    expect(own.length).toBeGreaterThan(0);
    expect(own[0]).toContain(`filter (include: ${JSON.stringify(CLI_SOURCE_FILES)})`);
  });

  it("passes a registry password only as a secret variable", () => {
    const scans = ran("trivy", "fs").filter((query) => query.includes("TRIVY_PASSWORD"));
    expect(scans).toHaveLength(1);
    expect(scans[0]).toContain('withSecretVariable (name: "TRIVY_PASSWORD",secret: "ID');
    // The SDK loads the secret by its ID; its value never appears, nor does a plain variable.
    expect(session.queries).toContain('{ node (id: "mirror-token-secret-id") { ... on Secret { id } } }');
    expect(session.queries.join("\n")).not.toContain('withEnvVariable (name: "TRIVY_PASSWORD"');
  });
});

describe("fix, the generator, given nothing", () => {
  it("receives the default environment and the contextual source, as `dagger generate` calls it", () => {
    expect(outcome("fix").inputs).toMatchObject({ env: JSON.stringify("production") });
    expect(outcome("fix").error).toBeUndefined();
  });

  it("runs portcullis fix in the pinned node image on the trivy report of the same source", () => {
    const [query] = ran("portcullis", "fix");
    expect(query).toContain(
      `args: ["portcullis","fix",".","--report","trivy=/reports/${REPORTS.trivy.report}","--env","production","--out","/out"]`,
    );
    expect(query).toContain('from (address: "node:22.14.0-bookworm-slim")');
    expect(query).toContain(`withEnvVariable (name: "${CACHE_BUSTERS.call}",value: "`);
  });

  it("returns the changeset of the tree it ran in against that same tree, by ID, as the engine stores it", () => {
    const changes = session.queries.filter((query) => query.includes('directory (path: "/src") { changes (from: "ID'));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(/\{ id \}( \})*$/);
    expect(outcome("fix").result).toEqual(expect.stringMatching(/^ID\d+$/));
  });
});

describe("cache busters", () => {
  // The engine starts one module process per function call and, for these `cache: "session"`
  // functions, answers a repeated call from its session cache; here one process makes every call.
  it("give every scan of one module process one value: the same scan is the same exec", () => {
    const scans = [
      ...ran("gitleaks"),
      ...ran("trivy"),
      ...ran("semgrep"),
      ...ran("k6"),
      ...ran("portcullis", "validate"),
      // Not a scan, but its verdict reads the clock (waiver expiry, DB age): judged again each session.
      ...ran("portcullis", "evaluate"),
    ];
    expect(ran("portcullis", "evaluate").length).toBeGreaterThan(0);
    expect(scans.length).toBeGreaterThan(8);
    expect(scans.every((query) => query.includes(`withEnvVariable (name: "${CACHE_BUSTERS.scan}",value: "`))).toBe(
      true,
    );
    expect(values(CACHE_BUSTERS.scan).size).toBe(1);
  });

  it("give the next session's scans a new value: an unchanged tree is scanned again (new DB, new rules)", async () => {
    const next = await callInRuntime(
      layout,
      [
        { label: "constructor", object: "Portcullis", fn: "", given: {} },
        { label: "secrets", object: "Portcullis", fn: "secrets", given: {} },
      ],
      answer,
    );
    const pattern = new RegExp(`withEnvVariable \\(name: "${CACHE_BUSTERS.scan}",value: "([^"]+)"\\)`);
    const scan = next.queries.find((query) => field(query) === "exitCode" && query.includes('args: ["gitleaks","dir"'));
    const value = pattern.exec(scan ?? "")?.[1];
    expect(value).toMatch(/^[0-9a-f-]{36}$/);
    expect(values(CACHE_BUSTERS.scan)).not.toContain(value);
  }, 240_000);

  it("give each deploy, rollback, status and fix a fresh value: a repeated status runs again", () => {
    const commands = ran("node");
    expect(commands).toHaveLength(4);
    expect(values(CACHE_BUSTERS.call).size).toBe(commands.length + ran("portcullis", "fix").length);
    const [status, again] = commands.slice(-2);
    expect(status).not.toBe(again);
  });
});

describe("the module's own source, whoever calls it (item 4)", () => {
  // core/modfunc.go (loadLegacyDefaultPathArg): installed as a toolchain, a defaultPath resolves in
  // the caller's workspace, so a `defaultPath: "/"` argument would build the CLI from the caller's
  // repository. core/schema/module.go (currentModuleSource): currentModule().source() is the
  // module's context directory narrowed to dagger.json `source`; core/directory.go (Subdirectory)
  // resolves `..` inside that same snapshot, i.e. the context directory, which holds dagger.json's
  // `include` (core/schema/modulesource.go, loadModuleSourceContext) from the module's own checkout
  // or git tree.
  const manifest = z
    .object({ source: z.string(), include: z.array(z.string()) })
    .parse(JSON.parse(readFileSync(new URL("../../dagger.json", import.meta.url), "utf8")));

  it("is loaded with the module: dagger.json includes every file the CLI is built from", () => {
    expect(manifest.source).toBe("dagger");
    expect(manifest.include).toEqual(CLI_SOURCE_FILES);
  });

  it("is reached as the parent of the module's source, with no argument the caller could fill", () => {
    const constructorArgs = Object.keys(outcome("constructor").inputs);
    expect(constructorArgs).not.toContain("portcullisSource");
    expect(
      session.queries.some((query) =>
        query.includes('node (id: "contextual:/") { ... on Directory { filter (include: ["package.json"'),
      ),
    ).toBe(false);
  });
});
