import { writeFileSync } from "node:fs";
import path from "node:path";
import { UsageError, isPortcullisError, IoError, messageOf, type PortcullisError } from "../errors.js";
import { POLICY_JSON_SCHEMA_FILE, renderPolicyJsonSchema } from "../policy/json-schema.js";
import { environmentFiles, loadEnvironment, type LoadedPolicy } from "../policy/load-files.js";
import type { RegisterCommand } from "./commands.js";
import { EXIT, useColor, type CliIo } from "./io.js";
import { problemLines } from "./problem-lines.js";
import { slaEnv } from "../tools/k6.js";
import { referenceLine } from "./docs-page.js";

/** `portcullis policy check [file]`, `portcullis policy sla <env>` and `portcullis policy schema [--write <file>]`. */
export const registerPolicy: RegisterCommand = (program, io, setExit) => {
  const policy = program
    .command("policy")
    .description("Validate environment policy files; print their JSON Schema")
    .addHelpText("after", `\n${referenceLine("policy", "every key, its default and meaning")}\n`);

  policy
    .command("check")
    .description("Validate environment files: schema, unknown keys, cross-field rules. Exit 0 valid, 2 invalid")
    .argument("[file]", "an environment name (staging) or a policy file; default: every environments/*.yml")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  portcullis policy check                          # every environments/*.yml",
        "  portcullis policy check production               # environments/production.yml",
        "  portcullis policy check ./my-env.yml",
        "",
      ].join("\n"),
    )
    .action((file: string | undefined) => {
      setExit(checkPolicies(file, io));
    });

  policy
    .command("sla")
    .description(
      "Print the environment's performance SLA as the k6 scenarios read it (SLA_* variables, one JSON object)",
    )
    .argument("<env>", "an environment name (staging) or a policy file")
    .addHelpText("after", "\nThe Dagger module runs this to give k6 the same limits as the performance gate.\n")
    .action((env: string) => {
      const { policy: loaded } = loadEnvironment(env, io.cwd);
      io.stdout(`${JSON.stringify(slaEnv(loaded.gates.performance))}\n`);
    });

  policy
    .command("schema")
    .description("Print the JSON Schema of environment files (generated from the policy schema)")
    .option("--write <file>", `write it to a file instead (the repository keeps it in ${POLICY_JSON_SCHEMA_FILE})`)
    .action((options: { write?: string }) => {
      const text = renderPolicyJsonSchema();
      if (options.write === undefined) {
        io.stdout(text);
        return;
      }
      const target = path.resolve(io.cwd, options.write);
      try {
        writeFileSync(target, text);
      } catch (error) {
        throw new IoError(`cannot write: ${messageOf(error)}`, {
          file: options.write,
          fix: "check that the folder exists and is writable",
          cause: error,
        });
      }
      io.stdout(`wrote ${options.write}\n`);
    });
};

// --- internal ---

function checkPolicies(file: string | undefined, io: CliIo): number {
  const refs = file === undefined ? environmentFiles(io.cwd) : [file];
  if (refs.length === 0) {
    throw new UsageError("USAGE", "no environment files found in environments/", {
      fix: "run from the repository root, write them from the built-in policies with `portcullis init`, or name one: portcullis policy check production",
    });
  }
  const paint = painter(io);
  let invalid = 0;
  for (const ref of refs) {
    const outcome = loadOrError(ref, io.cwd);
    if ("policy" in outcome) {
      io.stdout(
        `${paint.green("OK")}   ${outcome.file} (${outcome.policy.name}, policy ${outcome.hash.slice(0, 12)})\n`,
      );
      continue;
    }
    invalid += 1;
    io.stdout(`${paint.red("FAIL")} ${outcome.file ?? ref}\n${problemLines(outcome)}`);
  }
  const total = refs.length === 1 ? "1 file" : `${refs.length} files`;
  io.stdout(invalid === 0 ? `${total} valid\n` : `${invalid} of ${total} invalid\n`);
  return invalid === 0 ? EXIT.ok : EXIT.usage;
}

function loadOrError(ref: string, root: string): LoadedPolicy | PortcullisError {
  try {
    return loadEnvironment(ref, root);
  } catch (error) {
    if (isPortcullisError(error)) return error;
    throw error;
  }
}

function painter(io: CliIo): { green: (text: string) => string; red: (text: string) => string } {
  const color = useColor(io);
  const wrap = (code: number) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { green: wrap(32), red: wrap(31) };
}
