/**
 * Runs in its own process, started by tsx with the layout's tsconfig (runtime.ts), the way the
 * module runtime starts `__dagger.entrypoint.ts` (sdk/typescript/runtime/runtime_node.go). It
 * takes the path the SDK's entrypoint takes for each call (dist/src/module/entrypoint/entrypoint.js:
 * scan -> load -> Executor -> invoke, inside `connection()` to the engine named by
 * DAGGER_SESSION_PORT), with one scan for all calls instead of one per process.
 *
 * The arguments are the ones the engine sends (core/modfunc.go, setCallInputs and
 * DynamicInputsForCall, branch backport-0.21): what the caller gave, else the module's registered
 * default (the JSON the SDK registered, `null` included), else for a `defaultPath` object the ID
 * of the contextual directory, else nothing at all. The SDK registers a default only for a
 * boolean, number, string or enum argument, an enum of the module's own by its member's name
 * (getDefaultValueFromArg in src/module/entrypoint/register.ts); any other default it leaves to
 * TypeScript, and the engine sends nothing. The parent is the JSON state the constructor
 * returned, decoded as the entrypoint decodes `fnCall.parent()`.
 *
 * Usage: tsx --tsconfig <layout>/tsconfig.json driver.ts <plan.json> <outcomes.json>
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { messageOf } from "../../../gates/src/errors.js";
import { CallPlan, type CallOutcome } from "./plan.js";

// --- internal ---

type ExecutorClass = new (modules: unknown, module: unknown) => unknown;

const SdkFunction = z.custom<(...args: unknown[]) => Promise<unknown>>((value) => typeof value === "function");
const SdkClass = z.custom<ExecutorClass>((value) => typeof value === "function");

/** One export of an SDK module, checked to be a function. */
function exported<T>(module: unknown, name: string, schema: z.ZodType<T>): T {
  return schema.parse(typeof module === "object" && module !== null ? Reflect.get(module, name) : undefined);
}

const Argument = z.looseObject({
  defaultValue: z.unknown(),
  defaultPath: z.string().optional(),
  type: z.looseObject({ kind: z.string(), name: z.string().optional() }).optional(),
});
const Method = z.looseObject({ arguments: z.record(z.string(), Argument) });
const Scanned = z.looseObject({
  enums: z
    .record(z.string(), z.looseObject({ values: z.record(z.string(), z.looseObject({ value: z.unknown() })) }))
    .optional(),
  objects: z.record(
    z.string(),
    z.looseObject({ _constructor: Method.optional(), methods: z.record(z.string(), Method) }),
  ),
});

/** The JSON of every argument the engine sends for a call (core/modfunc.go). */
function engineInputs(
  args: Record<string, z.infer<typeof Argument>>,
  given: Record<string, unknown>,
  enums: z.infer<typeof Scanned>["enums"],
): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const [name, arg] of Object.entries(args)) {
    const registered = registeredDefault(arg, enums);
    if (name in given) inputs[name] = JSON.stringify(given[name]);
    else if (registered !== undefined) inputs[name] = JSON.stringify(registered);
    else if (arg.defaultPath !== undefined) inputs[name] = JSON.stringify(`contextual:${arg.defaultPath}`);
  }
  return inputs;
}

/** The TypeDefKinds whose defaults the SDK registers with the engine (isPrimitiveType in register.ts). */
const REGISTERED_KINDS = new Set(["BOOLEAN_KIND", "INTEGER_KIND", "STRING_KIND", "FLOAT_KIND", "ENUM_KIND"]);

/** The default the engine holds for an argument, as register.ts registers it; undefined for none. */
function registeredDefault(arg: z.infer<typeof Argument>, enums: z.infer<typeof Scanned>["enums"]): unknown {
  if (arg.defaultValue === undefined || !REGISTERED_KINDS.has(arg.type?.kind ?? "")) return undefined;
  const own = arg.type?.kind === "ENUM_KIND" ? enums?.[arg.type.name ?? ""] : undefined;
  if (own === undefined) return arg.defaultValue;
  const member = Object.entries(own.values).find(([, entry]) => entry.value === arg.defaultValue);
  if (member === undefined)
    throw new Error(`no member of enum ${arg.type?.name ?? ""} has the value ${JSON.stringify(arg.defaultValue)}`);
  return member[0];
}

function typescriptFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) return typescriptFiles(file);
    return /\.m?ts$/.test(name) ? [file] : [];
  });
}

async function main(): Promise<void> {
  const [planFile, outFile] = process.argv.slice(2);
  if (planFile === undefined || outFile === undefined) throw new Error("usage: driver.ts <plan.json> <outcomes.json>");
  const plan = CallPlan.parse(JSON.parse(readFileSync(planFile, "utf8")));

  const sdk = (path: string): Promise<unknown> => import(pathToFileURL(join(plan.sdkDist, path)).href);
  const scan = exported(await sdk("module/introspector/index.js"), "scan", SdkFunction);
  const load = exported(await sdk("module/entrypoint/load.js"), "load", SdkFunction);
  const invoke = exported(await sdk("module/entrypoint/invoke.js"), "invoke", SdkFunction);
  const Executor = exported(await sdk("module/executor.js"), "Executor", SdkClass);
  const connection = exported(await sdk("connect.js"), "connection", SdkFunction);

  // The entrypoint's file list: every .ts under src/, plus the generated client. The engine's
  // client.gen.ts holds the API's classes inline; here it re-exports the npm package's, so the
  // introspector, which reads class declarations from the files it is given, gets the package's
  // declarations of the same client (as dagger/scripts/introspect.ts does).
  const sources = typescriptFiles(join(plan.moduleDir, "src"));
  const files = [...sources, join(plan.moduleDir, "sdk", "client.gen.ts")];
  const scannedValue: unknown = await scan([...sources, plan.clientDeclarations], plan.moduleName, false);
  const scanned = Scanned.parse(scannedValue);
  const executor: unknown = new Executor(await load(files), scannedValue);

  const outcomes: CallOutcome[] = [];
  await connection(async () => {
    let constructed: unknown = {};
    let lastConstructor = "";
    const results = new Map<string, unknown>();
    for (const call of plan.calls) {
      const object = scanned.objects[call.object];
      const method = call.fn === "" ? object?._constructor : object?.methods[call.fn];
      if (method === undefined) throw new Error(`the module has no ${call.object}.${call.fn}`);
      const inputs = engineInputs(method.arguments, call.given, scanned.enums);
      if (call.fn === "") lastConstructor = call.label;
      const fnArgs = Object.fromEntries(Object.entries(inputs).map(([name, json]) => [name, JSON.parse(json)]));
      // The engine calls a function on the object its constructor returned: without one, nothing runs.
      const parent =
        call.fn === "" ? undefined : outcomes.findLast((done) => done.label === (call.parent ?? lastConstructor));
      if (parent?.error !== undefined) {
        outcomes.push({ label: call.label, inputs, error: `${parent.label} failed: ${parent.error}` });
        continue;
      }
      const parentArgs: unknown =
        call.fn === ""
          ? {}
          : JSON.parse(JSON.stringify(call.parent === undefined ? constructed : results.get(call.parent)));
      try {
        const result: unknown = await invoke(executor, scannedValue, {
          parentName: call.object,
          fnName: call.fn,
          parentArgs,
          fnArgs,
        });
        // The entrypoint sends the result as JSON (`null` when there is none).
        const json = result === undefined || result === null ? "null" : JSON.stringify(result);
        if (call.fn === "") constructed = JSON.parse(json);
        results.set(call.label, JSON.parse(json));
        outcomes.push({ label: call.label, inputs, result: JSON.parse(json) });
      } catch (error) {
        outcomes.push({ label: call.label, inputs, error: messageOf(error) });
      }
    }
  });
  writeFileSync(outFile, JSON.stringify(outcomes));
}

await main();
