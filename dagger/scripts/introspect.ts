/**
 * The module's typedef as the engine would register it, without an engine: the TypeScript SDK's
 * own introspector (`scan()` from @dagger.io/dagger, the code behind the module runtime's
 * introspection entrypoint) over dagger/src, with the SDK's generated client saved as
 * `client.gen.ts` as the runtime does. Unlike the entrypoint's DRY_RUN output, this keeps each
 * function's cache policy and its check and generator flags.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";

/** The module's source folder (what the runtime introspects). */
export const MODULE_SOURCE_DIR = fileURLToPath(new URL("../src", import.meta.url));

export interface ArgumentDef {
  name: string;
  description: string;
  type: string;
  optional: boolean;
  default?: unknown;
  defaultPath?: string;
  ignore?: string[];
}

export interface FunctionDef {
  name: string;
  description: string;
  returns: string;
  /** `never`, `session`, a duration, or undefined for the engine's default. */
  cache?: string;
  check: boolean;
  /** Marked @generate(): returns a Changeset that `dagger generate` applies. */
  generator: boolean;
  arguments: ArgumentDef[];
}

export interface ObjectDef {
  name: string;
  description: string;
  constructorArguments: ArgumentDef[];
  /** Fields exposed with @func(). */
  fields: { name: string; description: string; type: string }[];
  functions: FunctionDef[];
}

export interface ModuleDef {
  name: string;
  description: string;
  objects: ObjectDef[];
}

/** Runs the SDK's introspector over the module's sources (or another module's, for tests of the introspector itself). */
export async function introspect(sourceDir: string = MODULE_SOURCE_DIR, name = "portcullis"): Promise<ModuleDef> {
  const sdkRoot = dirname(fileURLToPath(import.meta.resolve("@dagger.io/dagger")));
  const work = mkdtempSync(join(tmpdir(), "portcullis-introspect-"));
  try {
    const clientGen = join(work, "client.gen.ts");
    copyFileSync(join(sdkRoot, "api", "client.gen.d.ts"), clientGen);
    const introspector: unknown = await import(pathToFileURL(join(sdkRoot, "module", "introspector", "index.js")).href);
    const { scan } = Introspector.parse(introspector);
    const scanned: unknown = await scan([...typescriptFiles(sourceDir), clientGen], name, false);
    return moduleDef(name, Scanned.parse(scanned));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `Directory`, `[String]`, `Void`: a type as the Dagger CLI prints it. */
export function typeName(type: TypeDef): string {
  switch (type.kind) {
    case "OBJECT_KIND":
    case "INTERFACE_KIND":
    case "ENUM_KIND":
    case "SCALAR_KIND":
      return type.name ?? type.kind;
    case "LIST_KIND":
      return `[${type.typeDef === undefined ? "?" : typeName(type.typeDef)}]`;
    default:
      return KIND_NAMES[type.kind] ?? type.kind;
  }
}

// --- internal ---

const KIND_NAMES: Readonly<Record<string, string>> = {
  STRING_KIND: "String",
  INTEGER_KIND: "Int",
  FLOAT_KIND: "Float",
  BOOLEAN_KIND: "Boolean",
  VOID_KIND: "Void",
};

interface TypeDef {
  kind: string;
  name?: string | undefined;
  typeDef?: TypeDef | undefined;
}
const TypeDefSchema: z.ZodType<TypeDef> = z.lazy(() =>
  z.looseObject({ kind: z.string(), name: z.string().optional(), typeDef: TypeDefSchema.optional() }),
);

const Introspector = z.looseObject({
  scan: z.custom<(files: string[], name: string, load: boolean) => Promise<unknown>>(
    (value) => typeof value === "function",
  ),
});

const Argument = z.looseObject({
  name: z.string(),
  description: z.string(),
  type: TypeDefSchema,
  isOptional: z.boolean(),
  defaultValue: z.unknown(),
  defaultPath: z.string().optional(),
  ignore: z.array(z.string()).optional(),
});
const Arguments = z.record(z.string(), Argument);

const Scanned = z.looseObject({
  description: z.string().optional(),
  objects: z.record(
    z.string(),
    z.looseObject({
      name: z.string(),
      description: z.string(),
      _constructor: z.looseObject({ arguments: Arguments }).optional(),
      properties: z.record(
        z.string(),
        z.looseObject({ name: z.string(), description: z.string(), isExposed: z.boolean(), type: TypeDefSchema }),
      ),
      methods: z.record(
        z.string(),
        z.looseObject({
          name: z.string(),
          alias: z.string().optional(),
          description: z.string(),
          cache: z.string().optional(),
          isCheck: z.boolean(),
          isGenerator: z.boolean(),
          arguments: Arguments,
          returnType: TypeDefSchema,
        }),
      ),
    }),
  ),
});
type Scanned = z.infer<typeof Scanned>;

function moduleDef(name: string, scanned: Scanned): ModuleDef {
  return {
    name,
    description: scanned.description ?? "",
    objects: Object.values(scanned.objects).map((object) => ({
      name: object.name,
      description: object.description,
      constructorArguments: argumentDefs(object._constructor?.arguments ?? {}),
      fields: Object.values(object.properties)
        .filter((property) => property.isExposed)
        .map((property) => ({ name: property.name, description: property.description, type: typeName(property.type) })),
      functions: Object.values(object.methods).map((method) => ({
        name: method.alias ?? method.name,
        description: method.description,
        returns: typeName(method.returnType),
        ...(method.cache === undefined ? {} : { cache: method.cache }),
        check: method.isCheck,
        generator: method.isGenerator,
        arguments: argumentDefs(method.arguments),
      })),
    })),
  };
}

function argumentDefs(args: z.infer<typeof Arguments>): ArgumentDef[] {
  return Object.values(args).map((arg) => ({
    name: arg.name,
    description: arg.description,
    type: typeName(arg.type),
    optional: arg.isOptional || arg.defaultValue !== undefined || arg.defaultPath !== undefined,
    ...(arg.defaultValue === undefined || arg.defaultValue === null ? {} : { default: arg.defaultValue }),
    ...(arg.defaultPath === undefined ? {} : { defaultPath: arg.defaultPath }),
    ...(arg.ignore === undefined ? {} : { ignore: arg.ignore }),
  }));
}

/** Every .ts file under a folder, as the runtime's introspection entrypoint collects them. */
function typescriptFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const file = join(dir, name);
      if (statSync(file).isDirectory()) return typescriptFiles(file);
      return /\.m?ts$/.test(name) ? [file] : [];
    });
}
