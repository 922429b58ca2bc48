import { describeFailure, runShell } from "../shell.js";
import { sameWeights, type Weights } from "../state.js";
import { RouterError, type Router } from "./router.js";

/**
 * Command router: any platform, through a user command. `command_set` receives the weights as
 * `{blue}`/`{green}` (and PORTCULLIS_BLUE_WEIGHT / PORTCULLIS_GREEN_WEIGHT); `command_get`, when
 * given, prints the live weights (`"10 90"`, `blue=10 green=90` or JSON) and confirms each step.
 * Without it, a zero exit of `command_set` is the only confirmation.
 */
export interface CommandRouterOptions {
  set: string;
  get?: string | undefined;
  timeoutMs: number;
  cwd: string;
}

export function commandRouter(options: CommandRouterOptions): Router {
  const run = (command: string, weights?: Weights) =>
    runShell(command, {
      cwd: options.cwd,
      timeoutMs: options.timeoutMs,
      env:
        weights === undefined
          ? {}
          : { PORTCULLIS_BLUE_WEIGHT: String(weights.blue), PORTCULLIS_GREEN_WEIGHT: String(weights.green) },
    });
  const read = async (): Promise<Weights | null> => {
    if (options.get === undefined) return null;
    const result = await run(options.get);
    if (!result.ok)
      throw new RouterError("command", `reading weights failed: ${describeFailure(options.get, result)}`, {
        applied: true,
      });
    return parseWeights(result.stdout);
  };
  return {
    description: `command (${options.set})`,
    async setWeights(weights) {
      const command = options.set
        .replaceAll("{blue}", String(weights.blue))
        .replaceAll("{green}", String(weights.green));
      const result = await run(command, weights);
      // A failed command may have changed something before failing: assume it did.
      if (!result.ok)
        throw new RouterError("command", `setting weights failed: ${describeFailure(command, result)}`, {
          applied: true,
        });
      if (options.get === undefined) return weights;
      const readBack = await read();
      if (readBack === null || !sameWeights(readBack, weights)) {
        throw new RouterError(
          "command",
          `read back ${readBack === null ? "nothing usable" : `${readBack.blue}/${readBack.green}`} after setting ${weights.blue}/${weights.green}`,
          {
            applied: true,
            fix: 'command_get must print the live weights as "blue green"',
          },
        );
      }
      return readBack;
    },
    readWeights: read,
  };
}

/** `"10 90"`, `"blue=10 green=90"` or `{"blue":10,"green":90}`; null when none of these. */
export function parseWeights(text: string): Weights | null {
  const trimmed = text.trim();
  const named = /blue\D*?(\d+)[\s\S]*?green\D*?(\d+)/.exec(trimmed);
  const pair = /^(\d+)\s+(\d+)$/.exec(trimmed);
  const match = named ?? pair;
  if (match === null) return null;
  const blue = Number(match[1]);
  const green = Number(match[2]);
  return blue + green === 100 ? { blue, green } : null;
}
