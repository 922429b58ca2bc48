import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  introspect,
  type ArgumentDef,
  type FunctionDef,
  type ModuleDef,
  type ObjectDef,
} from "../scripts/introspect.js";
import { DAGGER_DOC, renderDocument, REFERENCE_END, REFERENCE_START } from "../scripts/reference.js";
import { TRIVY_VERSION_FILE } from "../src/containers.js";
import { IMAGES, K6_ENV, REPORTS } from "../src/tools.gen.js";

let module: ModuleDef;
let main: ObjectDef;

beforeAll(async () => {
  module = await introspect();
  const found = module.objects.find((object) => object.name === "Portcullis");
  if (found === undefined) throw new Error("the SDK's introspector did not register Portcullis");
  main = found;
}, 60_000);

function fn(name: string): FunctionDef {
  const found = main.functions.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no function ${name}`);
  return found;
}

function arg(of: FunctionDef | ObjectDef, name: string): ArgumentDef {
  const args = "arguments" in of ? of.arguments : of.constructorArguments;
  const found = args.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no argument ${name}`);
  return found;
}

/** Every documented item, named for the failure message. */
function documented(): [string, string][] {
  return module.objects.flatMap((object) => [
    [object.name, object.description] as [string, string],
    ...object.constructorArguments.map((a): [string, string] => [`${object.name}(${a.name})`, a.description]),
    ...object.fields.map((f): [string, string] => [`${object.name}.${f.name}`, f.description]),
    ...object.functions.flatMap((f) => [
      [`${object.name}.${f.name}`, f.description] as [string, string],
      ...f.arguments.map((a): [string, string] => [`${object.name}.${f.name}(${a.name})`, a.description]),
    ]),
  ]);
}

describe("the module as the TypeScript SDK's introspector registers it", () => {
  it("matches the committed typedef snapshot", async () => {
    // Formatted as the repository's prettier would, so `npm run format` leaves the snapshot alone.
    const file = fileURLToPath(new URL("__snapshots__/typedef.json", import.meta.url));
    const text = await format(JSON.stringify(module), { ...(await resolveConfig(file)), filepath: file });
    await expect(text).toMatchFileSnapshot(file);
  });

  it("has the module description (the Daggerverse summary)", () => {
    expect(module.description).toMatch(/^Portcullis: CI\/CD quality gates/);
  });

  it("exposes every stage as a function", () => {
    expect(main.functions.map((f) => f.name).sort()).toEqual(
      [
        "ci",
        "deploy",
        "evaluate",
        "evidence",
        "fix",
        "gates",
        "load",
        "rollback",
        "sastGate",
        "secretsGate",
        "validateGate",
        "vulnerabilitiesGate",
        "sast",
        "sbom",
        "scanImage",
        "secrets",
        "secretsHistory",
        "status",
        "validate",
        "vulnerabilities",
      ].sort(),
    );
  });

  it("returns a result object from ci and evaluate: summary, passed, reports and assert()", () => {
    expect(fn("ci").returns).toBe("Result");
    expect(fn("evaluate").returns).toBe("Result");
    const result = module.objects.find((object) => object.name === "Result");
    expect(result?.fields.map((field) => `${field.name}: ${field.type}`)).toEqual([
      "summary: String",
      "passed: Boolean",
      "reports: Directory",
    ]);
    expect(result?.functions.map((f) => `${f.name}: ${f.returns}`)).toEqual(["assert: String"]);
  });

  it("documents every object, function, field and argument, with a Usage: line on each but the objects", () => {
    const items = documented();
    expect(items.length).toBeGreaterThan(50);
    for (const [name, description] of items) {
      expect(description.trim(), name).not.toBe("");
      if (!module.objects.some((object) => object.name === name)) expect(description, name).toMatch(/^Usage: \S/m);
    }
  });

  it("names only tool reports the module writes (the names `dagger call --help` and the Daggerverse show)", () => {
    const written = new Set([
      ...Object.values(REPORTS).flatMap((files) => [files.report, files.exitCode]),
      TRIVY_VERSION_FILE,
      path.posix.basename(K6_ENV.K6_SUMMARY_PATH),
    ]);
    const named = documented().flatMap(([item, description]) =>
      [
        ...description.matchAll(
          /`((?:versions\/)?(?:validate|gitleaks|trivy|semgrep|k6)[\w.-]*\.(?:json|exitcode|sarif|txt))`/g,
        ),
      ].map((match) => `${item}: ${match[1] ?? ""}`),
    );
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((entry) => !written.has(entry.slice(entry.lastIndexOf(": ") + 2)))).toEqual([]);
  });

  it("has checks that run with no arguments: every gate, and each scanner's gates on their own", () => {
    const checks = main.functions.filter((f) => f.check);
    expect(checks.map((f) => f.name)).toEqual([
      "gates",
      "secretsGate",
      "vulnerabilitiesGate",
      "sastGate",
      "validateGate",
    ]);
    for (const check of checks)
      expect(
        check.arguments.every((a) => a.optional),
        check.name,
      ).toBe(true);
  });

  it("has one generator, fix: it runs with no arguments and returns the Changeset `dagger generate` applies", () => {
    const generators = main.functions.filter((f) => f.generator);
    expect(generators.map((f) => f.name)).toEqual(["fix"]);
    expect(fn("fix")).toMatchObject({ returns: "Changeset", check: false });
    expect(fn("fix").arguments.map((a) => [a.name, a.optional])).toEqual([
      ["source", true],
      ["env", true],
    ]);
  });

  it("caches scans for the session (one run per session, fresh in the next) and never caches a deploy", () => {
    const cache = Object.fromEntries(main.functions.map((f) => [f.name, f.cache ?? "default"]));
    expect(cache).toEqual({
      ci: "session",
      evaluate: "session",
      evidence: "default",
      gates: "default",
      secretsGate: "default",
      vulnerabilitiesGate: "default",
      sastGate: "default",
      validateGate: "default",
      validate: "session",
      secrets: "session",
      secretsHistory: "session",
      vulnerabilities: "session",
      scanImage: "session",
      sbom: "session",
      sast: "session",
      load: "session",
      fix: "never",
      deploy: "never",
      rollback: "never",
      status: "never",
    });
  });

  it("loads the source from the context without .git, and the history with it", () => {
    for (const name of [
      "ci",
      "gates",
      "validate",
      "secrets",
      "vulnerabilities",
      "scanImage",
      "sbom",
      "sast",
      "load",
      "evaluate",
      "evidence",
      "fix",
    ]) {
      const source = arg(fn(name), "source");
      expect(source, name).toMatchObject({ type: "Directory", defaultPath: "/" });
      expect(source.ignore, name).toEqual(expect.arrayContaining([".git", "**/node_modules"]));
    }
    const repo = arg(fn("secretsHistory"), "repo");
    expect(repo).toMatchObject({ type: "Directory", defaultPath: "/" });
    expect(repo.ignore?.some((pattern) => pattern.includes(".git"))).toBe(false);
    // The deploy state lives in a git ref of the repository: these keep `.git` like the history scan.
    for (const name of ["deploy", "rollback", "status"]) {
      const checkout = arg(fn(name), "source");
      expect(checkout, name).toMatchObject({ type: "Directory", defaultPath: "/" });
      expect(checkout.ignore, name).toContain("**/node_modules");
      expect(
        checkout.ignore?.some((pattern) => pattern.includes(".git")),
        name,
      ).toBe(false);
    }
  });

  it("takes the typed inputs the issue names", () => {
    expect(arg(fn("scanImage"), "image").type).toBe("Container");
    expect(arg(fn("load"), "target").type).toBe("Service");
    expect(arg(fn("load"), "scenario").default).toBe("smoke");
    expect(arg(fn("ci"), "target")).toMatchObject({ type: "Service", optional: true });
    expect(arg(fn("ci"), "env").default).toBe("development");
    expect(arg(fn("sast"), "config")).toMatchObject({ type: "[String]", optional: true });
    expect(arg(fn("evaluate"), "reports")).toMatchObject({ type: "Directory", optional: false });
    expect(fn("sbom").returns).toBe("File");
    expect(arg(fn("deploy"), "gateReport")).toMatchObject({ type: "File", optional: true });
    for (const name of ["deploy", "rollback", "status"]) {
      expect(arg(fn(name), "env"), name).toMatchObject({ type: "String", optional: false });
      expect(fn(name).returns, name).toBe("String");
    }
    expect(arg(fn("deploy"), "release")).toMatchObject({ type: "String", optional: false });
    expect(arg(fn("rollback"), "toPrevious")).toMatchObject({ type: "Boolean", default: false });
  });

  it("makes every image an argument whose default is the adapter's pin", () => {
    expect(arg(main, "gitleaksImage").default).toBe(IMAGES.gitleaks.ref);
    expect(arg(main, "trivyImage").default).toBe(IMAGES.trivy.ref);
    expect(arg(main, "semgrepImage").default).toBe(IMAGES.semgrep.ref);
    expect(arg(main, "k6Image").default).toBe(IMAGES.k6.ref);
    expect(arg(main, "nodeImage").default).toMatch(/^node:\d+\.\d+\.\d+-/);
  });

  it("takes registry credentials only as a Secret", () => {
    expect(arg(main, "trivyRegistryPassword")).toMatchObject({ type: "Secret", optional: true });
    for (const name of ["deploy", "rollback", "status"])
      expect(arg(fn(name), "credentials"), name).toMatchObject({ type: "Secret", optional: true });
    for (const name of ["deploy", "rollback"])
      expect(arg(fn(name), "kubeconfig"), name).toMatchObject({ type: "Secret", optional: true });
    const strings = [...main.constructorArguments, ...main.functions.flatMap((f) => f.arguments)].filter(
      (a) => a.type === "String",
    );
    for (const a of strings)
      expect(a.name, "a credential passed as plain text").not.toMatch(/password|token|secret|credential/i);
  });
});

describe("the SDK the tests introspect with", () => {
  it("is the version dagger.json pins the engine to", () => {
    const manifest = z
      .object({
        name: z.literal("portcullis"),
        engineVersion: z.string(),
        sdk: z.object({ source: z.literal("typescript") }).strict(),
        source: z.literal("dagger"),
        // The files the module builds the CLI from (runtime.test.ts, "the module's own source").
        include: z.array(z.string()),
      })
      .strict()
      .parse(JSON.parse(readFileSync(new URL("../../dagger.json", import.meta.url), "utf8")));
    const sdk = z
      .looseObject({ version: z.string() })
      .parse(
        JSON.parse(readFileSync(new URL("../../node_modules/@dagger.io/dagger/package.json", import.meta.url), "utf8")),
      );
    expect(manifest.engineVersion).toBe(`v${sdk.version}`);
  });
});

// Here rather than in a file of its own: one introspection (seconds of type checking) serves both.
describe("docs/dagger.md", () => {
  it("carries the function reference generated from the typedef (run `npx tsx dagger/scripts/reference.ts` when this fails)", async () => {
    const document = readFileSync(DAGGER_DOC, "utf8");
    expect(document).toContain(REFERENCE_START);
    expect(document).toContain(REFERENCE_END);
    expect(document).toBe(await renderDocument(document, module));
  });

  it("shows the exact commands to print the table, export the reports and fail when blocked", () => {
    const document = readFileSync(DAGGER_DOC, "utf8");
    expect(document).toContain("dagger call ci --source=. --env=staging summary");
    expect(document).toContain("dagger call ci --source=. --env=staging reports export --path=./reports");
    expect(document).toContain("dagger call ci --source=. --env=staging assert");
    expect(document).toContain("dagger install github.com/<owner>/portcullis@<version>");
    expect(document).toMatch(/dag\.portcullis\(\)\.ci\(/);
  });
});
