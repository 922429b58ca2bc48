import { describe, expect, it } from "vitest";
import { parseReportDocument } from "../../src/compliance/bundle-contents.js";
import { checkGateReport } from "../../src/deploy/gate-report.js";
import { isPortcullisError } from "../../src/errors.js";
import type { Report } from "../../src/model/report.js";
import { passingReport } from "../deploy/helpers/gate-report.js";

/** A passing report.json of the commit being deployed; `prediction` is what `portcullis fix` adds without a scanner. */
const base = passingReport();
const predicted: Report = {
  ...base,
  prediction: {
    basis: "the trivy report trivy.json judged against the new package-lock.json (2 findings resolved)",
    limits: "no scanner ran after the change, so advisories against the new versions are not seen.",
  },
};
const expected = { environment: "production", commit: base.commit ?? "" };

describe("a predicted report is never evidence", () => {
  it("deploy accepts the scanned report and refuses the predicted one", () => {
    expect(checkGateReport(JSON.stringify(base), "report.json", expected)).toMatchObject({ ok: true });
    const check = checkGateReport(JSON.stringify(predicted), "report.json", expected);
    expect(check).toMatchObject({ ok: false });
    expect(check.ok ? "" : check.reason).toMatch(/is a prediction, not a scan \(the trivy report trivy\.json/);
  });

  it("the evidence bundle accepts the scanned report and refuses the predicted one", () => {
    expect(parseReportDocument(JSON.stringify(base), "reports/report.json").passed).toBe(true);
    const error = (() => {
      try {
        return parseReportDocument(JSON.stringify(predicted), "reports/report.json");
      } catch (caught) {
        return caught;
      }
    })();
    expect(isPortcullisError(error) ? error.describe() : String(error)).toMatch(
      /^\[REPORT_INVALID\] reports\/report\.json: a predicted report is not evidence/,
    );
  });
});
