import { describe, expect, it } from "vitest";
import { runStates } from "../../src/evaluate/runs.js";
import { REPORT_FORMATS } from "../../src/findings/finding.js";
import { REPORT_KINDS } from "../../src/model/report.js";
import { KIND_FORMATS, reportExitMeaning } from "../../src/tools/index.js";
import { VALIDATE_TOOL } from "../../src/validate/rule-ids.js";
import { KIND_OF_FORMAT } from "../tools/kind-of-format.js";
import { broken, result } from "./helpers.js";

describe("runStates", () => {
  const mismatches = REPORT_KINDS.flatMap((kind) =>
    REPORT_FORMATS.filter((format) => !KIND_FORMATS[kind].includes(format)).map((format) => [kind, format] as const),
  );
  it.each(mismatches)("a result given as %s that is %s names the kind to pass it as", (kind, format) => {
    const [state] = runStates(
      [{ run: { kind, file: "in.json" }, result: { ...result(kind), format } }],
      reportExitMeaning,
    );
    expect(state?.problem).toEqual({
      code: "REPORT_WRONG_TOOL",
      message: `given as a ${kind} report, but it is a ${format} report`,
      fix: `pass it as --report ${KIND_OF_FORMAT[format]}=<file>, or give the ${kind} report`,
    });
  });

  it("files an unreadable report under the tool its kind's adapter declares", () => {
    const states = runStates(
      REPORT_KINDS.map((kind) => broken(kind, "REPORT_EMPTY", "empty")),
      reportExitMeaning,
    );
    expect(Object.fromEntries(states.map((state) => [state.kind, state.toolRun.tool]))).toEqual({
      gitleaks: "gitleaks",
      trivy: "trivy",
      semgrep: "semgrep",
      k6: "k6",
      sarif: "sarif",
      validate: VALIDATE_TOOL,
      findings: "findings",
    });
  });
});
