import { z } from "zod";

/** The built-in checks a compliance control can name (implemented in compliance/checks.ts). */
export const CHECK_NAMES = [
  "mandatory_gates_evaluated",
  "no_mandatory_bypass",
  "waivers_approved",
  "sbom_present",
  "licence_policy",
  "repository_files",
  "workflow_permissions",
  "ledger_intact",
] as const;
export const CheckName = z.enum(CHECK_NAMES).describe("The built-in check that evidences the control");
export type CheckName = z.infer<typeof CheckName>;

export const CONTROL_STATUSES = ["pass", "fail", "error"] as const;
/** error: the control's check could not be evaluated (and so cannot pass). */
export const ControlStatus = z.enum(CONTROL_STATUSES);
export type ControlStatus = z.infer<typeof ControlStatus>;
