import { z } from "zod";
import { Finding, ToolError } from "./finding.js";

export const FINDINGS_SCHEMA_ID = "portcullis.findings/v1";

/**
 * The Portcullis findings format: what `portcullis validate` writes, and how any tool without an
 * adapter can feed the gates.
 */
export const FindingsDocument = z
  .object({
    schema: z.literal(FINDINGS_SCHEMA_ID),
    tool: z.string().min(1),
    version: z.string(),
    filesScanned: z.number().int().nonnegative(),
    findings: z.array(Finding),
    toolErrors: z.array(ToolError),
  })
  .strict();
export type FindingsDocument = z.infer<typeof FindingsDocument>;
