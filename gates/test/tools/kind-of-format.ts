import type { ReportFormat } from "../../src/findings/finding.js";
import type { ReportKind } from "../../src/model/report.js";

/** The `--report` kind a user passes each format as, written out by hand: an oracle independent of the registry. */
export const KIND_OF_FORMAT: Readonly<Record<ReportFormat, ReportKind>> = {
  "gitleaks-json": "gitleaks",
  "gitleaks-sarif": "gitleaks",
  "trivy-json": "trivy",
  "trivy-sarif": "trivy",
  "semgrep-json": "semgrep",
  "semgrep-sarif": "semgrep",
  "k6-summary-export": "k6",
  "k6-handle-summary": "k6",
  sarif: "sarif",
  "portcullis-findings": "findings",
};
