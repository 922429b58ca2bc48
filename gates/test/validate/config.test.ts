import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { defaultValidateConfig, parseValidateConfig, parseValidateConfigText } from "../../src/validate/config.js";

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("validate config", () => {
  it("has defaults for every key", () => {
    expect(defaultValidateConfig()).toEqual({
      include: ["**/*.md"],
      exclude: ["**/node_modules/**", "**/.git/**"],
      references: {
        roots: [".", "/", "/.claude", "/.claude/*"],
        extensions: [".md"],
        dependency_tags: [
          "depends_on",
          "delegation_target",
          "delegation@target",
          "module",
          "*@module",
          "uses_pattern@from",
        ],
      },
      xml: { prose: false },
      frontmatter: [
        { glob: ".claude/agents/**/*.md", required: ["name", "description"] },
        { glob: ".claude/skills/*/SKILL.md", required: ["name", "description"] },
      ],
      token_counter: "anthropic",
      token_budgets: [{ glob: "**/CLAUDE.md", max: 10_000 }],
      modules: [".claude/modules/**/*.md", "!**/README.md"],
      markdownlint: {},
    });
  });

  it("reads the validate section and leaves other top-level sections to their commands", () => {
    const config = parseValidateConfigText(
      "deploy:\n  strategy: blue-green\nvalidate:\n  xml:\n    prose: true\n  token_budgets:\n    - glob: '.claude/modules/**'\n      max: 2000\n",
      "portcullis.yml",
    );
    expect(config.xml.prose).toBe(true);
    expect(config.token_budgets).toEqual([{ glob: ".claude/modules/**", max: 2000 }]);
    expect(config.include).toEqual(["**/*.md"]);
    expect(parseValidateConfigText("validate:\n", "portcullis.yml")).toEqual(defaultValidateConfig());
    expect(parseValidateConfig(null, "portcullis.yml")).toEqual(defaultValidateConfig());
  });

  it.each([
    ["validate:\n  exclud: []\n", "validate.exclud: unknown key"],
    ["validate:\n  references:\n    root: ['.']\n", "validate.references.root: unknown key"],
    [
      "validate:\n  token_budgets:\n    - glob: '**'\n      max: '2000'\n",
      "validate.token_budgets.0.max: Invalid input: expected number, received string",
    ],
    [
      "validate:\n  token_counter: tiktoken\n",
      'validate.token_counter: Invalid option: expected one of "anthropic"|"chars_div_4"',
    ],
    [
      "validate:\n  references:\n    dependency_tags: ['*']\n",
      "validate.references.dependency_tags.0: `*` needs an attribute: `*@attribute`",
    ],
    [
      "validate:\n  references:\n    roots: ['.claude']\n",
      "validate.references.roots.0: expected `.`, a `/`-rooted folder, or a `/`-rooted folder ending in `/*`",
    ],
    ["validate: [1]\n", "validate: Invalid input: expected object, received array"],
  ])("rejects %j with a dot-path", (text, expected) => {
    const error = configError(() => parseValidateConfigText(text, "portcullis.yml"));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.file).toBe("portcullis.yml");
    expect(error.message).toBe(expected);
    expect(error.fix).toBeDefined();
  });

  it("reports YAML syntax errors with their line and column", () => {
    const error = configError(() => parseValidateConfigText("validate:\n  include: [a\n", "portcullis.yml"));
    expect(error.message).toMatch(/^YAML syntax error at line 3, column 1: /);
  });

  it("rejects a document that is not a mapping", () => {
    expect(configError(() => parseValidateConfigText("- validate\n", "portcullis.yml")).message).toBe(
      "expected a mapping at the top level",
    );
  });
});
