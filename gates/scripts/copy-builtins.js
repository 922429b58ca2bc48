// Copies what the CLI needs at run time from the repository into the package (gates/builtin/):
// the built-in environments with their JSON Schema and the k6 scenarios. Run by the build and
// before `npm pack`, so the installed CLI works in a repository that has none of them.
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = fileURLToPath(new URL("../", import.meta.url));
const repository = path.join(packageDir, "..");
const target = path.join(packageDir, "builtin");

rmSync(target, { recursive: true, force: true });
copyMatching("environments", (name) => name.endsWith(".yml") || name === "schema.json");
copyMatching("scenarios", (name) => name.endsWith(".js"));
copyMatching(path.join("scenarios", "lib"), (name) => name.endsWith(".js"));
// npm takes the licence from the package folder only.
cpSync(path.join(repository, "LICENSE"), path.join(packageDir, "LICENSE"));

function copyMatching(folder, wanted) {
  mkdirSync(path.join(target, folder), { recursive: true });
  for (const name of readdirSync(path.join(repository, folder)).filter(wanted).sort()) {
    cpSync(path.join(repository, folder, name), path.join(target, folder, name));
  }
}
