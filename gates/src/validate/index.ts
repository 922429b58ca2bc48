export {
  CONFIG_FILE_NAME,
  DEFAULT_DEPENDENCY_TAGS,
  TOKEN_COUNTERS,
  ValidateConfig,
  defaultValidateConfig,
  parseValidateConfig,
  parseValidateConfigText,
  type ValidateConfigInput,
} from "./config.js";
export { hasBlockingFindings, summaryLine, toFindingsDocument, type ValidateResult } from "./findings.js";
export type { SourceFile } from "./parse.js";
export { loadValidateConfig, validateRepository, type RepositoryOptions, type RepositoryResult } from "./repository.js";
export { MARKDOWNLINT_PREFIX, RULE_IDS, RULES, VALIDATE_TOOL, type RuleId } from "./rule-ids.js";
export { githubSlug, Slugger } from "./slug.js";
export { validateFiles, type ValidateInput, type ValidateOptions } from "./validate.js";
