import { z } from "zod";
import { loadYaml } from "../policy/yaml.js";
import { CheckName } from "../model/controls.js";
import { PolicyError, problemsFromZod, READABLE_PARSE } from "../policy/problems.js";

export { CHECK_NAMES, CheckName } from "../model/controls.js";

export const Control = z
  .object({
    id: z.string().min(1).describe("Stable identifier, shown in reports and the evidence bundle"),
    title: z.string().min(1),
    frameworks: z
      .array(z.string().min(1))
      .describe('Framework references it maps to, e.g. "SOC 2 CC8.1", "NIST AI RMF MEASURE 2.7", "GDPR Art. 32"'),
    check: CheckName,
    environments: z
      .array(z.string().min(1))
      .optional()
      .describe("Environments the control applies to; all environments when left out"),
    enabled: z.boolean().default(true).describe("false switches a built-in control off (stated in the report)"),
  })
  .strict();
export type Control = z.infer<typeof Control>;

export const LicencePolicy = z
  .object({
    deny: z
      .array(z.string().min(1))
      .default([])
      .describe("SPDX ids (or names as trivy reports them) that fail the check"),
    allow: z.array(z.string().min(1)).default([]).describe("When not empty, every licence found must be in this list"),
  })
  .strict();

export const ControlsFile = z
  .object({
    licences: LicencePolicy.prefault({}),
    required_files: z
      .array(z.string().min(1))
      .optional()
      .describe("Files the repository must contain (CODEOWNERS is also found in .github/ and docs/)"),
    changelog: z
      .string()
      .min(1)
      .default("CHANGELOG.md")
      .describe("The changelog that every change must touch; an empty change set is not checked"),
    controls: z
      .array(Control)
      .default([])
      .describe("Controls added to the built-in ones, or replacing a built-in control with the same id"),
  })
  .strict();
export type ControlsFile = z.infer<typeof ControlsFile>;

/** The controls Portcullis ships, each mapped to the framework items it evidences. */
export const BUILTIN_CONTROLS: readonly Control[] = [
  {
    id: "gates-evaluated",
    title: "Every mandatory gate was evaluated (none skipped, none in error)",
    frameworks: ["SOC 2 CC8.1", "SOC 2 CC7.1", "NIST AI RMF MEASURE 2.7"],
    check: "mandatory_gates_evaluated",
    enabled: true,
  },
  {
    id: "no-mandatory-bypass",
    title: "No mandatory gate was bypassed",
    frameworks: ["SOC 2 CC8.1", "NIST AI RMF GOVERN 1.4"],
    check: "no_mandatory_bypass",
    enabled: true,
  },
  {
    id: "waivers-approved",
    title: "Every waiver is approved, justified and unexpired",
    frameworks: ["SOC 2 CC8.1", "SOC 2 CC3.4", "NIST AI RMF MANAGE 1.3"],
    check: "waivers_approved",
    enabled: true,
  },
  {
    id: "sbom-present",
    title: "A CycloneDX SBOM was generated for this change",
    frameworks: ["SOC 2 CC7.1", "NIST AI RMF MAP 4.1", "GDPR Art. 32"],
    check: "sbom_present",
    enabled: true,
  },
  {
    id: "licence-policy",
    title: "Dependency licences satisfy the licence policy",
    frameworks: ["SOC 2 CC9.2", "NIST AI RMF MAP 4.1"],
    check: "licence_policy",
    enabled: true,
  },
  {
    id: "repository-files",
    title: "README, SECURITY.md and CODEOWNERS exist and the changelog records this change",
    frameworks: ["SOC 2 CC2.2", "SOC 2 CC8.1", "NIST AI RMF GOVERN 1.2"],
    check: "repository_files",
    enabled: true,
  },
  {
    id: "workflow-permissions",
    title: "Every GitHub workflow declares least-privilege permissions",
    frameworks: ["SOC 2 CC6.1", "SOC 2 CC6.3", "GDPR Art. 25", "GDPR Art. 32"],
    check: "workflow_permissions",
    enabled: true,
  },
  {
    id: "ledger-intact",
    title: "The deployment ledger's hash chain is intact",
    frameworks: ["SOC 2 CC7.2", "SOC 2 CC8.1", "NIST AI RMF MANAGE 4.1", "GDPR Art. 30"],
    check: "ledger_intact",
    enabled: true,
  },
];

export const DEFAULT_REQUIRED_FILES = ["README.md", "CHANGELOG.md", "SECURITY.md", "CODEOWNERS"] as const;

export const DEFAULT_CONTROLS_FILE = ".portcullis/controls.yml";

/** The settings in force: built-ins, overridden by id and extended by the user's file. */
export interface ControlSet {
  controls: Control[];
  licences: { deny: string[]; allow: string[] };
  requiredFiles: string[];
  changelog: string;
}

/** Parses `.portcullis/controls.yml` (strict, dot-path problems) into the control set in force. */
export function parseControls(text: string, file: string): ControlSet {
  const document = loadYaml(text, {
    file,
    code: "CONFIG_INVALID",
    emptyFix: "add at least one key (licences, required_files, changelog or controls), or delete the file",
  });
  const parsed = ControlsFile.safeParse(document, READABLE_PARSE);
  if (!parsed.success) throw new PolicyError("CONFIG_INVALID", file, problemsFromZod(parsed.error, ControlsFile));
  const ids = parsed.data.controls.map((control) => control.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) {
    const index = ids.lastIndexOf(duplicate);
    throw new PolicyError("CONFIG_INVALID", file, [
      {
        path: `controls.${index}.id`,
        message: `duplicate control id "${duplicate}"`,
        fix: "give each control its own id",
      },
    ]);
  }
  return controlSet(parsed.data);
}

/** The built-in control set, for repositories without a controls file. */
export function defaultControls(): ControlSet {
  return controlSet(ControlsFile.parse({}));
}

/** The controls that apply to one environment, in a stable order. */
export function controlsFor(set: ControlSet, environment: string): Control[] {
  return set.controls.filter(
    (control) => control.enabled && (control.environments === undefined || control.environments.includes(environment)),
  );
}

// --- internal ---

function controlSet(file: ControlsFile): ControlSet {
  const byId = new Map<string, Control>(BUILTIN_CONTROLS.map((control) => [control.id, control]));
  for (const control of file.controls) byId.set(control.id, control);
  return {
    controls: [...byId.values()],
    licences: { deny: file.licences.deny, allow: file.licences.allow },
    requiredFiles: file.required_files ?? [...DEFAULT_REQUIRED_FILES],
    changelog: file.changelog,
  };
}
