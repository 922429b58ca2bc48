/**
 * The node container that runs the `portcullis` CLI, built from Portcullis' own repository in
 * layers so that the engine reuses each one until what it depends on changes:
 * 1. build stage: the dependency manifests alone, `npm ci` (dev dependencies included: the build
 *    runs `tsc`), then the library's sources and `npm run build`;
 * 2. runtime stage: the manifests again, `npm ci --omit=dev --workspace portcullis` (the CLI's
 *    production dependencies only: no playwright, eslint, vitest or Dagger SDK), then the built
 *    `gates/dist` and `gates/bin` from the build stage, then the built-in policies and k6 scenarios
 *    in `gates/builtin/`, where the CLI looks when the caller's repository has none of its own
 *    (laid out as gates/scripts/copy-builtins.js lays them out for the npm package). They are the
 *    last layer and are not compiled, so editing them rebuilds nothing.
 */
import { CacheSharingMode, dag, type Container, type Directory } from "@dagger.io/dagger";
import { LAYOUT } from "./layout.js";

/** The dependency manifests: a change here, and only here, reinstalls dependencies. */
export const MANIFEST_FILES = ["package.json", "package-lock.json", "gates/package.json"];

/** What the portcullis workspace's `npm run build` compiles (gates/tsconfig.build.json and the sources it includes). */
export const BUILD_FILES = ["tsconfig.base.json", "gates/tsconfig.build.json", "gates/src/**", "gates/bin/**"];

/** The built-in files under `gates/builtin/`: each folder of it, and what it holds from the repository. */
export const BUILTIN_FILES = {
  environments: ["environments/*.yml", "environments/schema.json"],
  scenarios: ["scenarios/*.js", "scenarios/lib/*.js"],
} as const;

/** The pieces of Portcullis' repository the module reads: the CLI's sources, default policies and k6 scenarios. */
export const CLI_SOURCE_FILES = [
  ...MANIFEST_FILES,
  ...BUILD_FILES,
  ...BUILTIN_FILES.environments,
  ...BUILTIN_FILES.scenarios,
];

/** Where `portcullis` is on the PATH of the node image. */
export const CLI_BIN = "/usr/local/bin/portcullis";

/** npm's download cache, shared by every build of every pipeline. */
export const NPM_CACHE_VOLUME = "portcullis-npm-cache";

/** `npm ci` without the root `prepare` (the build runs as its own step) and without network chatter. */
const NPM_CI = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"];

/** The `portcullis` CLI on the PATH, built from `portcullis` (Portcullis' own repository). */
export function cliContainer(nodeImage: string, portcullis: Directory): Container {
  const built = npmProject(nodeImage, portcullis)
    .withExec(NPM_CI)
    .withDirectory(".", portcullis.filter({ include: BUILD_FILES }))
    .withExec(["npm", "run", "build", "--workspace", "portcullis"]);
  return (
    npmProject(nodeImage, portcullis)
      .withExec([...NPM_CI, "--omit=dev", "--workspace", "portcullis"])
      .withDirectory("gates/dist", built.directory(`${LAYOUT.cli}/gates/dist`))
      .withDirectory("gates/bin", portcullis.directory("gates/bin"))
      // npm links a workspace's bin only when the workspace's files are there at install time.
      .withSymlink(`${LAYOUT.cli}/gates/bin/portcullis.js`, CLI_BIN)
      .withEnvVariable("NO_COLOR", "1")
      .withDirectory("gates/builtin/environments", builtin(portcullis, "environments"))
      .withDirectory("gates/builtin/scenarios", builtin(portcullis, "scenarios"))
  );
}

// --- internal ---

function builtin(portcullis: Directory, folder: keyof typeof BUILTIN_FILES): Directory {
  return portcullis.filter({ include: [...BUILTIN_FILES[folder]] }).directory(folder);
}

/** A node container at LAYOUT.cli holding only the manifests, npm's cache mounted. */
function npmProject(nodeImage: string, portcullis: Directory): Container {
  return dag
    .container()
    .from(nodeImage)
    .withMountedCache("/root/.npm", dag.cacheVolume(NPM_CACHE_VOLUME), { sharing: CacheSharingMode.Shared })
    .withDirectory(LAYOUT.cli, portcullis.filter({ include: MANIFEST_FILES }))
    .withWorkdir(LAYOUT.cli);
}
