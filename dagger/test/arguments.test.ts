/**
 * Which forms of a shared argument declaration the v0.21 introspector resolves, run through the
 * SDK's own `scan()` over a probe module: the form arguments.ts and index.ts use, and the forms
 * they avoid. From dagger/dagger branch backport-0.21,
 * sdk/typescript/src/module/introspector/typescript_module/ast.ts: resolveDecoratorArgumentValue
 * resolves an object literal property by property, each through resolveParameterDefaultValue,
 * which follows an identifier (local or imported) to a string or array literal; anything else (a
 * whole object named by an identifier, a property access to a non-literal type, an `as const`
 * array) is left unresolved with a warning, and the argument loses its default. That the module's
 * own arguments resolve is asserted on its typedef (introspection.test.ts, runtime.test.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { introspect, type ArgumentDef, type ObjectDef } from "../scripts/introspect.js";

const SHARED = `
export const PATH = "/";
export const IGNORE = [".git", "**/node_modules"];
export const FROZEN = [".git", "**/node_modules"] as const;
export const OPTIONS = { defaultPath: "/", ignore: [".git", "**/node_modules"] };
export const ENV = "development";
`;

const PROBE = `
import { argument, func, object, type Directory } from "@dagger.io/dagger";
import { ENV, FROZEN, IGNORE, OPTIONS, PATH } from "./shared.js";

const LOCAL_PATH = "/";
const LOCAL_IGNORE = [".git"];

/** Probe. */
@object()
export class Probe {
  /** Imported identifiers as property values. */
  @func()
  imported(/** s */ @argument({ defaultPath: PATH, ignore: IGNORE }) source: Directory, /** e */ env: string = ENV): string {
    return env;
  }

  /** Local identifiers as property values. */
  @func()
  local(/** s */ @argument({ defaultPath: LOCAL_PATH, ignore: LOCAL_IGNORE }) source: Directory): string {
    return "";
  }

  /** The whole options object by name. */
  @func()
  wholeObject(/** s */ @argument(OPTIONS) source: Directory): string {
    return "";
  }

  /** Property accesses on an options object. */
  @func()
  propertyAccess(/** s */ @argument({ defaultPath: OPTIONS.defaultPath, ignore: OPTIONS.ignore }) source: Directory): string {
    return "";
  }

  /** An \`as const\` array. */
  @func()
  asConst(/** s */ @argument({ defaultPath: PATH, ignore: FROZEN }) source: Directory): string {
    return "";
  }
}
`;

let probe: ObjectDef;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "portcullis-probe-"));
  const src = join(root, "src");
  mkdirSync(src);
  writeFileSync(join(src, "shared.ts"), SHARED);
  writeFileSync(join(src, "index.ts"), PROBE);
  // The SDK resolvable from the probe, as the runtime mounts it at node_modules/@dagger.io/dagger.
  const sdk = dirname(dirname(dirname(fileURLToPath(import.meta.resolve("@dagger.io/dagger")))));
  mkdirSync(join(root, "node_modules", "@dagger.io"), { recursive: true });
  symlinkSync(sdk, join(root, "node_modules", "@dagger.io", "dagger"), "dir");
  // The introspector warns about each form it cannot resolve; the assertions below say which.
  const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
  try {
    const module = await introspect(src, "probe");
    const found = module.objects.find((object) => object.name === "Probe");
    if (found === undefined) throw new Error("the introspector did not register Probe");
    probe = found;
  } finally {
    warn.mockRestore();
  }
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

function source(fn: string): ArgumentDef {
  const found = probe.functions.find((candidate) => candidate.name === fn)?.arguments.find((a) => a.name === "source");
  if (found === undefined) throw new Error(`no ${fn}(source)`);
  return found;
}

describe("shared argument declarations, as the v0.21 introspector reads them", () => {
  it("resolves identifiers as property values, imported or local: the form index.ts uses", () => {
    expect(source("imported")).toMatchObject({ defaultPath: "/", ignore: [".git", "**/node_modules"], optional: true });
    expect(source("local")).toMatchObject({ defaultPath: "/", ignore: [".git"], optional: true });
    const env = probe.functions.find((fn) => fn.name === "imported")?.arguments.find((a) => a.name === "env");
    expect(env).toMatchObject({ default: "development", optional: true });
  });

  it("drops a whole options object named by an identifier: the source loses its default and becomes required", () => {
    expect(source("wholeObject")).toMatchObject({ optional: false });
    expect(source("wholeObject")).not.toHaveProperty("defaultPath");
    expect(source("wholeObject")).not.toHaveProperty("ignore");
  });

  it("drops property accesses and `as const` arrays", () => {
    expect(source("propertyAccess")).not.toHaveProperty("defaultPath");
    expect(source("propertyAccess")).not.toHaveProperty("ignore");
    expect(source("asConst")).toMatchObject({ defaultPath: "/" });
    expect(source("asConst")).not.toHaveProperty("ignore");
  });
});
