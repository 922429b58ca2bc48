/** The outcome of a blue-green command (`portcullis deploy | rollback | status`) run in the CLI container. */
import type { Container } from "@dagger.io/dagger";
import { DEPLOY_EXIT, deployExitMeaning } from "./deploy.js";

/** The output of a command that exited 0; any other exit code fails the call with the output and what the code means. */
export async function ranOrThrow(command: "deploy" | "rollback" | "status", ran: Container): Promise<string> {
  const exitCode = await ran.exitCode();
  const output = `${await ran.stdout()}${await ran.stderr()}`;
  if (exitCode === DEPLOY_EXIT.live) return output;
  // Only deploy's 1 and 3 have their own meaning; for rollback and status anything but 0 or 2 is "did not complete".
  const meaning =
    command === "deploy" || exitCode === DEPLOY_EXIT.usage ? deployExitMeaning(exitCode) : "it did not complete";
  throw new Error(`portcullis ${command} exited ${exitCode}: ${meaning}\n\n${output}`);
}
