import { checkLabel, checkLimitText, checkMeasuredText } from "../model/check-text.js";
import type { ControlResult, GateVerdict, Report, ReportedFinding } from "../model/report.js";
import { digestOf } from "./digest.js";
import { locationText, measuredText, thresholdText } from "./summary.js";

/**
 * junit.xml: one test suite per environment, one test case per gate, then one per compliance
 * control (class `<suite>.compliance`). `fail` is a <failure>, `error` an <error>, `disabled` is
 * <skipped>; pass and warn pass, with the reason in <system-out>. The failure's `type` says whether
 * the gate (for a control: the compliance gate) is mandatory or advisory.
 */
export function renderJunit(report: Report): string {
  const suite = `portcullis.${report.environment}`;
  const byFingerprint = digestOf(report).named;
  const controls = report.compliance?.controls ?? [];
  const count = (status: GateVerdict["status"]) =>
    report.verdicts.filter((verdict) => verdict.status === status).length +
    controls.filter((control) => control.status === status).length;
  const totals = `tests="${report.verdicts.length + controls.length}" failures="${count("fail")}" errors="${count("error")}" skipped="${count("disabled")}"`;
  const properties = [
    ["environment", report.environment],
    ["passed", String(report.passed)],
    ["policyHash", report.policyHash],
    ["portcullisVersion", report.portcullisVersion],
    ...(report.commit === undefined ? [] : [["commit", report.commit]]),
  ].map(([name, value]) => `      <property name="${xml(name ?? "")}" value="${xml(value ?? "")}"/>`);
  const compliance = report.verdicts.find((verdict) => verdict.gate === "compliance");
  const cases = [
    ...report.verdicts.map((verdict) => testCase(suite, verdict, byFingerprint)),
    ...controls.map((control) => controlCase(suite, control, compliance)),
  ];
  const xmlText = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="portcullis" ${totals}>`,
    `  <testsuite name="${xml(suite)}" ${totals} timestamp="${xml(report.generatedAt)}">`,
    "    <properties>",
    ...properties,
    "    </properties>",
    ...cases,
    "  </testsuite>",
    "</testsuites>",
  ].join("\n");
  return `${xmlText}\n`;
}

/** Escapes text for XML content and attributes, dropping characters XML 1.0 cannot carry. */
export function xml(text: string): string {
  return text
    .replace(INVALID_XML, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

// --- internal ---

// C0 controls other than tab, LF and CR; U+FFFE/U+FFFF; lone surrogates.
const INVALID_XML =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function testCase(suite: string, verdict: GateVerdict, byFingerprint: ReadonlyMap<string, ReportedFinding>): string {
  const open = `    <testcase classname="${xml(suite)}" name="${xml(verdict.gate)}" time="0">`;
  const details = xml(detailLines(verdict, byFingerprint).join("\n"));
  const message = xml(verdict.reason);
  const type = `${verdict.mode}${verdict.blocking ? ", blocking" : ""}`;
  let body: string;
  switch (verdict.status) {
    case "fail":
      body = `      <failure message="${message}" type="${type}">${details}</failure>`;
      break;
    case "error":
      body = `      <error message="${message}" type="${type}">${details}</error>`;
      break;
    case "disabled":
      body = `      <skipped message="${message}"/>`;
      break;
    case "pass":
    case "warn":
      body = `      <system-out>${details}</system-out>`;
      break;
  }
  return [open, body, "    </testcase>"].join("\n");
}

function controlCase(suite: string, control: ControlResult, gate: GateVerdict | undefined): string {
  const open = `    <testcase classname="${xml(`${suite}.compliance`)}" name="${xml(`control ${control.id}`)}" time="0">`;
  const details = xml(
    [
      `${control.status}: ${control.title}`,
      `Frameworks: ${control.frameworks.join(", ")}`,
      control.details,
      ...(control.fix === undefined ? [] : [`Fix: ${control.fix}`]),
      ...(control.evidence.length === 0 ? [] : [`Evidence: ${control.evidence.join(", ")}`]),
    ].join("\n"),
  );
  const message = xml(control.details);
  const type = `control, ${gate?.mode ?? "mandatory"}${gate?.blocking === true ? ", blocking" : ""}`;
  let body: string;
  switch (control.status) {
    case "fail":
      body = `      <failure message="${message}" type="${type}">${details}</failure>`;
      break;
    case "error":
      body = `      <error message="${message}" type="${type}">${details}</error>`;
      break;
    case "pass":
      body = `      <system-out>${details}</system-out>`;
      break;
  }
  return [open, body, "    </testcase>"].join("\n");
}

function detailLines(verdict: GateVerdict, byFingerprint: ReadonlyMap<string, ReportedFinding>): string[] {
  const lines = [
    `${verdict.status} (${verdict.mode}${verdict.blocking ? ", blocking" : ""}): ${verdict.reason}`,
    ...(verdict.fix === undefined ? [] : [`Fix: ${verdict.fix}`]),
    ...(verdict.bypass === undefined
      ? []
      : [`Bypassed by ${verdict.bypass.approver} at ${verdict.bypass.at}: ${verdict.bypass.reason}`]),
    `Threshold: ${thresholdText(verdict)}`,
    `Measured: ${measuredText(verdict)}`,
  ];
  const failed = verdict.evidence.checks.filter((check) => !check.ok);
  if (failed.length > 0)
    lines.push(
      "Over the limit:",
      ...failed.map((check) => `  ${checkLabel(check)}: ${checkMeasuredText(check)} (limit ${checkLimitText(check)})`),
    );
  const worst = verdict.evidence.worst.flatMap((fingerprint) => {
    const finding = byFingerprint.get(fingerprint);
    return finding === undefined
      ? []
      : [
          `  ${finding.severity} ${finding.ruleId} ${locationText(finding)}: ${finding.message !== "" ? finding.message : finding.title}`,
        ];
  });
  if (worst.length > 0) lines.push("Worst findings:", ...worst);
  if (verdict.evidence.sources.length > 0) lines.push(`Reports: ${verdict.evidence.sources.join(", ")}`);
  return lines;
}
