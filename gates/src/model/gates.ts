import { z } from "zod";

/** The gates of the pipeline, in the order every output lists them. */
export const GATE_NAMES = [
  "framework_integrity",
  "documentation",
  "secrets",
  "vulnerabilities",
  "sast",
  "performance",
  "compliance",
] as const;
export const GateName = z.enum(GATE_NAMES).describe("A gate of the pipeline");
export type GateName = z.infer<typeof GateName>;

/** The gates judged by counting findings (all but performance). */
export type FindingGateName = Exclude<GateName, "performance">;

export const GateMode = z
  .enum(["mandatory", "advisory"])
  .describe("mandatory: fail or error blocks the pipeline; advisory: it only warns");
export type GateMode = z.infer<typeof GateMode>;

/** The gates judged by counting findings, in report order. */
export const FINDING_GATES = GATE_NAMES.filter(
  (gate): gate is FindingGateName => gate !== "performance",
) as readonly FindingGateName[];
