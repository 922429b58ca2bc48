import type { GateName } from "../model/gates.js";
import { FINDING_GATES } from "../model/gates.js";
import type { ReportKind } from "../model/report.js";

/** What Portcullis knows about one `--report <kind>` kind; every routing table is derived from these. */
export interface ReportKindSpec {
  /** The adapter (TOOLS key) that reads reports of this kind; its `formats` are the formats accepted. */
  adapter: "gitleaks" | "trivy" | "semgrep" | "k6" | "sarif" | "findings";
  /** What a report of this kind is, for messages (`a gitleaks report (JSON or SARIF)`). */
  label: string;
  /**
   * The gates a report of this kind may feed. A report that cannot be used makes each of them
   * `error`; its findings also reach the gate their kind names.
   */
  feeds: readonly GateName[];
  /** The gates that cannot be judged without a report of this kind (no report is never "no findings"). */
  requiredBy: readonly GateName[];
}

/**
 * Every report kind, declared once. Other SARIF feeds `sast`; a `findings` document could carry
 * anything, so an unusable one answers for every finding gate.
 */
export const REPORT_KIND_SPECS: Readonly<Record<ReportKind, ReportKindSpec>> = {
  validate: {
    adapter: "findings",
    label: "a Portcullis findings document",
    feeds: ["framework_integrity", "documentation"],
    requiredBy: ["framework_integrity", "documentation"],
  },
  gitleaks: {
    adapter: "gitleaks",
    label: "a gitleaks report (JSON or SARIF)",
    feeds: ["secrets"],
    requiredBy: ["secrets"],
  },
  trivy: {
    adapter: "trivy",
    label: "a trivy report (JSON or SARIF)",
    feeds: ["secrets", "vulnerabilities", "sast", "compliance"],
    requiredBy: ["vulnerabilities", "compliance"],
  },
  semgrep: {
    adapter: "semgrep",
    label: "a semgrep report (JSON or SARIF)",
    feeds: ["sast"],
    requiredBy: ["sast"],
  },
  k6: {
    adapter: "k6",
    label: "a k6 summary (--summary-export or handleSummary)",
    feeds: ["performance"],
    requiredBy: ["performance"],
  },
  sarif: { adapter: "sarif", label: "a SARIF 2.1.0 log", feeds: ["sast"], requiredBy: [] },
  findings: { adapter: "findings", label: "a Portcullis findings document", feeds: FINDING_GATES, requiredBy: [] },
};
