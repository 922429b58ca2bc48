import { z } from "zod";
import { UsageError } from "../errors.js";
import { isPlainRevision } from "../git-revision.js";
import { Finding, type ReportFormat, type ToolResult } from "../findings/finding.js";
import { ordinalFingerprints } from "../findings/fingerprint.js";
import { isMasked, REDACTED, redactBySchema, redactText, scrubList } from "../findings/redact.js";
import { isSarifOf, parseJsonOrSarif, parseJsonOrSarifDocument, type JsonOrSarifSpec } from "./sarif.js";
import { isCount, optionalCount, optionalString } from "../model/plain-checks.js";
import { isRecord, normalisePath, type ReportContext } from "./report-json.js";
import { withFingerprint } from "./sarif-result.js";
import type { ExitMeaning, ParseOptions, PinnedImage, RunnableAdapter, ToolAdapter } from "./types.js";

/** gitleaks exit codes for the argv built here. */
export const GITLEAKS_EXIT = {
  clean: 0,
  /** gitleaks' own code for any error (and its default for leaks, hence `--exit-code`). */
  error: 1,
  /**
   * Passed as `--exit-code`: not 1 (gitleaks' errors), not 2 (Go runtime panic), not 126/127
   * (shell: cannot execute / not found), below 128 (killed by a signal).
   */
  leaks: 42,
} as const;

/** The pinned gitleaks image (v8.30.1, released 2026-03). */
export const GITLEAKS_IMAGE: PinnedImage = { ref: "zricethezav/gitleaks:v8.30.1", version: "8.30.1" };

/** Options shared by `gitleaks dir` and `gitleaks git`. */
export interface GitleaksCommonOptions {
  /** Where gitleaks writes its JSON report. */
  reportPath: string;
  /** `.gitleaksignore` file, or a folder holding one. Defaults to the scanned folder, not gitleaks' cwd. */
  ignorePath?: string;
  /** A previous gitleaks JSON report: findings already in it are not reported again. */
  baselinePath?: string;
  /** A gitleaks.toml; without it gitleaks uses `.gitleaks.toml` in the source, then its defaults. */
  configPath?: string;
}

export interface GitleaksDirOptions extends GitleaksCommonOptions {
  /** Folder to scan (working tree, not history). */
  source: string;
}

export interface GitleaksGitOptions extends GitleaksCommonOptions {
  /** Repository to scan (its history). */
  repo: string;
  /** Only the commits of a pull request: `git log <base>..<head>`. */
  range?: { base: string; head: string };
}

export const gitleaks = {
  name: "gitleaks",
  /**
   * Which of the caller's environment variables gitleaks may see: a `GITLEAKS_CONFIG` left in a CI
   * job's environment would swap its rules for any others with no trace. The repository's own
   * `.gitleaks.toml` and `.gitleaksignore` still apply, as gitleaks documents.
   */
  inheritsEnvironment: (name: string): boolean => name !== "GITLEAKS_CONFIG" && name !== "GITLEAKS_CONFIG_TOML",
  image: GITLEAKS_IMAGE,
  formats: ["gitleaks-json", "gitleaks-sarif"],
  formatLabels: { "gitleaks-json": "a gitleaks JSON report", "gitleaks-sarif": "a gitleaks SARIF report" },
  kinds: {
    gitleaks: { label: "a gitleaks report (JSON or SARIF)", feeds: ["secrets"], requiredBy: ["secrets"] },
  },
  exitCodes: GITLEAKS_EXIT,
  versionArgv: ["version"],
  argv: {
    /** `gitleaks dir <source> …`: scan files as they are now. */
    dir(options: GitleaksDirOptions): string[] {
      return ["dir", options.source, ...commonFlags(options, options.source)];
    },
    /** `gitleaks git <repo> [--log-opts <base>..<head>] …`: scan history, optionally one range. */
    git(options: GitleaksGitOptions): string[] {
      const range = options.range === undefined ? [] : ["--log-opts", revisionRange(options.range)];
      return ["git", options.repo, ...range, ...commonFlags(options, options.repo)];
    },
  },
  detect(document: unknown): ReportFormat | undefined {
    if (isGitleaksJson(document)) return "gitleaks-json";
    return isSarifOf(document, "gitleaks") ? "gitleaks-sarif" : undefined;
  },
  /** Parses gitleaks JSON (an array, `[]` when clean) or gitleaks SARIF, by content. */
  parse(raw: string, options: ParseOptions = {}): ToolResult {
    return parseJsonOrSarif(raw, options, gitleaksSpec(options));
  },
  parseDocument(document: unknown, options: ParseOptions = {}): ToolResult {
    return parseJsonOrSarifDocument(document, options, gitleaksSpec(options));
  },
  findingsExitHasFindings: true,
  exitMeaning(exitCode: number): ExitMeaning {
    if (exitCode === GITLEAKS_EXIT.clean) return "clean";
    return exitCode === GITLEAKS_EXIT.leaks ? "findings" : "error";
  },
} as const satisfies ToolAdapter & RunnableAdapter;

// --- internal ---

/*
 * The fields of a gitleaks v8 finding that Portcullis reads. Plain `z.object` on purpose: gitleaks
 * adds fields across v8 releases (`Fingerprint`, `Link` in 8.23.2, `SymlinkFile`…) and reorders
 * keys, so unknown keys are accepted and dropped; the ones read here are type-checked.
 */
const Position = z.number().int().nonnegative();
const GitleaksLeak = z.object({
  RuleID: z.string().min(1),
  Description: z.string().optional(),
  File: z.string(),
  StartLine: Position,
  EndLine: Position.optional(),
  StartColumn: Position.optional(),
  EndColumn: Position.optional(),
  Match: z.string(),
  Secret: z.string(),
  Commit: z.string().optional(),
  Link: z.string().optional(),
});
type GitleaksLeak = z.infer<typeof GitleaksLeak>;
const GitleaksReport = z.array(GitleaksLeak);

/** The GitleaksReport schema as a fast check, for history scans of thousands of leaks (see plain-checks.ts). */
function isPlainGitleaksReport(document: unknown): document is GitleaksLeak[] {
  return Array.isArray(document) && document.every(isPlainLeak);
}

function isPlainLeak(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const id = value["RuleID"];
  return (
    typeof id === "string" &&
    id.length > 0 &&
    optionalString(value["Description"]) &&
    typeof value["File"] === "string" &&
    isCount(value["StartLine"]) &&
    optionalCount(value["EndLine"]) &&
    optionalCount(value["StartColumn"]) &&
    optionalCount(value["EndColumn"]) &&
    typeof value["Match"] === "string" &&
    typeof value["Secret"] === "string" &&
    optionalString(value["Commit"]) &&
    optionalString(value["Link"])
  );
}

function gitleaksContext(options: ParseOptions): ReportContext {
  return { tool: "gitleaks", expected: "gitleaks JSON or SARIF report", producer: "gitleaks v8", file: options.file };
}

/** A scanned file's bytes and where its newlines are, found once however many leaks it holds. */
export interface ScannedFile {
  bytes: Uint8Array;
  newlines: readonly number[];
}

export function scannedFile(bytes: Uint8Array): ScannedFile {
  const newlines: number[] = [];
  for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) newlines.push(at);
  return { bytes, newlines };
}

/**
 * The secret of a leak gitleaks masked (`--redact`, as every runner of Portcullis asks) in its JSON
 * report, read back from the file it was found in, as scanned. Other tools copy the same lines
 * (trivy's misconfiguration code lines, a rule message quoting the command), and only a known value
 * can be scrubbed from them; it is never shown. gitleaks still says where its match lies, and its
 * masked `Match` which part of the match is the secret.
 *
 * gitleaks counts a column from the newline that ends the line before, so a column on a later line
 * is one more than the byte's place in its line; but on the first line of what it scanned at once
 * (a file's start, each piece of a large file, the first added line of a hunk in the history) it
 * is the place itself, and the report does not say which line that was. So both readings that fit
 * the masked match are returned: scrubbing the secret a byte wider or narrower than it is as well
 * costs nothing, missing it leaks it. Empty when the bytes there no longer have that shape.
 */
export function maskedSecretsIn(file: ScannedFile, finding: Finding): string[] {
  const { location, snippet } = finding;
  const around = snippet?.split(REDACTED);
  if (
    finding.tool !== "gitleaks" ||
    location?.startLine === undefined ||
    location.startColumn === undefined ||
    location.endColumn === undefined ||
    around?.length !== 2
  )
    return [];
  const [before = "", after = ""] = around;
  const { startLine, startColumn, endColumn } = location;
  const endLine = location.endLine ?? startLine;
  const lineStart = (line: number): number =>
    line === 1 ? 0 : (file.newlines[line - 2] ?? Number.NEGATIVE_INFINITY) + 1;
  // The byte before a line's first is where gitleaks counts from on a later line; line 1 has none.
  const countedFrom = (line: number): number => (line === 1 ? 0 : lineStart(line) - 1);
  const readings = [
    { start: countedFrom(startLine) + startColumn - 1, end: countedFrom(endLine) + endColumn },
    {
      start: lineStart(startLine) + startColumn - 1,
      end: (endLine === startLine ? lineStart(endLine) : countedFrom(endLine)) + endColumn,
    },
  ];
  const secrets = readings.flatMap(({ start, end }) => {
    const { bytes } = file;
    if (!(start >= 0) || end > bytes.length || end - start <= before.length + after.length) return [];
    const match = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("utf8");
    if (!match.startsWith(before) || !match.endsWith(after)) return [];
    if (startLine === endLine && match.includes("\n")) return [];
    const secret = match.slice(before.length, match.length - after.length);
    return secret.trim() === "" ? [] : [secret];
  });
  return [...new Set(secrets)];
}

/** The files and lines `.gitleaksignore` accepts (`file:rule:line` or `commit:file:rule:line`), as `file\u0000line`. */
export function gitleaksIgnoredPlaces(text: string): Set<string> {
  const places = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const entry = raw.trim();
    if (entry === "" || entry.startsWith("#")) continue;
    const parts = entry.split(":");
    const line = parts.at(-1) ?? "";
    if (parts.length < 3 || !/^\d+$/.test(line)) continue;
    // A history entry starts with its commit; a file's name may itself hold colons.
    const withFile =
      /^[0-9a-f]{40}$/.test(parts[0] ?? "") && parts.length >= 4 ? parts.slice(1, -2) : parts.slice(0, -2);
    places.add(`${normalisePath(withFile.join(":"))}\u0000${line}`);
  }
  return places;
}

/**
 * What gitleaks' own suppressions say of another scanner's secret finding on the same lines:
 * `gitleaks:allow` on one of them, or a `.gitleaksignore` entry for the file and line. gitleaks
 * reports nothing there, so without this trivy's copy of a secret the user accepted would still
 * fail the gate. `lines` are the finding's lines, as the file holds them now.
 */
export function gitleaksSuppressionOf(
  finding: Finding,
  lines: readonly string[],
  ignored: ReadonlySet<string>,
): Finding["suppression"] {
  const location = finding.location;
  if (finding.kind !== "secret" || finding.tool === "gitleaks" || location?.startLine === undefined) return undefined;
  if (lines.some((line) => line.includes("gitleaks:allow")))
    return { kind: "inSource", reason: "gitleaks:allow on this line (the secret gitleaks was told to accept)" };
  const last = Math.max(location.startLine, location.endLine ?? 0);
  for (let line = location.startLine; line <= last; line += 1) {
    if (ignored.has(`${location.path}\u0000${line}`))
      return { kind: "external", reason: `.gitleaksignore accepts ${location.path}:${line}` };
  }
  return undefined;
}

/** How gitleaks JSON is read (exported for its tests: the fast check against the schema). */
export function gitleaksSpec(options: ParseOptions): JsonOrSarifSpec<z.infer<typeof GitleaksReport>> {
  return {
    tool: "gitleaks",
    context: gitleaksContext(options),
    isJson: isGitleaksJson,
    schema: GitleaksReport,
    accepts: isPlainGitleaksReport,
    expected: "gitleaks JSON report",
    build: fromLeaks,
  };
}

/** `[]` (a clean run) or an array in which some item carries gitleaks' `RuleID`. */
function isGitleaksJson(document: unknown): document is unknown[] {
  return (
    Array.isArray(document) && (document.length === 0 || document.some((item) => isRecord(item) && "RuleID" in item))
  );
}

function fromLeaks(leaks: readonly GitleaksLeak[]): ToolResult {
  const drafts = leaks.map(draftOf);
  // Identity without the line (moves) and without any secret material; the commit separates history hits.
  const fingerprints = ordinalFingerprints(
    drafts,
    ({ finding }) => ["gitleaks", finding.ruleId, finding.location?.path, finding.commit],
    ({ finding }) => (finding.location?.startLine ?? 0) * 1_000_000 + (finding.location?.startColumn ?? 0),
  );
  const secrets = drafts.flatMap((draft) => draft.secrets);
  const scrub = scrubList(secrets);
  return {
    tool: "gitleaks",
    format: "gitleaks-json",
    // A last line of defence: paths, messages and references should not hold the secret, but may.
    findings: drafts.map((draft, index) =>
      redactBySchema(Finding, withFingerprint(draft.finding, fingerprints[index]), scrub),
    ),
    toolErrors: [],
    secrets,
  };
}

function draftOf(leak: GitleaksLeak): { finding: Omit<Finding, "fingerprint">; secrets: string[] } {
  const path = normalisePath(leak.File);
  const commit = leak.Commit === undefined || leak.Commit === "" ? undefined : leak.Commit;
  const location =
    path === ""
      ? undefined
      : {
          path,
          startLine: leak.StartLine,
          ...(leak.EndLine === undefined ? {} : { endLine: leak.EndLine }),
          ...(leak.StartColumn === undefined ? {} : { startColumn: leak.StartColumn }),
          ...(leak.EndColumn === undefined ? {} : { endColumn: leak.EndColumn }),
        };
  const where = `${path === "" ? "the scanned input" : path}:${leak.StartLine}${commit === undefined ? "" : ` in commit ${commit.slice(0, 12)}`}`;
  const secret = leak.Secret.trim();
  const masked = secret === "" || isMasked(secret);
  return {
    finding: {
      tool: "gitleaks",
      kind: "secret",
      ruleId: leak.RuleID,
      // gitleaks has no severity: a leaked credential is treated as high everywhere.
      severity: "high",
      title: leak.Description === undefined || leak.Description === "" ? leak.RuleID : leak.Description,
      message: `gitleaks rule ${leak.RuleID} matched a secret at ${where}`,
      snippet: redactedMatch(leak.Match, leak.Secret, masked),
      references: leak.Link === undefined || leak.Link === "" ? [] : [leak.Link],
      ...(location === undefined ? {} : { location }),
      ...(commit === undefined ? {} : { commit }),
    },
    secrets: masked ? [] : [leak.Secret],
  };
}

/**
 * `Match` with the secret replaced. When the secret is not literally inside the match (gitleaks
 * decoded it from base64/hex/percent-encoding) the match still holds it in encoded form, so the
 * whole snippet becomes REDACTED. A report masked by `--redact` or a baseline keeps its own mask.
 */
function redactedMatch(match: string, secret: string, masked: boolean): string {
  if (secret === "" || !match.includes(secret)) return REDACTED;
  // redactText, not split and join: a secret that overlaps itself (`abab` in `ababab`) leaves no piece.
  return masked ? match : redactText(match, [secret]);
}

function commonFlags(options: GitleaksCommonOptions, source: string): string[] {
  return [
    "--report-format",
    "json",
    "--report-path",
    options.reportPath,
    "--redact",
    "--no-banner",
    "--exit-code",
    String(GITLEAKS_EXIT.leaks),
    // gitleaks looks for .gitleaksignore in its working directory unless told where the source is.
    "--gitleaks-ignore-path",
    options.ignorePath ?? source,
    ...(options.baselinePath === undefined ? [] : ["--baseline-path", options.baselinePath]),
    ...(options.configPath === undefined ? [] : ["--config", options.configPath]),
  ];
}

/**
 * `<base>..<head>` for `--log-opts`. gitleaks splits log-opts on spaces and hands them to
 * `git log`, so a ref with spaces or a leading dash would inject git options: refused.
 */
function revisionRange(range: { base: string; head: string }): string {
  for (const [name, ref] of [
    ["base", range.base],
    ["head", range.head],
  ] as const) {
    if (!isPlainRevision(ref)) {
      throw new UsageError("USAGE", `gitleaks range ${name} ${JSON.stringify(ref)} is not a plain git revision`, {
        tool: "gitleaks",
        fix: "pass commit SHAs or branch names (letters, digits, . _ / - ^ ~ @), e.g. the pull request's base and head SHAs",
      });
    }
  }
  return `${range.base}..${range.head}`;
}
