import yaml from "js-yaml";
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { PolicyError, problemsFromZod, READABLE_PARSE } from "../policy/problems.js";

/** Where every key of the validate section is documented. */
const VALIDATE_REFERENCE = "the validate reference (docs/validate.md)";

/** The repository-root file whose `validate:` section configures `portcullis validate`. */
export const CONFIG_FILE_NAME = "portcullis.yml";

const Glob = z.string().min(1, "a glob cannot be empty");
const GlobList = z.array(Glob);

/** The dependency tags read for the module graph (`tag` = element text, `tag@attr`, `*@attr`). */
export const DEFAULT_DEPENDENCY_TAGS = [
  "depends_on",
  "delegation_target",
  "delegation@target",
  "module",
  "*@module",
  "uses_pattern@from",
] as const;

const DependencyTag = z
  .string()
  .regex(
    /^(\*|[A-Za-z_][\w.:-]*)(@[A-Za-z_][\w.:-]*)?$/,
    "expected `tag` (element text), `tag@attribute` or `*@attribute`",
  )
  .refine((tag) => tag !== "*", "`*` needs an attribute: `*@attribute`");

const References = z
  .object({
    roots: z
      .array(
        z
          .string()
          .regex(
            /^(\.|\/|\/\*|\/[^*]*[^*/](\/\*)?)$/,
            "expected `.`, a `/`-rooted folder, or a `/`-rooted folder ending in `/*`",
          ),
      )
      .min(1)
      .default([".", "/", "/.claude", "/.claude/*"])
      .describe(
        "Where a reference is looked for, in order: `.` is the referencing file's folder, `/x` a folder from the repository root, `/x/*` each immediate subfolder of it in sorted order",
      ),
    extensions: z
      .array(z.string().regex(/^\.[A-Za-z0-9]+$/, "expected an extension such as `.md`"))
      .min(1)
      .default([".md"])
      .describe("File extensions a word in XML text or an attribute value must end with to be a reference"),
    dependency_tags: z
      .array(DependencyTag)
      .default([...DEFAULT_DEPENDENCY_TAGS])
      .describe("Tags whose references are edges of the module dependency graph"),
  })
  .strict();

const FrontmatterRule = z
  .object({
    glob: Glob,
    required: z.array(z.string().min(1)).min(1),
  })
  .strict();

const TokenBudget = z
  .object({
    glob: Glob,
    max: z.number().int().positive(),
  })
  .strict();

/** The markdownlint configuration object (rule names or aliases to settings), or `false` to turn it off. */
const Markdownlint = z.union([z.literal(false), z.record(z.string(), z.unknown())]);

/** The values of `token_counter`. */
export const TOKEN_COUNTERS = ["anthropic", "chars_div_4"] as const;

/** The `validate:` section of portcullis.yml; every key optional, defaults below. */
export const ValidateConfig = z
  .object({
    include: GlobList.default(["**/*.md"]).describe("Files to check (repository-relative globs)"),
    exclude: GlobList.default(["**/node_modules/**", "**/.git/**"]).describe(
      "Files and folders to skip; an excluded folder is not read at all",
    ),
    references: References.default(References.parse({})),
    xml: z
      .object({
        prose: z.boolean().default(false).describe("Also report unbalanced XML-like tags written in prose"),
      })
      .strict()
      .default({ prose: false }),
    frontmatter: z
      .array(FrontmatterRule)
      .default([
        { glob: ".claude/agents/**/*.md", required: ["name", "description"] },
        { glob: ".claude/skills/*/SKILL.md", required: ["name", "description"] },
      ])
      .describe("Front matter keys required in files matching each glob (every matching entry applies)"),
    token_counter: z.enum(TOKEN_COUNTERS).default("anthropic"),
    token_budgets: z
      .array(TokenBudget)
      .default([{ glob: "**/CLAUDE.md", max: 10_000 }])
      .describe("Token budget per glob; the first matching entry wins"),
    modules: GlobList.default([".claude/modules/**/*.md", "!**/README.md"]).describe(
      "Files that must be referenced by some other file (a leading `!` excludes)",
    ),
    markdownlint: Markdownlint.default({}).describe(
      "markdownlint rule settings merged over `{ default: true, MD013: false }`, or `false` to run none",
    ),
  })
  .strict();
/** The validate configuration with every default applied. */
export type ValidateConfig = z.infer<typeof ValidateConfig>;
/** The config as written by a user: every key optional. */
export type ValidateConfigInput = z.input<typeof ValidateConfig>;

/** The defaults used when there is no portcullis.yml or it has no `validate:` section. */
export function defaultValidateConfig(): ValidateConfig {
  return ValidateConfig.parse({});
}

/**
 * Validates an already-parsed portcullis.yml document and returns its `validate:` section with
 * defaults applied. Other top-level sections belong to other commands and are left to them.
 * Throws a ConfigError naming every bad key by its dot-path.
 */
export function parseValidateConfig(document: unknown, file: string): ValidateConfig {
  if (document === undefined || document === null) return defaultValidateConfig();
  if (typeof document !== "object" || Array.isArray(document)) {
    throw new ConfigError("CONFIG_INVALID", "expected a mapping at the top level", {
      file,
      fix: "write the settings under a `validate:` key",
    });
  }
  const section: unknown = Object.entries(document).find(([key]) => key === "validate")?.[1];
  const parsed = ValidateConfig.safeParse(section ?? {}, READABLE_PARSE);
  if (parsed.success) return parsed.data;
  // The policy files' problem machinery: dot-paths, "did you mean", every problem at once.
  throw new PolicyError(
    "CONFIG_INVALID",
    file,
    problemsFromZod(parsed.error, ValidateConfig, { prefix: ["validate"], reference: VALIDATE_REFERENCE }),
  );
}

/** Parses the text of portcullis.yml (YAML, core schema) into the validate config. */
export function parseValidateConfigText(text: string, file: string): ValidateConfig {
  let document: unknown;
  try {
    document = yaml.load(text, { filename: file, schema: yaml.CORE_SCHEMA });
  } catch (error) {
    if (!(error instanceof yaml.YAMLException)) throw error;
    // js-yaml counts from 0; editors count from 1.
    const where = `line ${error.mark.line + 1}, column ${error.mark.column + 1}`;
    throw new ConfigError("CONFIG_INVALID", `YAML syntax error at ${where}: ${error.reason}`, {
      file,
      fix: `correct the YAML at ${where}`,
      cause: error,
    });
  }
  return parseValidateConfig(document, file);
}
