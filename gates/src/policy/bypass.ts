import { UsageError, quote } from "../errors.js";
import type { Bypass } from "../model/report.js";
import { GATE_NAMES, type EnvironmentPolicy, type GateName } from "./schema.js";
import { closestMatch } from "./suggest.js";

/** One gate the user asked to override, as given on the command line. */
export interface BypassRequest {
  gate: string;
  reason?: string | undefined;
  approver?: string | undefined;
}

/** The bypass flags of `evaluate`/`ci`, as commander collects them. */
export interface BypassFlags {
  /** Each `--bypass` value: a gate, or several separated by commas. */
  bypass?: readonly string[] | undefined;
  reason?: string | undefined;
  approver?: string | undefined;
}

/**
 * Reads the CLI form: `--bypass <gate>` (repeatable, or `--bypass sast,performance`) with ONE
 * `--reason` and ONE `--approver` that apply to every bypassed gate, so the report records one
 * decision by one person. A reason or approver without any `--bypass` is a usage error, so a
 * mistyped flag never leaves the user believing a gate was overridden.
 */
export function parseBypassFlags(flags: BypassFlags): BypassRequest[] {
  const gates = (flags.bypass ?? []).flatMap((value) => value.split(",").map((gate) => gate.trim()));
  if (gates.length === 0) {
    const stray = flags.reason !== undefined ? "--reason" : flags.approver !== undefined ? "--approver" : undefined;
    if (stray !== undefined) {
      throw new UsageError("BYPASS_REFUSED", `${stray} given without --bypass`, {
        fix: "name the gate to override with --bypass <gate>, or drop the flag",
      });
    }
    return [];
  }
  if (gates.includes("")) {
    throw new UsageError("BYPASS_REFUSED", "--bypass needs a gate name", {
      fix: `use one of: ${GATE_NAMES.join(", ")}`,
    });
  }
  return gates.map((gate) => ({ gate, reason: flags.reason, approver: flags.approver }));
}

/**
 * Checks bypass requests against the environment and stamps them with `now`. Refused (UsageError,
 * BYPASS_REFUSED): an unknown gate, a gate named twice, a missing or blank reason or approver, and
 * a mandatory gate unless the environment sets `bypass.allow_mandatory`.
 */
export function resolveBypasses(requests: readonly BypassRequest[], policy: EnvironmentPolicy, now: Date): Bypass[] {
  const seen = new Set<GateName>();
  return requests.map((request) => {
    const gate = gateName(request.gate);
    if (seen.has(gate)) {
      throw new UsageError("BYPASS_REFUSED", `--bypass ${gate} given twice`, { fix: "name each gate once" });
    }
    seen.add(gate);
    const reason = request.reason?.trim() ?? "";
    const approver = request.approver?.trim() ?? "";
    if (reason === "") {
      throw new UsageError("BYPASS_REFUSED", `--bypass ${gate} needs a reason`, {
        fix: 'add --reason "<why this gate is overridden>"; it is recorded in the report',
      });
    }
    if (approver === "") {
      throw new UsageError("BYPASS_REFUSED", `--bypass ${gate} needs an approver`, {
        fix: 'add --approver "<who approved the override>"; it is recorded in the report',
      });
    }
    if (policy.gates[gate].mode === "mandatory" && !policy.bypass.allow_mandatory) {
      throw new UsageError(
        "BYPASS_REFUSED",
        `${gate} is mandatory in ${policy.name}, and ${policy.name} does not allow bypassing mandatory gates`,
        {
          path: "bypass.allow_mandatory",
          fix: "fix the findings, or waive accepted ones in .portcullis/waivers.yml (reason, approver, expiry)",
        },
      );
    }
    return { gate, reason, approver, at: now.toISOString() };
  });
}

// --- internal ---

function gateName(text: string): GateName {
  const gate = GATE_NAMES.find((name) => name === text);
  if (gate !== undefined) return gate;
  const suggestion = closestMatch(text, GATE_NAMES);
  throw new UsageError(
    "BYPASS_REFUSED",
    `--bypass ${quote(text)}: unknown gate${suggestion === undefined ? "" : ` — did you mean "${suggestion}"?`}`,
    { fix: `use one of: ${GATE_NAMES.join(", ")}` },
  );
}
