import js from "@eslint/js";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

/**
 * The layers of gates/src, bottom first. A file may import from its own folder and from lower
 * layers; never from a higher layer or from another folder of its own layer, so folders import
 * in one direction and no cycle between folders can form. A new folder must be placed here (a
 * test checks that every folder is).
 */
export const GATES_LAYERS = [
  ["errors.ts", "git-revision.ts", "paths.ts", "version.ts", "worker-thread.ts", "zod-issues.ts"],
  ["findings"],
  ["model"],
  ["policy"],
  ["tools", "validate", "fix"],
  ["deploy"],
  ["compliance"],
  ["evaluate", "report"],
  ["runner", "init"],
  ["cli"],
  ["index.ts"],
];

/**
 * The import-direction rule: every back-edge or sideways edge between gates/src folders is an error.
 * @type {import("eslint").Linter.Config}
 */
export const importDirection = {
  files: ["gates/src/**/*.ts"],
  plugins: { "import-x": importX },
  settings: {
    "import-x/resolver-next": [
      createNodeResolver({ extensions: [".ts", ".js"], extensionAlias: { ".js": [".ts", ".js"] } }),
    ],
  },
  rules: {
    "import-x/no-restricted-paths": ["error", { basePath: import.meta.dirname, zones: layerZones(GATES_LAYERS) }],
  },
};

const NODE_GLOBALS = Object.fromEntries(
  [
    "process",
    "console",
    "Buffer",
    "URL",
    "URLSearchParams",
    "setTimeout",
    "clearTimeout",
    "setInterval",
    "clearInterval",
    "TextDecoder",
    "TextEncoder",
    "AbortController",
    "fetch",
  ].map((name) => [name, "readonly"]),
);

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "gates/dist/**",
      "gates/builtin/**",
      "dagger/sdk/**",
      "bench/.data/**",
      "**/*.gen.ts",
      "coverage/**",
    ],
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
  importDirection,
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Plain JavaScript run by Node (the bin, bench scripts, test servers).
    files: ["gates/bin/**/*.js", "gates/scripts/**/*.js", "bench/**/*.js", "bench/**/*.mjs", "gates/test/**/*.mjs"],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    // k6 scripts: k6 provides these globals to every script.
    files: ["scenarios/**/*.js"],
    languageOptions: { globals: { __ENV: "readonly", __VU: "readonly", __ITER: "readonly" } },
  },
);

function layerZones(layers) {
  const where = (entry) => `gates/src/${entry}${entry.endsWith(".ts") ? "" : "/**"}`;
  const order = layers.map((layer) => layer.join(", ")).join(" < ");
  return layers.flatMap((layer, index) =>
    layer.flatMap((entry) => {
      const above = layers
        .slice(index)
        .flat()
        .filter((other) => other !== entry);
      if (above.length === 0) return [];
      return [
        {
          target: where(entry),
          from: above.map((other) => `gates/src/${other}`),
          message: `gates/src folders import downward only (${order}): move what both sides need into a lower layer such as model/.`,
        },
      ];
    }),
  );
}
