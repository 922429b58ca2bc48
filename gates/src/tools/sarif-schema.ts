import { z } from "zod";

/*
 * The part of SARIF 2.1.0 that Portcullis reads. These schemas deliberately use plain
 * `z.object` (unknown keys accepted and dropped) instead of `.strict()`: SARIF is a third-party
 * format that tools extend freely (property bags, `codeFlows`, `fixes`, newer optional members),
 * and refusing a report because a tool added a field would turn a tool upgrade into a broken gate.
 * Every field we do read is typed, so a wrong type or a missing required member is still
 * rejected with its JSON path.
 */

const Int = z.number().int().nonnegative();

export const SarifLevel = z.enum(["none", "note", "warning", "error"]);
export type SarifLevel = z.infer<typeof SarifLevel>;

/** SARIF §3.11: `text` is required in principle, but a `markdown`- or `id`-only message is tolerated. */
const Message = z.object({
  text: z.string().optional(),
  markdown: z.string().optional(),
  id: z.string().optional(),
  arguments: z.array(z.string()).optional(),
});

const MultiformatMessage = z.object({ text: z.string(), markdown: z.string().optional() });

const PropertyBag = z.record(z.string(), z.unknown());

const ArtifactLocation = z.object({
  uri: z.string().optional(),
  uriBaseId: z.string().optional(),
  index: Int.optional(),
});
export type SarifArtifactLocation = z.infer<typeof ArtifactLocation>;

const Region = z.object({
  startLine: Int.optional(),
  startColumn: Int.optional(),
  endLine: Int.optional(),
  endColumn: Int.optional(),
  snippet: z.object({ text: z.string().optional() }).optional(),
});

const Location = z.object({
  physicalLocation: z
    .object({
      artifactLocation: ArtifactLocation.optional(),
      region: Region.optional(),
    })
    .optional(),
});
export type SarifLocation = z.infer<typeof Location>;

const Suppression = z.object({
  kind: z.enum(["inSource", "external"]),
  status: z.enum(["accepted", "underReview", "rejected"]).optional(),
  justification: z.string().optional(),
});

export const SarifRule = z.object({
  id: z.string(),
  name: z.string().optional(),
  shortDescription: MultiformatMessage.optional(),
  fullDescription: MultiformatMessage.optional(),
  messageStrings: z.record(z.string(), MultiformatMessage).optional(),
  helpUri: z.string().optional(),
  defaultConfiguration: z.object({ level: SarifLevel.optional() }).optional(),
  properties: PropertyBag.optional(),
});
export type SarifRule = z.infer<typeof SarifRule>;

const StringMap = z.record(z.string(), z.string());

export const SarifResult = z.object({
  ruleId: z.string().optional(),
  ruleIndex: z.number().int().optional(),
  rule: z.object({ id: z.string().optional(), index: z.number().int().optional() }).optional(),
  kind: z.enum(["notApplicable", "pass", "fail", "review", "open", "informational"]).optional(),
  level: SarifLevel.optional(),
  message: Message,
  locations: z.array(Location).optional(),
  fingerprints: StringMap.optional(),
  partialFingerprints: StringMap.optional(),
  suppressions: z.array(Suppression).optional(),
  baselineState: z.enum(["new", "unchanged", "updated", "absent"]).optional(),
  properties: PropertyBag.optional(),
});
export type SarifResult = z.infer<typeof SarifResult>;

const Notification = z.object({
  level: SarifLevel.optional(),
  message: Message,
  descriptor: z.object({ id: z.string().optional() }).optional(),
  associatedRule: z.object({ id: z.string().optional() }).optional(),
  locations: z.array(Location).optional(),
});
export type SarifNotification = z.infer<typeof Notification>;

const Invocation = z.object({
  executionSuccessful: z.boolean(),
  exitCode: z.number().int().optional(),
  exitCodeDescription: z.string().optional(),
  exitSignalName: z.string().optional(),
  toolExecutionNotifications: z.array(Notification).optional(),
  toolConfigurationNotifications: z.array(Notification).optional(),
});
export type SarifInvocation = z.infer<typeof Invocation>;

export const SarifDriver = z.object({
  name: z.string().min(1),
  version: z.string().optional(),
  semanticVersion: z.string().optional(),
  rules: z.array(SarifRule).optional(),
});
export type SarifDriver = z.infer<typeof SarifDriver>;

export const SarifRun = z.object({
  tool: z.object({ driver: SarifDriver }),
  invocations: z.array(Invocation).optional(),
  artifacts: z.array(z.object({ location: ArtifactLocation.optional() })).optional(),
  /** `portcullis/<env>/<tool>/` on the runs of Portcullis' own report.sarif. */
  automationDetails: z.object({ id: z.string().optional() }).optional(),
  /** `null` and absent both mean "the tool produced no results" (it failed), unlike `[]`. */
  results: z.array(SarifResult).nullable().optional(),
});
export type SarifRun = z.infer<typeof SarifRun>;

export const SarifLog = z.object({
  version: z.literal("2.1.0"),
  runs: z.array(SarifRun),
});
export type SarifLog = z.infer<typeof SarifLog>;

/** A log with its results left unread, for checking them one by one (sarif.ts, `checkedLog`). */
export const SarifLogOutline = z.object({
  version: SarifLog.shape.version,
  runs: z.array(SarifRun.extend({ results: z.array(z.unknown()).nullable().optional() })),
});
