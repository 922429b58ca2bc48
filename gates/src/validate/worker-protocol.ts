import { z } from "zod";
import { MARKDOWNLINT_PREFIX, RULE_IDS } from "./rule-ids.js";

/**
 * Messages between the validator and its worker threads. Both sides check what they receive: a
 * worker's answer is data from another thread, not a trusted value.
 */
const SourceFile = z.object({ path: z.string(), content: z.string() }).strict();

/** From the validator to a worker: a batch to analyse, or the order to close. */
export const WorkerRequest = z.discriminatedUnion("type", [
  z.object({ type: z.literal("analyze"), id: z.number().int(), files: z.array(SourceFile) }).strict(),
  z.object({ type: z.literal("close") }).strict(),
]);
export type WorkerRequest = z.infer<typeof WorkerRequest>;

const Located = z.object({ target: z.string(), line: z.number(), column: z.number() }).strict();

const RawFinding = z
  .object({
    ruleId: z.union([z.enum(RULE_IDS), z.templateLiteral([MARKDOWNLINT_PREFIX, z.string()])]),
    path: z.string(),
    line: z.number(),
    column: z.number(),
    message: z.string(),
    target: z.string(),
    title: z.string().optional(),
    helpUri: z.string().optional(),
  })
  .strict();

const FileFacts = z
  .object({
    path: z.string(),
    anchors: z.array(z.string()),
    links: z.array(Located),
    includes: z.array(Located),
    references: z.array(Located.extend({ dependency: z.boolean() }).strict()),
    findings: z.array(RawFinding),
  })
  .strict();

/** From a worker: the facts of a batch, in input order, or what went wrong. */
export const WorkerResponse = z.discriminatedUnion("type", [
  z.object({ type: z.literal("facts"), id: z.number().int(), facts: z.array(FileFacts) }).strict(),
  z.object({ type: z.literal("error"), message: z.string(), stack: z.string().optional() }).strict(),
]);
export type WorkerResponse = z.infer<typeof WorkerResponse>;
