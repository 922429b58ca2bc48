import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url);
const tsc = new URL("node_modules/typescript/bin/tsc", root).pathname;

const Package = z.looseObject({
  version: z.string().optional(),
  dependencies: z.record(z.string(), z.string()).optional(),
  devDependencies: z.record(z.string(), z.string()).optional(),
});
const readJson = (path: string): unknown => JSON.parse(readFileSync(new URL(path, root), "utf8"));

/** Runs tsc on a project; resolves with its diagnostics (empty when it type-checks). */
async function typecheck(project: string): Promise<string> {
  try {
    await run(process.execPath, [tsc, "-p", project, "--pretty", "false"], { cwd: root.pathname, timeout: 240_000 });
    return "";
  } catch (error) {
    return z.looseObject({ stdout: z.string() }).parse(error).stdout;
  }
}

describe("the module's TypeScript", () => {
  it("type-checks with the generated tsconfig and the TypeScript the module runtime uses", async () => {
    expect(await typecheck("dagger/tsconfig.check.json")).toBe("");
  }, 240_000);

  it("and so do its tests and scripts", async () => {
    expect(await typecheck("dagger/test/tsconfig.json")).toBe("");
  }, 240_000);

  it("is checked with TypeScript 5.9, the version the module pins (6 rejects the generated moduleResolution)", () => {
    const installed = Package.parse(readJson("node_modules/typescript/package.json")).version;
    const pinned = Package.parse(readJson("dagger/package.json")).dependencies?.["typescript"];
    expect(installed).toMatch(/^5\.9\./);
    expect(pinned).toBe(installed);
  });

  it("keeps the tsconfig the TypeScript SDK generates", () => {
    expect(readJson("dagger/tsconfig.json")).toEqual({
      compilerOptions: {
        target: "ES2022",
        moduleResolution: "Node",
        experimentalDecorators: true,
        strict: true,
        skipLibCheck: true,
        paths: { "@dagger.io/dagger": ["./sdk/index.ts"], "@dagger.io/dagger/telemetry": ["./sdk/telemetry.ts"] },
      },
    });
  });

  it("leaves @dagger.io/dagger out of dagger/package.json (the engine provides it) and takes it from the root", () => {
    const module = Package.parse(readJson("dagger/package.json"));
    expect({ ...module.dependencies, ...module.devDependencies }).not.toHaveProperty("@dagger.io/dagger");
    expect(Package.parse(readJson("package.json")).devDependencies).toHaveProperty("@dagger.io/dagger");
  });
});
