import type { CollectedCompliance } from "../compliance/checks.js";
import type { PortcullisError } from "../errors.js";
import type { Finding, ToolResult } from "../findings/finding.js";
import type { EnvironmentPolicy } from "../policy/schema.js";
import type { Bypass, Report, ReportKind } from "../model/report.js";
import type { GateName } from "../model/gates.js";
import type { ExitMeaning } from "../tools/types.js";

/** What the caller knows about one report it was given, whether or not it could be read. */
export interface RunMeta {
  kind: ReportKind;
  /** `image` in `trivy.image.json`: tells apart several reports of one kind. */
  label?: string | undefined;
  /** The report file as the user named it. */
  file: string;
  /** The tool's exit code, when whoever ran it recorded one. */
  exitCode?: number | undefined;
  durationMs?: number | undefined;
  /**
   * Findings the runner left out because they are in its own reports folder (see
   * withoutOwnOutput): the tool did find them, so its exit code still says so.
   */
  ownOutputFindings?: number | undefined;
}

/** One report: its parsed result, or the error that kept it from being used. */
export type RunInput = { run: RunMeta; result: ToolResult } | { run: RunMeta; error: PortcullisError };

/** The parts of a waiver that a report shows. */
export interface WaiverView {
  id: string;
  reason: string;
  approver: string;
  expires: string;
}

/**
 * An expired or malformed waiver (the ConfigErrors of `parseWaivers` fit). `waiver` is its matchable
 * form when one could be read: then only the gates of the findings it would match are `error`;
 * without it, every finding gate is, because nobody can tell what it was meant to cover.
 */
export interface WaiverProblemInput<W> {
  code: string;
  message: string;
  fix?: string | undefined;
  /** Dot-path in the waivers file (`waivers.2.expires`). */
  path?: string | undefined;
  waiver?: W | undefined;
}

/** Waivers in force, waivers with problems, and how a finding is matched against a list of them. */
export interface WaiverInput<W extends WaiverView> {
  waivers: readonly W[];
  problems: readonly WaiverProblemInput<W>[];
  find: (finding: Finding, waivers: readonly W[]) => W | undefined;
}

/** The raw output of a tool's version command as a runner recorded it (`versions/<tool>.txt`). */
export interface ToolVersionInput {
  /** The file as the user would name it (`reports/versions/trivy.txt`). */
  file: string;
  raw: string;
}

export interface EvaluateInput<W extends WaiverView = WaiverView> {
  policy: EnvironmentPolicy;
  policyHash: string;
  /** Which policy this is, in words (the repository's file or a built-in one). */
  policySource?: string | undefined;
  /** The environment's name as the user chose it (`--env staging`). */
  environment: string;
  /**
   * `--gate`: only these gates are judged, the policy's others are not (their verdicts say so, and
   * the report records it: no deploy takes it as the environment's gate).
   */
  onlyGates?: readonly GateName[] | undefined;
  runs: readonly RunInput[];
  waivers: WaiverInput<W>;
  /** Fingerprints of a previous report: findings found in it do not count. */
  baseline?: ReadonlySet<string> | undefined;
  /** Bypasses already checked against the policy (reason and approver present). */
  bypasses: readonly Bypass[];
  commit?: string | undefined;
  now: Date;
  timings: Readonly<Record<string, number>>;
  /** What a tool's exit code means (from its adapter). */
  exitMeaning: (kind: ReportKind, exitCode: number) => ExitMeaning;
  /**
   * The compliance controls and the evidence they need from outside the reports (compliance/collect.ts
   * gathers it). Without it an enabled compliance gate is `error`: controls nobody ran never pass.
   */
  compliance?: CollectedCompliance | undefined;
  /**
   * The tools' recorded version output, by tool. trivy's names the vulnerability DB the scan used,
   * judged against `gates.vulnerabilities.max_db_age`.
   */
  toolVersions?: { trivy?: ToolVersionInput | undefined } | undefined;
  /** Set when no scanner produced the findings (`portcullis fix`): the report says so, scrubbed like the rest. */
  prediction?: Report["prediction"];
}

export interface EvaluateOutput {
  /** The report, already scrubbed of every secret value the parsers saw: every output renders only it. */
  report: Report;
}
