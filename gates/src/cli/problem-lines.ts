import type { PortcullisError } from "../errors.js";
import { PolicyError } from "../policy/problems.js";

/** Each problem of an error on its own line, its fix indented below: what `policy check` prints per file. */
export function problemLines(error: PortcullisError): string {
  const problems =
    error instanceof PolicyError
      ? error.problems.map((problem) => ({
          where: problem.path,
          message: problem.rule === undefined ? problem.message : `${problem.message} [${problem.rule}]`,
          fix: problem.fix,
        }))
      : [{ where: error.path, message: error.message, fix: error.fix }];
  return problems
    .map(({ where, message, fix }) => {
      const head = `  ${where === undefined ? "" : `${where}: `}${message}\n`;
      return fix === undefined || fix === "" ? head : `${head}    fix: ${fix}\n`;
    })
    .join("");
}

/**
 * An error as the CLI prints it on stderr: one line, or, for a file with several problems, a
 * heading naming the file and every problem below it, so none hides behind the first.
 */
export function errorText(error: PortcullisError): string {
  if (!(error instanceof PolicyError) || error.problems.length < 2) return `portcullis: ${error.describe()}\n`;
  return `portcullis: [${error.code}] ${error.file ?? ""}: ${error.problems.length} problems\n${problemLines(error)}`;
}
