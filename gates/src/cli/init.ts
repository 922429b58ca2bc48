import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { InternalError, IoError, UsageError, messageOf, quote } from "../errors.js";
import {
  WORKFLOW_FILES,
  gitignoreWithReports,
  moduleAddressFrom,
  nextCommands,
  scaffoldFiles,
} from "../init/scaffold.js";
import { SCAFFOLD_ENVIRONMENTS, type TemplateContext } from "../init/templates.js";
import { BUILTIN_ENVIRONMENTS_DIR } from "../policy/builtin.js";
import { GITLEAKS_IMAGE } from "../tools/gitleaks.js";
import { K6_IMAGE } from "../tools/k6.js";
import { SEMGREP_IMAGE } from "../tools/semgrep.js";
import { TRIVY_IMAGE } from "../tools/trivy.js";
import type { RegisterCommand } from "./commands.js";
import { EXIT, type CliIo } from "./io.js";

interface InitFlags {
  force?: boolean | undefined;
  hostWorkflow?: boolean | undefined;
  module?: string | undefined;
  moduleVersion?: string | undefined;
}

/** `portcullis init`: scaffolds what a team edits, from the built-in policies. */
export const registerInit: RegisterCommand = (program, io, setExit) => {
  program
    .command("init")
    .description(
      "Write a starting setup into a repository: environments/*.yml (from the built-in policies), " +
        ".portcullis/waivers.yml, portcullis.yml, a GitHub workflow and reports/ in .gitignore. Never overwrites without --force",
    )
    .argument("[dir]", "the repository to set up", ".")
    .option("--force", "replace files that exist (each one replaced is listed)")
    .option("--host-workflow", `also write ${WORKFLOW_FILES.host}, which runs the gates on the runner itself`)
    .option("--module <address>", "the Dagger module the workflow calls (default: this package's repository)")
    .option(
      "--module-version <ref>",
      "the module version the workflow pins: a tag or commit (default: v<this version>)",
    )
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  npx portcullis init",
        "  npx portcullis init --host-workflow",
        "  npx portcullis init --module github.com/acme/portcullis-fork --module-version v0.1.0-acme.1",
        "",
      ].join("\n"),
    )
    .action((dir: string, flags: InitFlags) => {
      setExit(runInit(dir, flags, io));
    });
};

// --- internal ---

/** `github.com/acme/portcullis-fork`: a host and a path, as `dagger call -m` takes a module. */
const MODULE_ADDRESS = /^[a-z0-9.-]+\.[a-z]{2,}(?:\/[A-Za-z0-9._-]+)+$/;
/** A tag or a commit: what goes after `@` in the workflow, and nothing that would end its YAML line. */
const MODULE_VERSION = /^[A-Za-z0-9][A-Za-z0-9._+/-]*$/;

/** The flag's value when it reads as `pattern` says; written into the workflow, so nothing else is. */
function checkedFlag(flag: string, value: string | undefined, pattern: RegExp): string | undefined {
  if (value === undefined || pattern.test(value)) return value;
  throw new UsageError(
    "USAGE",
    `${flag} ${quote(value)} is not ${flag === "--module" ? "a module address" : "a tag or commit"}`,
    {
      fix:
        flag === "--module"
          ? "give the module's address without a scheme or version: github.com/acme/portcullis-fork"
          : "give a tag or a commit SHA: v0.1.0, 4f2a9c1e…",
    },
  );
}

/** The fields of this package's package.json that init needs. */
const OwnPackage = z.object({
  version: z.string(),
  repository: z.union([z.string(), z.object({ url: z.string() })]),
});

function runInit(dir: string, flags: InitFlags, io: CliIo): number {
  const root = path.resolve(io.cwd, dir);
  if (!isDirectory(root)) {
    throw new UsageError("USAGE", `${quote(dir)} is not a folder`, { fix: "give the repository's folder" });
  }
  const own = ownPackage();
  const repository = typeof own.repository === "string" ? own.repository : own.repository.url;
  const moduleAddress = checkedFlag("--module", flags.module, MODULE_ADDRESS) ?? moduleAddressFrom(repository);
  const moduleVersion = checkedFlag("--module-version", flags.moduleVersion, MODULE_VERSION) ?? `v${own.version}`;
  const context: TemplateContext = {
    moduleAddress,
    moduleVersion,
    portcullisVersion: own.version,
    docsUrl: `https://${moduleAddressFrom(repository)}/blob/v${own.version}/docs`,
  };
  const files = scaffoldFiles({
    context,
    builtinEnvironments: Object.fromEntries(
      SCAFFOLD_ENVIRONMENTS.map((name) => [name, readBuiltin(path.join(BUILTIN_ENVIRONMENTS_DIR, `${name}.yml`))]),
    ),
    schemaJson: readBuiltin(path.join(BUILTIN_ENVIRONMENTS_DIR, "schema.json")),
    hostWorkflow:
      flags.hostWorkflow === true
        ? {
            gitleaks: GITLEAKS_IMAGE.version,
            trivy: TRIVY_IMAGE.version,
            semgrep: SEMGREP_IMAGE.version,
            k6: K6_IMAGE.version,
          }
        : undefined,
  });

  const written: string[] = [];
  const replaced: string[] = [];
  const kept: string[] = [];
  for (const file of files) {
    const target = path.join(root, file.path);
    const exists = existsSync(target);
    if (exists && flags.force !== true) {
      kept.push(file.path);
      continue;
    }
    write(target, file.path, file.content);
    (exists ? replaced : written).push(file.path);
  }
  const gitignore = path.join(root, ".gitignore");
  const ignored = gitignoreWithReports(existsSync(gitignore) ? read(gitignore, ".gitignore") : undefined);
  if (ignored !== undefined) write(gitignore, ".gitignore", ignored);

  const lines = [
    ...written.map((file) => `  created   ${file}`),
    ...replaced.map((file) => `  replaced  ${file}`),
    ...kept.map((file) => `  kept      ${file} (exists; --force replaces it)`),
    ignored === undefined ? "  kept      .gitignore (already ignores reports/)" : "  updated   .gitignore (reports/)",
  ];
  io.stdout(`portcullis init: ${path.relative(io.cwd, root) || "."}\n${lines.join("\n")}\n`);
  io.stdout(`\nThe workflow calls the Dagger module ${moduleAddress}@${moduleVersion}.\n`);
  if (replaced.length > 0) io.stdout(`Replaced ${replaced.length} file(s) that existed: ${replaced.join(", ")}\n`);
  io.stdout(
    `\nNext:\n${nextCommands("npx portcullis")
      .map((command) => `  ${command}`)
      .join("\n")}\n`,
  );
  return EXIT.ok;
}

/** This package's own package.json (beside dist/ once installed, beside src/ in the repository). */
function ownPackage(): z.infer<typeof OwnPackage> {
  const file = new URL("../../package.json", import.meta.url);
  const parsed = OwnPackage.safeParse(JSON.parse(read(file, "portcullis/package.json")));
  if (!parsed.success) {
    throw new InternalError("the package's package.json has no version or repository", {
      file: "portcullis/package.json",
      fix: "reinstall portcullis, or pass --module and --module-version",
    });
  }
  return parsed.data;
}

function readBuiltin(file: string): string {
  return read(file, file);
}

function read(file: string | URL, shown: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new IoError(`cannot read: ${messageOf(error)}`, {
      file: shown,
      fix: "check the file's permissions (a built-in file missing means a broken install: reinstall portcullis)",
      cause: error,
    });
  }
}

function write(target: string, shown: string, content: string): void {
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  } catch (error) {
    throw new IoError(`cannot write: ${messageOf(error)}`, {
      file: shown,
      fix: "check that the repository folder is writable",
      cause: error,
    });
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
