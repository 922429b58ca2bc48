import yaml from "js-yaml";
import { z } from "zod";
import type { Finding } from "../findings/finding.js";
import type { Bypass, ControlResult, GateVerdict, Report } from "../model/report.js";
import type { CheckName, Control, ControlSet } from "./controls.js";
import { messageOf } from "../errors.js";

/** What the checks judge: data gathered by the collector (collect.ts), nothing read here. */
export interface ComplianceContext {
  environment: string;
  /** `now` as YYYY-MM-DD, for waiver expiry. */
  today: string;
  /** Verdicts of every gate except compliance itself. */
  verdicts: readonly GateVerdict[];
  bypasses: readonly Bypass[];
  waivers: Report["waivers"];
  waiverProblems: Report["waiverProblems"];
  licenceFindings: readonly Finding[];
  /**
   * Why the reports that find licences could not be read (missing, failed), when so: no licence
   * findings then means nobody looked, and the control is `error`, never `pass`.
   */
  licenceScanMissing?: string | undefined;
  /** Undefined when no SBOM file was found among the reports. */
  sbom?: SbomInspection | undefined;
  repository: {
    /** Repository-relative paths that exist (only the ones the checks ask about need be present). */
    files: ReadonlySet<string>;
    /** Files this change touches; undefined when that could not be worked out (with the reason). */
    changedFiles?: readonly string[] | undefined;
    changedFilesUnknown?: string | undefined;
  };
  workflows: readonly { path: string; text: string }[];
  /**
   * Undefined when no deployment was ever recorded for the environment. `unreadable`: the store
   * could not be read (the check is then `error`).
   */
  ledger?:
    | { file: string; ok: boolean; records: number; problems: readonly string[]; unreadable?: string | undefined }
    | undefined;
}

/**
 * The part of the context that the evaluator cannot work out from the reports: gathered from the
 * repository and the reports dir by the collector (collect.ts) and handed to `evaluate()`.
 */
export interface CollectedCompliance {
  /** The control set in force (built-ins, overridden by `.portcullis/controls.yml`). */
  controls: ControlSet;
  sbom?: SbomInspection | undefined;
  repository: ComplianceContext["repository"];
  workflows: ComplianceContext["workflows"];
  ledger?: ComplianceContext["ledger"];
}

export type SbomInspection =
  { file: string; ok: true; components: number; specVersion: string } | { file: string; ok: false; problem: string };

export type { ControlResult, ControlStatus } from "../model/report.js";

/** Runs each control's check against the context. */
export function runControls(
  controls: readonly Control[],
  set: ControlSet,
  context: ComplianceContext,
): ControlResult[] {
  return controls.map((control) => {
    const outcome = CHECKS[control.check](context, set);
    return {
      id: control.id,
      title: control.title,
      frameworks: [...control.frameworks],
      check: control.check,
      ...outcome,
    };
  });
}

/** Inspects a CycloneDX JSON SBOM (what `trivy fs|image --format cyclonedx` writes). */
export function inspectSbom(text: string, file: string): SbomInspection {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { file, ok: false, problem: "not valid JSON (truncated?)" };
  }
  const parsed = CycloneDx.safeParse(document);
  if (!parsed.success) {
    return {
      file,
      ok: false,
      problem: 'not a CycloneDX JSON document (expected bomFormat "CycloneDX", specVersion and components)',
    };
  }
  return { file, ok: true, components: parsed.data.components.length, specVersion: parsed.data.specVersion };
}

/** True when a parsed JSON document looks like a CycloneDX SBOM (used to find it among reports). */
export function isCycloneDx(document: unknown): boolean {
  return CycloneDx.safeParse(document).success;
}

/** Where a required file may be: GitHub reads CODEOWNERS from the root, .github/ or docs/. */
export function requiredFileCandidates(file: string): string[] {
  return file === "CODEOWNERS" ? ["CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"] : [file];
}

// --- internal ---

type Outcome = Pick<ControlResult, "status" | "details" | "fix" | "evidence">;
type Check = (context: ComplianceContext, set: ControlSet) => Outcome;

// Third-party format: only the fields read are validated, other keys are allowed.
const CycloneDx = z.looseObject({
  bomFormat: z.literal("CycloneDX"),
  specVersion: z.string(),
  components: z.array(z.unknown()).default([]),
});

const CHECKS: Readonly<Record<CheckName, Check>> = {
  mandatory_gates_evaluated(context) {
    const mandatory = context.verdicts.filter((v) => v.mode === "mandatory" && v.gate !== "compliance");
    const skipped = mandatory.filter((v) => v.status === "error" || v.status === "disabled" || !v.enabled);
    return skipped.length === 0
      ? pass(
          `${mandatory.length} mandatory gates evaluated: ${mandatory.map((v) => `${v.gate} ${v.status}`).join(", ")}`,
          ["report.json#/verdicts"],
        )
      : fail(
          `not evaluated: ${skipped.map((v) => `${v.gate} (${v.status}: ${v.reason})`).join("; ")}`,
          ["report.json#/verdicts"],
          FIX.mandatory_gates_evaluated,
        );
  },

  no_mandatory_bypass(context) {
    const mandatory = new Set(context.verdicts.filter((v) => v.mode === "mandatory").map((v) => v.gate));
    const bypassed = context.bypasses.filter((b) => mandatory.has(b.gate));
    return bypassed.length === 0
      ? pass(`${context.bypasses.length} bypasses, none of a mandatory gate`, ["report.json#/bypasses"])
      : fail(
          `mandatory gates bypassed: ${bypassed.map((b) => `${b.gate} by ${b.approver} (${b.reason})`).join("; ")}`,
          ["report.json#/bypasses"],
          FIX.no_mandatory_bypass,
        );
  },

  waivers_approved(context) {
    const problems = [
      ...context.waiverProblems.map((p) => `${p.id}: ${p.message}`),
      ...context.waivers
        .filter((w) => w.approver.trim() === "" || w.reason.trim() === "" || w.expires < context.today)
        .map(
          (w) =>
            `${w.id}: ${w.approver.trim() === "" ? "no approver" : w.reason.trim() === "" ? "no reason" : `expired ${w.expires}`}`,
        ),
    ];
    return problems.length === 0
      ? pass(`${context.waivers.length} waivers, each approved, justified and unexpired`, [
          "report.json#/waivers",
          "policy/waivers.yml",
        ])
      : fail(problems.join("; "), ["report.json#/waivers", "report.json#/waiverProblems"], FIX.waivers_approved);
  },

  sbom_present(context) {
    const sbom = context.sbom;
    if (sbom === undefined) {
      return fail("no CycloneDX SBOM among the reports", [], FIX.sbom_present);
    }
    if (!sbom.ok) return error(`${sbom.file}: ${sbom.problem}`, [`reports/${sbom.file}`], FIX.sbom_present);
    return pass(
      `${sbom.file}: CycloneDX ${sbom.specVersion}, ${sbom.components} component${sbom.components === 1 ? "" : "s"}`,
      [`reports/${sbom.file}`],
    );
  },

  licence_policy(context, set) {
    if (context.licenceScanMissing !== undefined) {
      return error(
        `no licence scan to check: ${context.licenceScanMissing}`,
        ["report.json#/tools"],
        "give the trivy report with its licence scanner (`portcullis ci` runs it), then judge again",
      );
    }
    const names = context.licenceFindings.map((f) => ({ name: licenceName(f), where: licenceSubject(f) }));
    const denied = names.filter((n) => set.licences.deny.some((d) => sameLicence(d, n.name)));
    const unlisted =
      set.licences.allow.length === 0
        ? []
        : names.filter((n) => !set.licences.allow.some((a) => sameLicence(a, n.name)));
    const problems = [
      ...denied.map((n) => `${n.name} (denied) in ${n.where}`),
      ...unlisted.map((n) => `${n.name} (not in the allow list) in ${n.where}`),
    ];
    return problems.length === 0
      ? pass(
          `${names.length} licence findings checked against ${set.licences.deny.length} denied and ${set.licences.allow.length} allowed licences`,
          ["report.json#/findings"],
        )
      : fail(unique(problems).join("; "), ["report.json#/findings"], FIX.licence_policy);
  },

  repository_files(context, set) {
    const missing = set.requiredFiles.filter(
      (file) => !requiredFileCandidates(file).some((c) => context.repository.files.has(c)),
    );
    const { changedFiles, changedFilesUnknown } = context.repository;
    if (missing.length > 0)
      return fail(`missing: ${missing.join(", ")}`, [], `add ${missing.join(", ")} to the repository`);
    if (changedFiles === undefined) {
      return error(
        `cannot tell whether ${set.changelog} changed: ${changedFilesUnknown ?? "the change set is unknown"}`,
        [],
        "pass --base <ref> (the branch this change goes into), or run in a pull request where GITHUB_BASE_REF is set",
      );
    }
    if (changedFiles.length > 0 && !changedFiles.includes(set.changelog)) {
      return fail(
        `${set.changelog} was not changed by this change (${changedFiles.length} files changed)`,
        [],
        `record this change in ${set.changelog}`,
      );
    }
    return pass(
      `${set.requiredFiles.join(", ")} present; ${set.changelog} ${changedFiles.length === 0 ? "(empty change)" : "updated"}`,
      set.requiredFiles,
    );
  },

  workflow_permissions(context) {
    const problems = context.workflows.flatMap((workflow) => workflowProblems(workflow.path, workflow.text));
    return problems.length === 0
      ? pass(
          `${context.workflows.length} workflows declare least-privilege permissions`,
          context.workflows.map((w) => w.path),
        )
      : fail(
          problems.join("; "),
          context.workflows.map((w) => w.path),
          FIX.workflow_permissions,
        );
  },

  ledger_intact(context) {
    const ledger = context.ledger;
    if (ledger === undefined) return pass(`no deployment recorded for ${context.environment} yet`, []);
    if (ledger.unreadable !== undefined) {
      return error(`${ledger.file}: cannot be read: ${ledger.unreadable}`, [ledger.file], FIX.ledger_intact);
    }
    const evidence = [ledger.file, "ledger/excerpt.jsonl"];
    return ledger.ok
      ? pass(`${ledger.file}: ${ledger.records} records, hash chain intact`, evidence)
      : fail(`${ledger.file}: ${ledger.problems.join("; ")}`, evidence, FIX.ledger_intact);
  },
};

/** What to do when a check does not pass (repository_files says it per case). */
const FIX: Readonly<Record<Exclude<CheckName, "repository_files">, string>> = {
  mandatory_gates_evaluated: "make every mandatory gate's stage run and give its report (see each gate's own fix)",
  no_mandatory_bypass:
    "fix what the bypassed gate found and run again without --bypass: a mandatory gate passes on its own",
  waivers_approved:
    "renew or remove the listed waivers in .portcullis/waivers.yml (reason, approver, an expiry within the limit)",
  sbom_present:
    "generate a CycloneDX SBOM among the reports: trivy fs --format cyclonedx --output reports/sbom.cdx.json . (the sbom stage)",
  licence_policy:
    "replace the dependencies under the listed licences, waive a finding with reason, approver and expiry, or change licences in .portcullis/controls.yml with approval",
  workflow_permissions:
    "declare `permissions:` (e.g. contents: read) at the top of each workflow or on every job, never write-all",
  ledger_intact:
    "run `portcullis ledger verify` and restore the ledger from the store's history: a broken chain means it was edited",
};

/** Permissions declared at the top or on every job, and never `write-all`. */
function workflowProblems(path: string, text: string): string[] {
  let document: unknown;
  try {
    document = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (cause) {
    return [`${path}: not valid YAML (${messageOf(cause).split("\n")[0]})`];
  }
  const workflow = Workflow.safeParse(document);
  if (!workflow.success) return [`${path}: not a workflow (no jobs)`];
  const problems: string[] = [];
  const top = workflow.data.permissions;
  if (top === "write-all") problems.push(`${path}: permissions: write-all`);
  for (const [name, job] of Object.entries(workflow.data.jobs)) {
    const own = JobPermissions.safeParse(job).data?.permissions;
    if (own === "write-all") problems.push(`${path}: job ${name} has permissions: write-all`);
    if (top === undefined && own === undefined)
      problems.push(`${path}: job ${name} declares no permissions (and the workflow none)`);
  }
  return problems;
}

const Permissions = z.union([z.string(), z.record(z.string(), z.unknown())]);
const Workflow = z.looseObject({ permissions: Permissions.optional(), jobs: z.record(z.string(), z.unknown()) });
const JobPermissions = z.looseObject({ permissions: Permissions.optional() });

/** trivy's licence name (`Licenses[].Name`) is the finding's rule id; the title adds "License ". */
function licenceName(finding: Finding): string {
  return finding.ruleId;
}

/**
 * `lodash (package-lock.json)`: the package under the licence and where it was found. trivy writes
 * `PkgName: ""` for a licence file and `FilePath: ""` for a package, so empty means absent.
 */
function licenceSubject(finding: Finding): string {
  const path = nonEmpty(finding.location?.path);
  const name = nonEmpty(finding.package?.name);
  if (name === undefined) return path ?? "an unnamed file";
  return path === undefined ? name : `${name} (${path})`;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === "" ? undefined : text;
}

function sameLicence(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function pass(details: string, evidence: string[]): Outcome {
  return { status: "pass", details, evidence };
}

function fail(details: string, evidence: string[], fix: string): Outcome {
  return { status: "fail", details, fix, evidence };
}

function error(details: string, evidence: string[], fix: string): Outcome {
  return { status: "error", details, fix, evidence };
}
