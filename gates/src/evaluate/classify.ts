import type { Finding, Suppression } from "../findings/finding.js";
import type { GateName } from "../policy/schema.js";
import type { ReportedFinding } from "../model/report.js";
import { gateOfFinding } from "./routing.js";
import type { WaiverInput, WaiverProblemInput, WaiverView } from "./types.js";

export interface Classified<W extends WaiverView> {
  findings: ReportedFinding[];
  /** Findings waived, per waiver id. */
  waived: ReadonlyMap<string, number>;
  /** Findings a broken waiver would have matched, per problem id. */
  brokenMatches: ReadonlyMap<string, number>;
  /** Per gate, the broken waivers that would have matched its findings. */
  brokenByGate: ReadonlyMap<GateName, readonly WaiverProblemInput<W>[]>;
}

/**
 * Gives every finding its gate and status. Precedence: a tool's own suppression (`# nosemgrep`,
 * ignore files) > a waiver in force > the baseline > new. A finding that only a broken (expired or
 * malformed) waiver matches is new: it counts, and its gate is `error` naming the waiver.
 */
export function classifyFindings<W extends WaiverView>(
  findings: readonly Finding[],
  waivers: WaiverInput<W>,
  baseline: ReadonlySet<string> | undefined,
): Classified<W> {
  const waived = new Map<string, number>();
  const brokenMatches = new Map<string, number>();
  const brokenByGate = new Map<GateName, WaiverProblemInput<W>[]>();
  const reported = findings.map((finding): ReportedFinding => {
    const gate = gateOfFinding(finding);
    let brokenMatch = false;
    for (const problem of waivers.problems) {
      if (problem.waiver === undefined || waivers.find(finding, [problem.waiver]) === undefined) continue;
      brokenMatch = true;
      increment(brokenMatches, problemId(problem));
      const list = brokenByGate.get(gate) ?? [];
      if (!list.includes(problem)) list.push(problem);
      brokenByGate.set(gate, list);
    }
    if (finding.suppression !== undefined) return reportedAs(finding, gate, "suppressed");
    const waiver = waivers.find(finding, waivers.waivers);
    if (waiver !== undefined) {
      increment(waived, waiver.id);
      return reportedAs(finding, gate, "waived", {
        kind: "waiver",
        reason: waiver.reason,
        approver: waiver.approver,
        expires: waiver.expires,
      });
    }
    if (!brokenMatch && baseline?.has(finding.fingerprint) === true) {
      return reportedAs(finding, gate, "baseline", { kind: "baseline", reason: "present in the baseline report" });
    }
    return reportedAs(finding, gate, "new");
  });
  return { findings: reported, waived, brokenMatches, brokenByGate };
}

/** How a broken waiver is named in the report: its id when it could be read, else its place in the file. */
export function problemId(problem: WaiverProblemInput<WaiverView>): string {
  return problem.waiver?.id ?? problem.path?.split(".").slice(0, 2).join(".") ?? "waivers";
}

// --- internal ---

/**
 * A copy of the finding with its gate and status. Object.assign, not spread: on 100,000 findings
 * V8's spread-and-extend is several times slower.
 */
function reportedAs(
  finding: Finding,
  gate: GateName,
  status: ReportedFinding["status"],
  suppression?: Suppression,
): ReportedFinding {
  const reported: ReportedFinding = Object.assign({}, finding, { gate, status });
  if (suppression !== undefined) reported.suppression = suppression;
  return reported;
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
