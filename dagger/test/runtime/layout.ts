/**
 * The module laid out as the Dagger engine's TypeScript runtime (v0.21, the `engineVersion` of
 * dagger.json) lays it out in the module container, with the SDK it generates instead of the npm
 * package. Facts taken from the runtime's source, dagger/dagger branch backport-0.21:
 * - sdk/typescript/runtime/runtime_node.go (SetupContainer): the generated SDK library is mounted
 *   at `sdk/` and again at `node_modules/@dagger.io/dagger`; the module's files (without sdk/ and
 *   node_modules) are copied beside it; the module runs as
 *   `tsx --no-deprecation --tsconfig <module>/tsconfig.json <module>/src/__dagger.entrypoint.ts`.
 * - sdk/typescript/runtime/config.go (detectSDKLibOrigin) and main.go (ModuleRuntime): a node
 *   module always gets the bundled library (GenerateBundleLibrary); the npm package is handed
 *   over only to generated *clients* (a `@dagger.io/dagger` dependency = Remote origin).
 * - sdk/typescript/runtime/lib_generator.go (GenerateBundleLibrary) with
 *   sdk/typescript/runtime/tsutils/module/index.ts: that library's index re-exports only
 *   MODULE_INDEX_EXPORTS from `core.js` (the whole SDK bundled, toolchains/engine-dev/build/sdk.go)
 *   plus everything of `client.gen.js`, the API client generated for this engine version.
 * Here `core.js` and `client.gen.ts` re-export the npm package of the same version (0.21.9), so
 * only the index decides what the module can import, as in the engine.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** What the runtime's module index exports from core.js (sdk/typescript/runtime/tsutils/module/index.ts). */
export const MODULE_INDEX_EXPORTS = [
  "connection",
  "connect",
  "Context",
  "func",
  "check",
  "generate",
  "argument",
  "object",
  "field",
  "enumType",
  "entrypoint",
] as const;

/** The repository's Dagger module folder (dagger.json `source`). */
export const MODULE_DIR = fileURLToPath(new URL("../../", import.meta.url));

/** The installed SDK's dist/src folder (the npm package of the engine's version). */
export const SDK_DIST = dirname(fileURLToPath(import.meta.resolve("@dagger.io/dagger")));

export interface RuntimeLayout {
  /** The module folder inside the layout (the runtime's working directory). */
  moduleDir: string;
  tsconfig: string;
  /** The API client's declarations as a .ts file, for the introspector (driver.ts). */
  clientDeclarations: string;
  remove(): void;
}

/** Copies the module's files next to a generated `sdk/`, as the module container holds them. */
export function runtimeLayout(): RuntimeLayout {
  const root = mkdtempSync(join(tmpdir(), "portcullis-runtime-"));
  const moduleDir = join(root, "dagger");
  for (const entry of ["src", "package.json", "tsconfig.json"]) {
    cpSync(join(MODULE_DIR, entry), join(moduleDir, entry), { recursive: true });
  }
  const sdk = join(moduleDir, "sdk");
  mkdirSync(sdk, { recursive: true });
  // Absolute paths: node and the TypeScript compiler (which the introspector runs) both follow them.
  const core = join(SDK_DIST, "index.js");
  const client = join(SDK_DIST, "api", "client.gen.js");
  writeFileSync(join(sdk, "core.js"), `export * from ${JSON.stringify(core)};\n`);
  writeFileSync(join(sdk, "core.d.ts"), `export * from ${JSON.stringify(core)};\n`);
  writeFileSync(join(sdk, "client.gen.ts"), `export * from ${JSON.stringify(client)};\n`);
  writeFileSync(join(sdk, "telemetry.ts"), `export { getTracer } from "./core.js";\n`);
  writeFileSync(
    join(sdk, "index.ts"),
    `export { ${MODULE_INDEX_EXPORTS.join(", ")} } from "./core.js";\n` +
      `export type { ConnectOpts, CallbackFct } from "./core.js";\n` +
      `export * from "./client.gen.js";\n`,
  );
  const clientDeclarations = join(root, "client-declarations", "client.gen.ts");
  mkdirSync(dirname(clientDeclarations));
  cpSync(join(SDK_DIST, "api", "client.gen.d.ts"), clientDeclarations);
  mkdirSync(join(moduleDir, "node_modules", "@dagger.io"), { recursive: true });
  symlinkSync(sdk, join(moduleDir, "node_modules", "@dagger.io", "dagger"), "dir");
  return {
    moduleDir,
    tsconfig: join(moduleDir, "tsconfig.json"),
    clientDeclarations,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
