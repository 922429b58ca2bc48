import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts the module `name` beside `from` (the caller's `import.meta.url`) in a worker thread: its
 * `.js` in the build; from TypeScript sources (tests, tsx), its `.ts` behind tsx's loader, which the
 * thread registers first because Node 20 does not apply `--import` hooks to a worker's entry module.
 */
export function startWorker(from: string, name: string, options: WorkerOptions): Worker {
  const fromSource = from.endsWith(".ts");
  const url = new URL(`./${name}${fromSource ? ".ts" : ".js"}`, from);
  if (!fromSource) return new Worker(url, options);
  const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
