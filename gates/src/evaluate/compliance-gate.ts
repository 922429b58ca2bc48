import { runControls, type CollectedCompliance } from "../compliance/checks.js";
import { controlsFor } from "../compliance/controls.js";
import {
  type Bypass,
  type ControlResult,
  type GateVerdict,
  type Report,
  type ReportedFinding,
} from "../model/report.js";
import type { GateCheck } from "../model/checks.js";
import { plural, type GateError, type GateFacts } from "./verdict.js";

/** What the other gates decided, for the controls that judge the pipeline itself. */
export interface ComplianceJudgement {
  environment: string;
  now: Date;
  /** The collected evidence; undefined when nobody gathered it. */
  collected: CollectedCompliance | undefined;
  /** Verdicts of every other gate, bypasses applied. */
  verdicts: readonly GateVerdict[];
  bypasses: readonly Bypass[];
  waivers: Pick<Report, "waivers" | "waiverProblems">;
  /** The compliance gate's findings (licences), worst first. */
  findings: readonly ReportedFinding[];
}

export const NOT_EVALUATED: GateError = {
  message: "compliance controls were not evaluated",
  fix:
    "run `portcullis evaluate` or `portcullis ci`, which collect the controls' evidence from the repository " +
    "(--source <dir>, --base <ref>); to judge without controls, set gates.compliance.enabled: false",
};

/**
 * The compliance gate: its licence-finding limits plus every control of the environment. A control
 * in `error` makes the gate `error`; one in `fail` is a failed check (`control <id>`). Without
 * collected evidence the gate is `error`: controls nobody ran never pass. A disabled gate runs none.
 */
export function judgeCompliance(
  facts: GateFacts,
  judgement: ComplianceJudgement,
): { facts: GateFacts; controls: ControlResult[] | undefined } {
  const { collected } = judgement;
  if (!facts.enabled) return { facts, controls: undefined };
  if (collected === undefined)
    return { facts: { ...facts, errors: [...facts.errors, NOT_EVALUATED] }, controls: undefined };
  const controls = runControls(controlsFor(collected.controls, judgement.environment), collected.controls, {
    environment: judgement.environment,
    today: judgement.now.toISOString().slice(0, 10),
    verdicts: judgement.verdicts,
    bypasses: judgement.bypasses,
    waivers: judgement.waivers.waivers,
    waiverProblems: judgement.waivers.waiverProblems,
    // A waived or tool-suppressed licence was accepted on the record; a baseline one still is what it is.
    licenceFindings: judgement.findings.filter(
      (finding) => finding.kind === "license" && finding.status !== "waived" && finding.status !== "suppressed",
    ),
    // The gate's errors so far are those of the reports that feed it: trivy's, whose licence scan
    // this control judges (the adapters' kinds say so). Any of them means the licences went unread.
    licenceScanMissing: facts.errors.length === 0 ? undefined : facts.errors.map((entry) => entry.message).join("; "),
    sbom: collected.sbom,
    repository: collected.repository,
    workflows: collected.workflows,
    ledger: collected.ledger,
  });
  const errors: GateError[] = controls
    .filter((control) => control.status === "error")
    .map((control) => ({ message: `control ${control.id}: ${control.details}`, fix: control.fix }));
  const failed = controls.filter((control) => control.status === "fail");
  const limitsFailed = facts.evidence.checks.some((check) => !check.ok);
  const fixes = [
    ...(limitsFailed ? [LICENCE_FIX] : []),
    ...failed.flatMap((control) => (control.fix === undefined ? [] : [`${control.id}: ${control.fix}`])),
  ];
  return {
    facts: {
      ...facts,
      errors: [...facts.errors, ...errors],
      evidence: { ...facts.evidence, checks: [...facts.evidence.checks, ...controls.map(controlCheck)] },
      cleanReason: `${facts.cleanReason}; ${passedText(controls.length, judgement.environment)}`,
      ...(fixes.length === 0 ? {} : { failFix: fixes.join("; ") }),
    },
    controls,
  };
}

// --- internal ---

const LICENCE_FIX =
  "replace the dependencies under the counted licences, or waive them with reason, approver and expiry";

function controlCheck(control: ControlResult): GateCheck {
  return { kind: "control", control: control.id, status: control.status, ok: control.status === "pass" };
}

function passedText(count: number, environment: string): string {
  if (count === 0) return `no control applies to ${environment}`;
  return count === 1 ? "its 1 control passes" : `all ${plural(count, "control")} pass`;
}
