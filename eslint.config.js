import js from "@eslint/js";
import tseslint from "typescript-eslint";

const NODE_GLOBALS = Object.fromEntries(
  ["process", "console", "Buffer", "URL", "URLSearchParams", "setTimeout", "clearTimeout", "setInterval", "clearInterval", "TextDecoder", "TextEncoder", "AbortController", "fetch"].map(
    (name) => [name, "readonly"],
  ),
);

export default tseslint.config(
  {
    ignores: ["**/node_modules/**", "gates/dist/**", "dagger/sdk/**", "bench/.data/**", "**/*.gen.ts", "coverage/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Plain JavaScript run by Node (the bin, bench scripts, test servers).
    files: ["gates/bin/**/*.js", "bench/**/*.js", "bench/**/*.mjs", "gates/test/**/*.mjs"],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    // k6 scripts: k6 provides these globals to every script.
    files: ["scenarios/**/*.js"],
    languageOptions: { globals: { __ENV: "readonly", __VU: "readonly", __ITER: "readonly" } },
  },
);
