import { ToolRunError } from "../../errors.js";
import type { Weights } from "../state.js";

/**
 * A traffic router: applies blue/green weights and confirms them by reading them back. A step
 * only counts once `setWeights` has returned the weights it read back.
 */
export interface Router {
  /** For messages: `nginx (upstream portcullis_backend in /etc/nginx/portcullis.conf)`. */
  readonly description: string;
  /** Applies `weights` and returns them as read back; throws a RouterError otherwise. */
  setWeights(weights: Weights): Promise<Weights>;
  /** The live weights as the router itself serves them; null when it cannot say (no command_get). */
  readWeights(): Promise<Weights | null>;
  /** A change written but not served (nginx: an include not reloaded); null when there is none. */
  unserved?(): Promise<string | null>;
}

/**
 * A router could not apply or confirm weights. `applied: false` is a promise that the live
 * weights did not change (the controller may then stop without a rollback); when in doubt, true.
 */
export class RouterError extends ToolRunError {
  override readonly name = "RouterError";
  readonly applied: boolean;

  constructor(router: string, message: string, options: { applied: boolean; fix?: string; cause?: unknown }) {
    super("TOOL_FAILED", message, { tool: router, fix: options.fix, cause: options.cause });
    this.applied = options.applied;
  }
}

/** `host:port` of a slot URL, with the scheme's default port. */
export function hostPort(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port !== "" ? parsed.port : parsed.protocol === "https:" ? "443" : "80";
  return `${parsed.hostname}:${port}`;
}
