import { quote, ReportError } from "../errors.js";
import type { Finding, ReportFormat, ToolResult } from "../findings/finding.js";
import { FINDINGS_SCHEMA_ID, FindingsDocument } from "../findings/format.js";
import { REDACTED } from "../findings/redact.js";
import { FINDING_GATES } from "../model/gates.js";
import { invalidReport, isRecord, parseReportJson, wrongTool, type ReportContext } from "./report-json.js";
import type { ExitMeaning, ParseOptions, PinnedImage, ToolAdapter } from "./types.js";

/** Exit codes of `portcullis validate` (and of any producer following the same convention). */
export const FINDINGS_EXIT = {
  clean: 0,
  /** It ran and reported findings that block. */
  findings: 1,
} as const;

/**
 * The adapter for Portcullis' own findings format (`portcullis.findings/v1`): what
 * `portcullis validate` writes, and how a tool without an adapter feeds the gates. Our own format,
 * so unlike the third-party ones it is checked strictly: unknown keys are errors.
 */
export const findingsFormat = {
  name: "findings",
  /** Written by Portcullis itself or by the tool that produced it: there is no container to start. */
  image: { ref: "", version: FINDINGS_SCHEMA_ID.split("/")[1] ?? "v1" } satisfies PinnedImage,
  formats: ["portcullis-findings"],
  formatLabels: { "portcullis-findings": "a Portcullis findings document" },
  kinds: {
    /** Any tool without an adapter: such a document could carry anything, so it answers for every finding gate. */
    findings: { label: "a Portcullis findings document", feeds: FINDING_GATES, requiredBy: [] },
    /** What `portcullis validate` writes (the host runner's and the Dagger module's validate stage). */
    validate: {
      label: "a Portcullis findings document",
      feeds: ["framework_integrity", "documentation"],
      requiredBy: ["framework_integrity", "documentation"],
      // validate/rule-ids.ts VALIDATE_TOOL (tools/ may not import validate/; a test keeps them equal).
      tool: "portcullis-validate",
    },
  },
  exitCodes: FINDINGS_EXIT,
  /** Any `portcullis.findings/…` document: a future version is then reported as unsupported, not as another tool. */
  detect(document: unknown): ReportFormat | undefined {
    const schema = isRecord(document) ? document["schema"] : undefined;
    return typeof schema === "string" && schema.startsWith("portcullis.findings/") ? "portcullis-findings" : undefined;
  },
  parse(raw: string, options: ParseOptions = {}): ToolResult {
    return findingsFormat.parseDocument(parseReportJson(raw, findingsContext(options)), options);
  },
  parseDocument(document: unknown, options: ParseOptions = {}): ToolResult {
    const context = findingsContext(options);
    if (findingsFormat.detect(document) === undefined) throw wrongTool(document, context);
    const schema = isRecord(document) ? document["schema"] : undefined;
    if (schema !== FINDINGS_SCHEMA_ID) {
      throw new ReportError(
        "REPORT_INVALID",
        `unsupported findings format ${quote(schema)}: this Portcullis reads ${FINDINGS_SCHEMA_ID}`,
        {
          file: options.file,
          tool: "findings",
          path: "schema",
          fix: `upgrade Portcullis, or have the producer write ${FINDINGS_SCHEMA_ID}`,
        },
      );
    }
    const parsed = FindingsDocument.safeParse(document);
    if (!parsed.success) throw invalidReport(parsed.error, context);
    const secrets: string[] = [];
    const findings = parsed.data.findings.map((finding) => redactSnippet(finding, secrets));
    return {
      tool: parsed.data.tool,
      format: "portcullis-findings",
      toolVersion: parsed.data.version,
      filesScanned: parsed.data.filesScanned,
      findings,
      toolErrors: parsed.data.toolErrors,
      secrets,
    };
  },
  findingsExitHasFindings: true,
  exitMeaning(exitCode: number): ExitMeaning {
    if (exitCode === FINDINGS_EXIT.clean) return "clean";
    return exitCode === FINDINGS_EXIT.findings ? "findings" : "error";
  },
} as const satisfies ToolAdapter & { exitCodes: Readonly<Record<string, number>> };

// --- internal ---

function findingsContext(options: ParseOptions): ReportContext {
  return {
    tool: "findings",
    expected: `Portcullis findings document (${FINDINGS_SCHEMA_ID})`,
    producer: "portcullis validate (or the tool that wrote it)",
    file: options.file,
  };
}

/**
 * A producer should redact secret snippets itself; one that did not (no REDACTED, no `***` mask)
 * gets its snippet replaced here, and the raw value joins the scrub list of every output.
 */
function redactSnippet(finding: Finding, secrets: string[]): Finding {
  const snippet = finding.snippet;
  if (finding.kind !== "secret" || snippet === undefined || snippet.includes(REDACTED) || /\*{3,}/.test(snippet)) {
    return finding;
  }
  if (snippet.trim() !== "") secrets.push(snippet.trim());
  return { ...finding, snippet: REDACTED };
}
