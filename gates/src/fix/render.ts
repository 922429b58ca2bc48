import type { GateName } from "../model/gates.js";
import type { GateStatus, GateVerdict } from "../model/report.js";
import { describeMove, type FixStep, type LockMove } from "./ecosystem.js";
import type { Advisory, FixPlan, PlannedUpgrade, SkippedPackage } from "./plan.js";

/** One gate's status before and after the fix. */
export interface VerdictChange {
  gate: GateName;
  before: GateStatus;
  after: GateStatus;
  /** Mandatory and still failing after the fix. */
  blockingAfter: boolean;
}

/**
 * The vulnerabilities gate, which fix acts on, and every other gate whose status the fix changed.
 * Gates fed by other tools' reports stay as they were (fix runs none of those tools) and are left out.
 */
export function verdictChanges(before: readonly GateVerdict[], after: readonly GateVerdict[]): VerdictChange[] {
  return after
    .map((verdict) => ({ verdict, was: before.find((entry) => entry.gate === verdict.gate)?.status ?? "error" }))
    .filter(({ verdict, was }) => verdict.enabled && (verdict.gate === "vulnerabilities" || verdict.status !== was))
    .map(({ verdict, was }) => ({
      gate: verdict.gate,
      before: was,
      after: verdict.status,
      blockingAfter: verdict.blocking,
    }));
}

/** `vulnerabilities: fail → pass`, one line per gate. */
export function renderVerdictChanges(changes: readonly VerdictChange[], predicted: boolean): string {
  const suffix = predicted ? " (predicted)" : "";
  return changes.map((change) => `${change.gate}: ${change.before} → ${change.after}${suffix}\n`).join("");
}

/** The plan as the terminal shows it (also what `--dry-run` prints). */
export function renderPlan(plan: FixPlan, steps: readonly FixStep[]): string {
  const lines = [
    `${plan.ecosystem} (${plan.lockfile}): ${count(plan.upgrades.length, "upgrade")}, ${count(plan.skipped.length, "package")} not changed`,
  ];
  if (plan.upgrades.length > 0)
    lines.push("", "Upgrades:", ...plan.upgrades.map((upgrade) => `  ${upgradeLine(upgrade)}`));
  if (plan.skipped.length > 0)
    lines.push("", "Not changed:", ...plan.skipped.map((skipped) => `  ${skippedLine(skipped)}`));
  if (steps.length > 0) {
    lines.push(
      "",
      "Steps:",
      ...steps.map(
        (step, index) =>
          `  ${index + 1}. ${step.kind === "run" ? step.argv.join(" ") : `edit ${step.file}: ${step.why}`}`,
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** What moved in the lockfile although nobody asked, as the revert message lists it. */
export function renderMoves(moves: readonly LockMove[]): string {
  return moves.map((move) => `  ${describeMove(move)}\n`).join("");
}

export interface PullRequestInput {
  plan: FixPlan;
  changes: readonly VerdictChange[];
  /** Set when the "after" verdicts come from a prediction rather than a new scan. */
  prediction?: string | undefined;
  /** How the findings were obtained (`trivy report trivy.json`, `trivy 0.74.0 scan`). */
  source: string;
}

/** The pull-request body: each upgrade, the findings it fixes, the verdicts before and after. */
export function renderPullRequest(input: PullRequestInput): string {
  const { plan } = input;
  const lines = [
    `## Fix ${count(plan.upgrades.length, "vulnerable package")} (${plan.ecosystem})`,
    "",
    `\`portcullis fix\` read ${input.source} and made the smallest upgrades that fix its findings, through npm itself (\`${plan.lockfile}\` and the manifests; nothing else moved).`,
    "",
    "| Package | From | To | How | Fixes |",
    "| --- | --- | --- | --- | --- |",
    ...plan.upgrades.map(
      (upgrade) =>
        `| \`${upgrade.name}\` | ${upgrade.from} | ${upgrade.to}${upgrade.major ? " (new major)" : ""} | ${how(upgrade)} | ${advisories(upgrade.advisories)} |`,
    ),
    "",
    "### Verdicts",
    "",
    "| Gate | Before | After |",
    "| --- | --- | --- |",
    ...input.changes.map((change) => `| ${change.gate} | ${change.before} | ${change.after} |`),
  ];
  if (input.prediction !== undefined) {
    lines.push(
      "",
      `> [!NOTE]`,
      `> The "after" column is a prediction: ${input.prediction} Let CI scan this branch to confirm it.`,
    );
  }
  if (plan.skipped.length > 0) {
    lines.push(
      "",
      "### Not fixed here",
      "",
      ...plan.skipped.map(
        (skipped) => `- \`${skipped.name}\` ${skipped.installed}, ${advisories(skipped.advisories)}: ${skipped.detail}`,
      ),
    );
  }
  lines.push("", "### Check it", "", "```sh", "npm ci", "npm test", "```");
  return `${lines.join("\n")}\n`;
}

// --- internal ---

function upgradeLine(upgrade: PlannedUpgrade): string {
  const major = upgrade.major ? ", new major" : "";
  return `${upgrade.name} ${upgrade.from} → ${upgrade.to} (${how(upgrade).replaceAll("`", "")}${major}): ${advisories(upgrade.advisories)}`;
}

function skippedLine(skipped: SkippedPackage): string {
  return `${skipped.name} ${skipped.installed}, ${advisories(skipped.advisories)}: ${skipped.detail}`;
}

function how(upgrade: PlannedUpgrade): string {
  if (upgrade.via === "override") return "`overrides` in package.json, transitive only";
  return [
    ...new Set(upgrade.declaredBy.map((declaration) => `\`${declaration.manifest}\` ${declaration.section}`)),
  ].join(", ");
}

function advisories(list: readonly Advisory[]): string {
  return list.map((advisory) => `${advisory.id} (${advisory.severity})`).join(", ");
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
