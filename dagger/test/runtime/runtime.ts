/**
 * Runs module functions the way a v0.21 engine does (layout.ts, driver.ts) against a fake engine
 * served over HTTP, and returns what each call gave back and every GraphQL query it sent.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { z } from "zod";
import { serveFakeEngine, type Answer } from "../helpers/fake-engine.js";
import { runtimeLayout, SDK_DIST, type RuntimeLayout } from "./layout.js";
import { CallOutcome, type Call } from "./plan.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const TSX = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const DRIVER = fileURLToPath(new URL("driver.ts", import.meta.url));

export interface RuntimeRun {
  outcomes: CallOutcome[];
  queries: string[];
}

/** Calls `calls` in one process and one engine session, in order. */
export async function callInRuntime(layout: RuntimeLayout, calls: Call[], answer: Answer): Promise<RuntimeRun> {
  const engine = await serveFakeEngine(answer);
  try {
    const plan = join(layout.moduleDir, "..", "plan.json");
    const out = join(layout.moduleDir, "..", "outcomes.json");
    writeFileSync(
      plan,
      JSON.stringify({
        moduleDir: layout.moduleDir,
        moduleName: "portcullis",
        sdkDist: SDK_DIST,
        clientDeclarations: layout.clientDeclarations,
        calls,
      }),
    );
    // The runtime's command line (runtime_node.go): tsx --no-deprecation --tsconfig <module>/tsconfig.json <entrypoint>.
    await run(process.execPath, [TSX, "--no-deprecation", "--tsconfig", layout.tsconfig, DRIVER, plan, out], {
      cwd: layout.moduleDir,
      env: { ...process.env, ...engine.env },
      timeout: 180_000,
    });
    return { outcomes: z.array(CallOutcome).parse(JSON.parse(readFileSync(out, "utf8"))), queries: engine.queries };
  } finally {
    engine.close();
  }
}

/** tsc over the layout (the module against the SDK the runtime generates); the diagnostics, empty when it compiles. */
export async function compileInRuntime(layout: RuntimeLayout): Promise<string> {
  try {
    await run(process.execPath, [TSC, "-p", layout.tsconfig, "--noEmit", "--pretty", "false"], { timeout: 240_000 });
    return "";
  } catch (error) {
    return z.looseObject({ stdout: z.string() }).parse(error).stdout;
  }
}

export { runtimeLayout };
