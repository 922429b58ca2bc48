import { z } from "zod";
import { LedgerRecord } from "../deploy/ledger.js";
import { ReportError } from "../errors.js";
import { parsePolicy, policyHash } from "../policy/parse-policy.js";
import type { ToolResult } from "../findings/finding.js";
import { redactText, scrubList } from "../findings/redact.js";
import { detectDocument, TOOLS } from "../tools/index.js";
import { ControlStatus, REPORT_SCHEMA_ID, Report } from "../model/report.js";
import { describeIssues, schemaIssues } from "../zod-issues.js";
import { sha256, type EvidenceFile } from "./evidence.js";

/**
 * What goes into an evidence bundle, decided from data (the CLI reads the files): the reports, the
 * policy files with their hashes, the ledger records of the report's commit, tool versions and
 * images, and the run's metadata. Every JSON file is written with a fixed key order so that the
 * same inputs always give the same bytes.
 */

export const EVIDENCE_LAYOUT = {
  reports: "reports/",
  environment: "policy/environments/",
  waivers: "policy/waivers.yml",
  controls: "policy/controls.yml",
  hashes: "policy/hashes.json",
  ledger: "ledger/excerpt.jsonl",
  tools: "tools.json",
  metadata: "metadata.json",
} as const;

/** policy/hashes.json: the SHA-256 of each policy file, and whether the environment file is the policy the report names. */
export const PolicyHashes = z
  .object({
    reportPolicyHash: z.string(),
    environmentPolicyHash: z.string(),
    matchesReport: z.boolean(),
    files: z.record(z.string(), z.string()),
  })
  .strict();
export type PolicyHashes = z.infer<typeof PolicyHashes>;

/** tools.json: every report read (tool, version, exit code) and the pinned images of the adapters. */
export const ToolsInventory = z
  .object({
    reports: z.array(
      z
        .object({
          kind: z.string(),
          label: z.string().nullable(),
          file: z.string(),
          tool: z.string(),
          format: z.string().nullable(),
          version: z.string().nullable(),
          exitCode: z.number().nullable(),
        })
        .strict(),
    ),
    images: z.array(z.object({ tool: z.string(), ref: z.string(), version: z.string() }).strict()),
  })
  .strict();
export type ToolsInventory = z.infer<typeof ToolsInventory>;

/** metadata.json: what was judged, where, when and with what outcome. */
export const EvidenceMetadata = z
  .object({
    environment: z.string(),
    commit: z.string().nullable(),
    generatedAt: z.string(),
    portcullisVersion: z.string(),
    passed: z.boolean(),
    policyHash: z.string(),
    controls: z.array(z.object({ id: z.string(), status: ControlStatus }).strict()),
    /**
     * Files of the reports dir rewritten for the bundle: a secret gitleaks found, which another
     * tool copied into its report, scrubbed to REDACTED (the bundle's copy differs from the file).
     */
    redacted: z.array(z.string()),
    /** The ledger at bundling time: where it was read, its verification, its record count and the excerpt's. */
    ledger: z
      .object({
        source: z.string(),
        ok: z.boolean(),
        problems: z.array(z.string()),
        records: z.number().int().nonnegative(),
        excerpt: z.number().int().nonnegative(),
      })
      .strict()
      .nullable(),
  })
  .strict();
export type EvidenceMetadata = z.infer<typeof EvidenceMetadata>;

export interface BundleInputs {
  report: Report;
  /** Every file of the reports dir, by its path inside that dir (`report.json`, `sbom.cdx.json`). */
  reportFiles: readonly EvidenceFile[];
  /** Those of them rewritten to scrub a secret (see scrubbedFiles). */
  redacted: readonly string[];
  /** The environment file the report was judged by: its file name and text. */
  environmentFile: { name: string; text: string };
  waiversText?: string | undefined;
  controlsText?: string | undefined;
  /** The deployment ledger (JSONL) and where it was read, when there is one. */
  ledger?: { source: string; text: string; ok: boolean; problems: readonly string[] } | undefined;
  /** Pinned images of the tool adapters. */
  images: readonly { tool: string; ref: string; version: string }[];
}

export interface BundleContents {
  files: EvidenceFile[];
  /** False when the bundled environment file is not the policy the report was judged by. */
  policyMatchesReport: boolean;
}

export function bundleContents(inputs: BundleInputs): BundleContents {
  const { report } = inputs;
  const policyFiles: EvidenceFile[] = [
    {
      path: `${EVIDENCE_LAYOUT.environment}${inputs.environmentFile.name}`,
      content: utf8(inputs.environmentFile.text),
    },
    ...(inputs.waiversText === undefined ? [] : [{ path: EVIDENCE_LAYOUT.waivers, content: utf8(inputs.waiversText) }]),
    ...(inputs.controlsText === undefined
      ? []
      : [{ path: EVIDENCE_LAYOUT.controls, content: utf8(inputs.controlsText) }]),
  ];
  const environmentHash = policyHash(parsePolicy(inputs.environmentFile.text, inputs.environmentFile.name));
  const policyMatchesReport = environmentHash === report.policyHash;
  const excerpt = inputs.ledger === undefined ? undefined : ledgerExcerpt(inputs.ledger.text, report.commit);
  const files: EvidenceFile[] = [
    ...inputs.reportFiles.map((file) => ({ path: `${EVIDENCE_LAYOUT.reports}${file.path}`, content: file.content })),
    ...policyFiles,
    json<PolicyHashes>(EVIDENCE_LAYOUT.hashes, {
      reportPolicyHash: report.policyHash,
      environmentPolicyHash: environmentHash,
      matchesReport: policyMatchesReport,
      files: Object.fromEntries(policyFiles.map((file) => [file.path, sha256(file.content)])),
    }),
    ...(excerpt === undefined ? [] : [{ path: EVIDENCE_LAYOUT.ledger, content: utf8(excerpt.lines) }]),
    json<ToolsInventory>(EVIDENCE_LAYOUT.tools, {
      reports: report.tools.map((run) => ({
        kind: run.kind,
        label: run.label ?? null,
        file: run.file,
        tool: run.tool,
        format: run.format ?? null,
        version: run.version ?? null,
        exitCode: run.exitCode ?? null,
      })),
      images: inputs.images.map((image) => ({ tool: image.tool, ref: image.ref, version: image.version })),
    }),
    json<EvidenceMetadata>(EVIDENCE_LAYOUT.metadata, {
      environment: report.environment,
      commit: report.commit ?? null,
      generatedAt: report.generatedAt,
      portcullisVersion: report.portcullisVersion,
      passed: report.passed,
      policyHash: report.policyHash,
      controls: (report.compliance?.controls ?? []).map((control) => ({ id: control.id, status: control.status })),
      redacted: inputs.redacted.map((file) => `${EVIDENCE_LAYOUT.reports}${file}`),
      ledger:
        inputs.ledger === undefined || excerpt === undefined
          ? null
          : {
              source: inputs.ledger.source,
              ok: inputs.ledger.ok,
              problems: [...inputs.ledger.problems],
              records: excerpt.total,
              excerpt: excerpt.selected,
            },
    }),
  ];
  return { files, policyMatchesReport };
}

/**
 * The ledger records of one commit's deploys, as the exact lines stored (their hashes stay
 * checkable): every record naming the commit, and every record of a deploy that did. No commit
 * selects nothing: which deploy the report belongs to cannot be told.
 */
export function ledgerExcerpt(
  text: string,
  commit: string | undefined,
): { lines: string; total: number; selected: number } {
  const records = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => {
      const record = LedgerRecord.safeParse(safeJson(line));
      return record.success ? [{ line, record: record.data }] : [];
    });
  const deploys = new Set(
    records.flatMap(({ record }) =>
      commit !== undefined && record.commit === commit && record.deploy_id !== null ? [record.deploy_id] : [],
    ),
  );
  const selected = records.filter(
    ({ record }) =>
      commit !== undefined &&
      (record.commit === commit || (record.deploy_id !== null && deploys.has(record.deploy_id))),
  );
  return { lines: selected.map(({ line }) => `${line}\n`).join(""), total: records.length, selected: selected.length };
}

/**
 * The tool reports among `files`, each read by the adapter that recognises it, as `evaluate` reads
 * it. A file none recognises (not JSON, truncated, another format), or one its adapter refuses (its
 * gates were `error` when judged), is left out.
 */
export function toolReports(files: readonly EvidenceFile[]): { path: string; result: ToolResult }[] {
  return files.flatMap((file) => {
    const document = safeJson(Buffer.from(file.content).toString("utf8"));
    const detected = detectDocument(document);
    if (detected === undefined) return [];
    try {
      return [{ path: file.path, result: TOOLS[detected.tool].parseDocument(document, { file: file.path }) }];
    } catch {
      return [];
    }
  });
}

/**
 * The tool reports that hold secret values in the clear (gitleaks run without `--redact`), and how
 * many each holds. A bundle is kept and handed to auditors, so these are refused, never packed.
 */
export function reportsWithSecrets(
  reports: readonly { path: string; result: ToolResult }[],
): { path: string; secrets: number }[] {
  return reports.flatMap(({ path, result }) =>
    result.secrets.length === 0 ? [] : [{ path, secrets: new Set(result.secrets).size }],
  );
}

/**
 * The files whose text holds one of the secrets, as it is or as JSON escapes it inside a string, or
 * a piece of one a tool left visible (see piecesShown).
 */
export function filesHolding(files: readonly EvidenceFile[], secrets: readonly string[]): EvidenceFile[] {
  const list = scrubList(secrets);
  return files.filter((file) => heldIn(Buffer.from(file.content).toString("utf8"), list) !== undefined);
}

/**
 * What of `list` the text holds, with the pieces of it a tool left visible, as the list to scrub it
 * of; undefined when it holds none. One read of the text for both questions.
 */
function heldIn(text: string, list: readonly string[]): readonly string[] | undefined {
  const pieces = piecesShown(text, list);
  const whole = list.some((secret) => text.includes(secret) || text.includes(JSON.stringify(secret).slice(1, -1)));
  return whole || pieces.length > 0 ? scrubList([...list, ...pieces]) : undefined;
}

/** The shortest piece of a secret scrubbed on its own: a tool's masking may leave this much visible. */
const VISIBLE_PIECE = 8;

/**
 * The pieces of the secrets that `text` may show: every beginning and end of a secret (8 characters
 * or more, with a letter and a digit, so `-----BEGIN` is no piece) whose first or last 8 characters
 * occur in it. Tools mask part of a secret and keep the rest: trivy masks a Slack bot token's first
 * 15 characters and shows the other 40, which a search for the whole token does not find.
 */
function piecesShown(text: string, secrets: readonly string[]): string[] {
  const secretLike = (piece: string): boolean => /\d/.test(piece) && /[A-Za-z]/.test(piece);
  const byEnd = new Map<string, string[]>();
  for (const secret of secrets) {
    if (secret.length <= VISIBLE_PIECE) continue;
    const ends = [secret.slice(0, VISIBLE_PIECE), secret.slice(-VISIBLE_PIECE)].filter(secretLike);
    for (const end of new Set(ends)) byEnd.set(end, [...(byEnd.get(end) ?? []), secret]);
  }
  const shown = new Set<string>();
  if (byEnd.size > 0) {
    for (let at = 0; at + VISIBLE_PIECE <= text.length; at += 1) {
      for (const secret of byEnd.get(text.slice(at, at + VISIBLE_PIECE)) ?? []) shown.add(secret);
    }
  }
  return [...shown].flatMap((secret) => {
    const pieces: string[] = [];
    for (let length = VISIBLE_PIECE; length < secret.length; length += 1) {
      pieces.push(secret.slice(0, length), secret.slice(-length));
    }
    return pieces.filter(secretLike);
  });
}

/**
 * `files` with every known secret scrubbed from their string values, and every piece of one a tool
 * left visible: what other tools copied of a secret's lines (trivy's misconfiguration code lines
 * quote a Dockerfile's token, its secret finding shows most of a Slack token) is `REDACTED` in
 * the bundle, the file written again as indented JSON; keys, numbers and the rest stay. `redacted`
 * names the files rewritten; a file that holds a secret but is not JSON cannot be scrubbed, and is
 * named in `unscrubbable`.
 */
export function scrubbedFiles(
  files: readonly EvidenceFile[],
  secrets: readonly string[],
): { files: EvidenceFile[]; redacted: string[]; unscrubbable: string[] } {
  const list = scrubList(secrets);
  const redacted: string[] = [];
  const unscrubbable: string[] = [];
  const scrubbed = files.map((file) => {
    const text = Buffer.from(file.content).toString("utf8");
    const held = heldIn(text, list);
    if (held === undefined) return file;
    const document = safeJson(text);
    if (document === undefined) {
      unscrubbable.push(file.path);
      return file;
    }
    redacted.push(file.path);
    return { path: file.path, content: utf8(`${JSON.stringify(scrubbedValues(document, held), null, 2)}\n`) };
  });
  return { files: scrubbed, redacted, unscrubbable };
}

/** report.json, strictly: the bundle's times and commit come from it. */
export function parseReportDocument(text: string, file: string): Report {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new ReportError("REPORT_MALFORMED", "not valid JSON (truncated?)", {
      file,
      fix: "pass the reports dir written by `portcullis evaluate --out`",
      cause,
    });
  }
  const parsed = Report.safeParse(document);
  if (!parsed.success) {
    throw new ReportError(
      "REPORT_INVALID",
      `not a ${REPORT_SCHEMA_ID} document: ${describeIssues(schemaIssues(parsed.error))}`,
      {
        file,
        fix: "pass the report.json written by `portcullis evaluate --out` with this version of Portcullis",
      },
    );
  }
  if (parsed.data.prediction !== undefined) {
    throw new ReportError("REPORT_INVALID", `a predicted report is not evidence (${parsed.data.prediction.basis})`, {
      file,
      fix: "bundle the report.json of a real scan of this commit (`portcullis ci`, or `portcullis evaluate` on fresh reports)",
    });
  }
  return parsed.data;
}

// --- internal ---

/** Typed by the file's schema, so what is written is what the schema documents. */
function json<T>(path: string, value: T): EvidenceFile {
  return { path, content: utf8(`${JSON.stringify(value, null, 2)}\n`) };
}

function utf8(text: string): Uint8Array {
  return Buffer.from(text, "utf8");
}

/** A JSON document with the secrets scrubbed from its strings; its keys are the format's, kept. */
function scrubbedValues(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((item: unknown) => scrubbedValues(item, secrets));
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubbedValues(item, secrets)]));
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
