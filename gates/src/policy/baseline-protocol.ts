import { z } from "zod";

/** What loadBaselineInBackground sends its worker (workerData). */
export const BaselineRequest = z.object({ file: z.string(), root: z.string() }).strict();

/** What the worker answers: the fingerprints, or what made the baseline BASELINE_INVALID. */
export const BaselineResponse = z.union([
  z.object({ fingerprints: z.array(z.string()) }).strict(),
  z
    .object({
      problem: z.object({ message: z.string(), file: z.string().optional(), fix: z.string().optional() }).strict(),
    })
    .strict(),
]);
export type BaselineResponse = z.infer<typeof BaselineResponse>;
