/** What the runtime harness asks its driver to call, and what each call gave back. */
import { z } from "zod";

export const Call = z.object({
  /** Names the call in the outcomes, and as a parent for later calls. */
  label: z.string(),
  /** The object the function belongs to (`Portcullis`, `Result`). */
  object: z.string(),
  /** The function; "" for the constructor. */
  fn: z.string(),
  /** Arguments the caller gave, as values the engine JSON-encodes (object arguments as IDs). */
  given: z.record(z.string(), z.unknown()),
  /** The label of the call whose result is this call's parent; by default the constructor's. */
  parent: z.string().optional(),
});
export type Call = z.infer<typeof Call>;

export const CallPlan = z.object({
  moduleDir: z.string(),
  moduleName: z.string(),
  sdkDist: z.string(),
  /** The API client's declarations, saved as a .ts file for the introspector. */
  clientDeclarations: z.string(),
  calls: z.array(Call),
});
export type CallPlan = z.infer<typeof CallPlan>;

export const CallOutcome = z.object({
  label: z.string(),
  /** The JSON of each argument the engine sent. */
  inputs: z.record(z.string(), z.string()),
  result: z.unknown().optional(),
  error: z.string().optional(),
});
export type CallOutcome = z.infer<typeof CallOutcome>;
