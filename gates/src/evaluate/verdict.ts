import type { EnvironmentPolicy, GateMode, GateName } from "../policy/schema.js";
import { checkLabel, checkLimitText, checkMeasuredText } from "../model/check-text.js";
import type { Bypass, GateStatus, GateVerdict } from "../model/report.js";

/** A reason the gate cannot be evaluated. */
export interface GateError {
  message: string;
  fix?: string | undefined;
}

/** Everything a verdict is decided from. */
export interface GateFacts {
  gate: GateName;
  mode: GateMode;
  enabled: boolean;
  errors: readonly GateError[];
  /**
   * Bounds that could not be judged (a k6 percentile absent from the summary) while others were:
   * `error` when every judged bound holds, a second reason when one fails (the gate is then `fail`).
   */
  gaps?: readonly GateError[] | undefined;
  /** Counted findings (0 for performance). */
  counted: number;
  /** Tool warnings of the reports feeding the gate. */
  warnings: number;
  evidence: GateVerdict["evidence"];
  /** What a clean verdict says (`no new findings`, `all 5 checks within limits`). */
  cleanReason: string;
  /** The fix of a `fail` when the gate knows better than its generic one (the failed controls' own fixes). */
  failFix?: string | undefined;
}

const FAIL_FIX: Readonly<Record<GateName, string>> = {
  framework_integrity:
    "fix the listed framework problems (broken references, cycles, frontmatter…) and run validate again",
  documentation: "fix the listed Markdown problems, or waive them in .portcullis/waivers.yml",
  secrets: "remove the secrets from the code and rotate them; waive a false positive in .portcullis/waivers.yml",
  vulnerabilities:
    "upgrade the listed packages to a fixed version, or waive a finding with reason, approver and expiry",
  sast: "fix the listed code findings, or waive a false positive with reason, approver and expiry",
  performance: "make the service meet the limits, or change gates.performance in the environment file with approval",
  compliance: "fix the listed compliance findings, or waive them with reason, approver and expiry",
};

/**
 * Decides a gate's status: `disabled` when switched off; `error` when anything kept it from being
 * judged; `fail` when a check is over its limit; `warn` when within limits but with counted
 * findings or tool warnings; `pass` otherwise. Blocking: mandatory, fail or error, not bypassed.
 */
export function decideVerdict(facts: GateFacts, environment: string, onlyGates?: readonly GateName[]): GateVerdict {
  const base = { gate: facts.gate, mode: facts.mode, enabled: facts.enabled, evidence: facts.evidence };
  if (onlyGates !== undefined && !onlyGates.includes(facts.gate)) {
    return {
      ...base,
      enabled: false,
      status: "disabled",
      blocking: false,
      reason: `not judged in this run (--gate ${onlyGates.join(",")})`,
    };
  }
  if (!facts.enabled) {
    return {
      ...base,
      status: "disabled",
      blocking: false,
      reason: `switched off for ${environment} (gates.${facts.gate}.enabled: false)`,
    };
  }
  const failed = facts.evidence.checks.filter((check) => !check.ok);
  const gaps = facts.gaps ?? [];
  if (facts.errors.length > 0 || (gaps.length > 0 && failed.length === 0)) {
    const errors = [...facts.errors, ...gaps];
    const fixes = errors.flatMap((error) => (error.fix === undefined ? [] : [error.fix]));
    return {
      ...base,
      status: "error",
      blocking: facts.mode === "mandatory",
      reason: `could not be evaluated: ${errors.map((error) => error.message).join("; ")}`,
      ...(fixes.length === 0 ? {} : { fix: joinFixes(fixes) }),
    };
  }
  if (failed.length > 0) {
    const over = failed
      .map((check) => `${checkLabel(check)} ${checkMeasuredText(check)} (limit ${checkLimitText(check)})`)
      .join("; ");
    const unjudged = gaps.length === 0 ? "" : `; also not judged: ${gaps.map((gap) => gap.message).join("; ")}`;
    const gapFixes = gaps.flatMap((gap) => (gap.fix === undefined ? [] : [gap.fix]));
    return {
      ...base,
      status: "fail",
      blocking: facts.mode === "mandatory",
      reason: `${over}${unjudged}`,
      fix: joinFixes([facts.failFix ?? FAIL_FIX[facts.gate], ...gapFixes]),
    };
  }
  const notes: string[] = [];
  if (facts.counted > 0) notes.push(`${plural(facts.counted, "finding")} within the limits`);
  if (facts.warnings > 0) notes.push(`${plural(facts.warnings, "tool warning")} (partial results)`);
  const status: GateStatus = notes.length > 0 ? "warn" : "pass";
  return { ...base, status, blocking: false, reason: notes.length > 0 ? notes.join("; ") : facts.cleanReason };
}

/**
 * Applies the bypasses. A mandatory gate can be bypassed only where the environment allows it: a
 * bypass asked for anyway is not applied and the verdict says so.
 */
export function applyBypasses(
  verdicts: readonly GateVerdict[],
  bypasses: readonly Bypass[],
  policy: EnvironmentPolicy,
): { verdicts: GateVerdict[]; applied: Bypass[] } {
  const applied: Bypass[] = [];
  const result = verdicts.map((verdict) => {
    const bypass = bypasses.find((candidate) => candidate.gate === verdict.gate);
    if (bypass === undefined) return verdict;
    if (verdict.mode === "mandatory" && !policy.bypass.allow_mandatory) {
      return {
        ...verdict,
        reason: `${verdict.reason} (bypass by ${bypass.approver} refused: ${policy.name} does not allow bypassing mandatory gates)`,
      };
    }
    applied.push(bypass);
    const bypassed = verdict.blocking ? ` — bypassed by ${bypass.approver}: ${bypass.reason}` : "";
    return { ...verdict, blocking: false, bypass, reason: `${verdict.reason}${bypassed}` };
  });
  return { verdicts: result, applied };
}

/**
 * Several fixes as one line, each said once. Fixes that end in the same alternative (`install
 * gitleaks, or run \`dagger call ci\`…` and `install trivy, or run …`) share it:
 * `install gitleaks and install trivy, or run …`.
 */
export function joinFixes(fixes: readonly string[]): string {
  const clauses = [...new Set(fixes.flatMap((fix) => fix.split("; ")).map((clause) => clause.trim()))].filter(
    (clause) => clause !== "",
  );
  const byAlternative = new Map<string, string[]>();
  for (const clause of clauses) {
    const at = clause.indexOf(ALTERNATIVE);
    // A clause without an alternative is its own key, with an empty head.
    const key = at < 0 ? clause : clause.slice(at);
    const heads = byAlternative.get(key) ?? [];
    heads.push(at < 0 ? "" : clause.slice(0, at));
    byAlternative.set(key, heads);
  }
  return [...byAlternative].map(([alternative, heads]) => `${heads.join(" and ")}${alternative}`).join("; ");
}

const ALTERNATIVE = ", or ";

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
