// `npm run bench`: builds the CLI, then runs every bench/*.bench.{js,mjs,ts} in turn (TypeScript
// through tsx). Exits non-zero only when a benchmark crashes; a missed target is printed, not fatal.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import console from "node:console";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);

const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) {
  console.error("bench: the build failed; fix it before benchmarking");
  process.exit(build.status ?? 1);
}

const benches = readdirSync(benchDir)
  .filter((name) => /\.bench\.(js|mjs|ts)$/.test(name))
  .sort();
if (benches.length === 0) {
  console.error(`bench: no *.bench.{js,mjs,ts} files in ${benchDir}`);
  process.exit(1);
}

const crashed = [];
for (const name of benches) {
  console.log(`\n== ${name}`);
  const args = name.endsWith(".ts") ? ["--import", "tsx", path.join(benchDir, name)] : [path.join(benchDir, name)];
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) crashed.push(`${name} (exit ${result.status ?? result.signal})`);
}
if (crashed.length > 0) {
  console.error(`\nbench: crashed: ${crashed.join(", ")}`);
  process.exit(1);
}
