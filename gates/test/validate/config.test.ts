import { describe, expect, it } from "vitest";
import { PolicyError } from "../../src/policy/problems.js";
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
    [
      "validate:\n  exclud: []\n",
      'validate.exclud: unknown key — did you mean "exclude"? — fix: rename it to "exclude"',
    ],
    [
      "validate:\n  references:\n    root: ['.']\n",
      'validate.references.root: unknown key — did you mean "roots"? — fix: rename it to "roots"',
    ],
    [
      "validate:\n  token_budgets:\n    - glob: '**'\n      max: '2000'\n",
      'validate.token_budgets.0.max: expected number, received string "2000" — fix: write 2000 without quotes',
    ],
    [
      "validate:\n  token_counter: tiktoken\n",
      'validate.token_counter: expected one of "anthropic", "chars_div_4", received string "tiktoken" — fix: use one of: anthropic, chars_div_4',
    ],
    [
      "validate:\n  references:\n    dependency_tags: ['*']\n",
      "validate.references.dependency_tags.0: `*` needs an attribute: `*@attribute` — fix: see the validate reference (docs/validate.md)",
    ],
    [
      "validate:\n  references:\n    roots: ['.claude']\n",
      "validate.references.roots.0: expected `.`, a `/`-rooted folder, or a `/`-rooted folder ending in `/*` — fix: write it in the form the message names (see the validate reference (docs/validate.md))",
    ],
    ["validate: [1]\n", "validate: expected a mapping, received a list — fix: set validate to a mapping"],
  ])("rejects %j with a dot-path, said once, and a fix", (text, expected) => {
    const error = configError(() => parseValidateConfigText(text, "portcullis.yml"));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.file).toBe("portcullis.yml");
    expect(error.describe()).toBe(`[CONFIG_INVALID] portcullis.yml: ${expected}`);
  });

  it("names every problem at once, each with its own dot-path and fix", () => {
    const error = configError(() =>
      parseValidateConfigText(
        "validate:\n  inlude: ['**/*.md']\n  token_budgets:\n    - glob: x\n      max: '100'\n  references:\n    extension: ['.md']\n",
        "portcullis.yml",
      ),
    );
    expect(error).toBeInstanceOf(PolicyError);
    expect(error instanceof PolicyError ? error.problems : []).toEqual([
      {
        path: "validate.references.extension",
        message: 'unknown key — did you mean "extensions"?',
        fix: 'rename it to "extensions"',
      },
      {
        path: "validate.token_budgets.0.max",
        message: 'expected number, received string "100"',
        fix: "write 100 without quotes",
      },
      { path: "validate.inlude", message: 'unknown key — did you mean "include"?', fix: 'rename it to "include"' },
    ]);
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
