import { SEVERITIES, SEVERITY_RANK } from "../findings/finding.js";
import { FINDING_STATUSES, type Report, type ReportedFinding } from "../model/report.js";
import { GATE_NAMES, type GateName } from "../policy/schema.js";
import { GITHUB_LIMITS } from "./limits.js";

/**
 * What every output but report.json reads of the findings, gathered in one pass over them: per gate
 * its counts and its worst findings, per tool its worst findings, and the findings the verdicts
 * name. report.html, report.sarif, summary.md, junit.xml, the annotations and the terminal show a
 * few hundred of what can be 100,000 findings; each used to walk the whole list again for them.
 * report.json alone reads every finding.
 */
export interface FindingDigest {
  /** The gates that have findings, in GATE_NAMES order. */
  gates: GateDigest[];
  /** Per tool, in the order of each tool's first finding. */
  tools: Map<string, WorstFindings>;
  /** The findings the verdicts list as their worst, by fingerprint (the first with each). */
  named: Map<string, ReportedFinding>;
}

/** One gate's findings, counted and cut to the worst. */
export interface GateDigest {
  gate: GateName;
  /** Whether the gate is judged: the findings of a disabled gate are listed but never counted. */
  enabled: boolean;
  /** By SEVERITY_RANK, which is the position in SEVERITIES. */
  severities: number[];
  /** By position in FINDING_STATUSES. */
  statuses: number[];
  rules: Tally;
  packages: Tally;
  worst: WorstFindings;
  /** New findings with a location, per severity rank (at most DIGEST_CAP each), and how many in all. */
  located: ReportedFinding[][];
  locatedCounts: number[];
}

/**
 * Most findings kept per list: enough for every output's cap (report.sarif's 5,000 results per
 * run is the largest).
 */
export const DIGEST_CAP = GITHUB_LIMITS.sarifResultsStoredPerRun;

/**
 * The digest of a report's findings, gathered once per findings list: the outputs of one run share
 * it (the report is copied on the way, as withSarifNotices does, but its findings are not).
 */
export function digestOf(report: Pick<Report, "findings" | "verdicts">): FindingDigest {
  const known = DIGESTS.get(report.findings);
  if (known !== undefined && known.verdicts === report.verdicts && known.count === report.findings.length)
    return known.digest;
  const digest = digestFindings(report);
  DIGESTS.set(report.findings, { verdicts: report.verdicts, count: report.findings.length, digest });
  return digest;
}

/**
 * A list's worst findings in the order every output shows them: new before baseline, waived and
 * suppressed, then by severity; within a group, the order they were added in (report.findings',
 * which sortFindings made). At most DIGEST_CAP per group, so that of 100,000 findings only the few
 * any output can show are kept, and `take(limit)` for any limit up to DIGEST_CAP is exact.
 */
export class WorstFindings {
  /** Findings added, kept or not. */
  total = 0;
  private readonly buckets: ReportedFinding[][] = Array.from({ length: STATUS_RANKS * SEVERITIES.length }, () => []);

  add(finding: ReportedFinding): void {
    this.total += 1;
    const bucket = this.buckets[STATUS_RANK[finding.status] * SEVERITIES.length + SEVERITY_RANK[finding.severity]];
    if (bucket !== undefined && bucket.length < DIGEST_CAP) bucket.push(finding);
  }

  /** The `limit` worst (limit ≤ DIGEST_CAP). */
  take(limit: number): ReportedFinding[] {
    const worst: ReportedFinding[] = [];
    for (const bucket of this.buckets) {
      for (const finding of bucket) {
        if (worst.length === limit) return worst;
        worst.push(finding);
      }
    }
    return worst;
  }

  /** The new findings of one severity rank, worst first (at most DIGEST_CAP). */
  newOf(rank: number): readonly ReportedFinding[] {
    return this.buckets[rank] ?? [];
  }
}

/**
 * Findings per name (a rule or a package) and the worst severity among them. Numbers in arrays, not
 * an object per name: a gate of 100,000 findings can name as many rules (one per CVE).
 */
export class Tally {
  readonly indexByName = new Map<string, number>();
  readonly counts: number[] = [];
  /** SEVERITY_RANK of the worst severity. */
  readonly worst: number[] = [];

  add(name: string, rank: number): void {
    const at = this.indexByName.get(name);
    if (at === undefined) {
      this.indexByName.set(name, this.counts.length);
      this.counts.push(1);
      this.worst.push(rank);
      return;
    }
    this.counts[at] = (this.counts[at] ?? 0) + 1;
    if (rank < (this.worst[at] ?? rank)) this.worst[at] = rank;
  }
}

/**
 * The counted (new) findings of every gate that is judged, worst first, at most `limit` (≤
 * DIGEST_CAP): by severity, then by gate, then in report order.
 */
export function worstCounted(digest: FindingDigest, limit: number): ReportedFinding[] {
  const worst: ReportedFinding[] = [];
  for (let rank = 0; rank < SEVERITIES.length; rank += 1) {
    for (const gate of digest.gates) {
      if (!gate.enabled) continue;
      for (const finding of gate.worst.newOf(rank)) {
        if (worst.length === limit) return worst;
        worst.push(finding);
      }
    }
  }
  return worst;
}

/** New findings in every gate, judged or not. */
export function countNew(digest: FindingDigest): number {
  return digest.gates.reduce((sum, gate) => sum + (gate.statuses[STATUS_INDEX.new] ?? 0), 0);
}

// --- internal ---

const DIGESTS = new WeakMap<
  readonly ReportedFinding[],
  { verdicts: Report["verdicts"]; count: number; digest: FindingDigest }
>();

/** Order of finding statuses in every output: what counts first. */
const STATUS_RANK: Readonly<Record<ReportedFinding["status"], number>> = {
  new: 0,
  baseline: 1,
  waived: 2,
  suppressed: 3,
};
const STATUS_RANKS = Object.keys(STATUS_RANK).length;

/** Each status's position in FINDING_STATUSES. */
const STATUS_INDEX = Object.fromEntries(FINDING_STATUSES.map((status, index) => [status, index])) as Readonly<
  Record<ReportedFinding["status"], number>
>;

function digestFindings(report: Pick<Report, "findings" | "verdicts">): FindingDigest {
  const disabled = new Set(
    report.verdicts.filter((verdict) => verdict.status === "disabled").map((verdict) => verdict.gate),
  );
  const wanted = new Set(report.verdicts.flatMap((verdict) => verdict.evidence.worst));
  const byGate = new Map<GateName, GateDigest>();
  const tools = new Map<string, WorstFindings>();
  const named = new Map<string, ReportedFinding>();
  for (const finding of report.findings) {
    let gate = byGate.get(finding.gate);
    if (gate === undefined) {
      gate = emptyGate(finding.gate, !disabled.has(finding.gate));
      byGate.set(finding.gate, gate);
    }
    const rank = SEVERITY_RANK[finding.severity];
    gate.severities[rank] = (gate.severities[rank] ?? 0) + 1;
    const status = STATUS_INDEX[finding.status];
    gate.statuses[status] = (gate.statuses[status] ?? 0) + 1;
    gate.rules.add(finding.ruleId, rank);
    if (finding.package !== undefined) gate.packages.add(finding.package.name, rank);
    gate.worst.add(finding);
    if (finding.status === "new" && finding.location !== undefined) {
      gate.locatedCounts[rank] = (gate.locatedCounts[rank] ?? 0) + 1;
      const located = gate.located[rank];
      if (located !== undefined && located.length < DIGEST_CAP) located.push(finding);
    }
    let tool = tools.get(finding.tool);
    if (tool === undefined) {
      tool = new WorstFindings();
      tools.set(finding.tool, tool);
    }
    tool.add(finding);
    if (wanted.has(finding.fingerprint) && !named.has(finding.fingerprint)) named.set(finding.fingerprint, finding);
  }
  return { gates: GATE_NAMES.flatMap((gate) => byGate.get(gate) ?? []), tools, named };
}

function emptyGate(gate: GateName, enabled: boolean): GateDigest {
  return {
    gate,
    enabled,
    severities: SEVERITIES.map(() => 0),
    statuses: FINDING_STATUSES.map(() => 0),
    rules: new Tally(),
    packages: new Tally(),
    worst: new WorstFindings(),
    located: SEVERITIES.map(() => []),
    locatedCounts: SEVERITIES.map(() => 0),
  };
}
