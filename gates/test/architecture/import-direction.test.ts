import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";
// The very rule `npm run lint` applies (eslint.config.js), not a copy of it.
import { GATES_LAYERS, importDirection } from "../../../eslint.config.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const RULE = "import-x/no-restricted-paths";

/** An ESLint with only the import-direction rule: no type information needed, so it is fast. */
function directionLinter(): ESLint {
  return new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ["**/*.ts"],
        languageOptions: { parser: tseslint.parser },
        linterOptions: { reportUnusedDisableDirectives: "off" },
      },
      importDirection,
    ],
  });
}

async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await directionLinter().lintText(code, { filePath: `${ROOT}${file}` });
  return (result?.messages ?? []).filter((message) => message.ruleId === RULE).map((message) => message.message);
}

describe("import direction of gates/src", () => {
  it("places every folder and root file of gates/src in a layer", () => {
    const entries = readdirSync(`${ROOT}gates/src`).sort();
    expect(GATES_LAYERS.flat().sort()).toEqual(entries);
  });

  it("holds for the whole of gates/src: no folder imports upward or sideways", async () => {
    const results = await directionLinter().lintFiles(["gates/src/**/*.ts"]);
    const found = results.flatMap((result) =>
      result.messages.map((message) => `${result.filePath.slice(ROOT.length)}:${message.line} ${message.message}`),
    );
    expect(results.length).toBeGreaterThan(100);
    expect(found).toEqual([]);
  });

  it.each([
    [
      "a policy file importing a renderer",
      "gates/src/policy/planted.ts",
      'import { renderJson } from "../report/json.js";',
    ],
    [
      "the model importing the policy",
      "gates/src/model/planted.ts",
      'import type { GatesPolicy } from "../policy/schema.js";',
    ],
    [
      "a deploy router importing a renderer",
      "gates/src/deploy/routers/planted.ts",
      'export { renderText } from "../../report/text.js";',
    ],
    [
      "evaluate importing its sibling report/",
      "gates/src/evaluate/planted.ts",
      'import { planSarif } from "../report/sarif.js";',
    ],
    ["errors.ts importing a folder", "gates/src/errors.ts", 'import { SEVERITIES } from "./findings/finding.js";'],
    [
      "report/ loading the CLI on demand",
      "gates/src/report/planted.ts",
      'export const load = () => import("../cli/main.js");',
    ],
  ])("fails on a planted back-edge: %s", async (_name, file, code) => {
    expect(await violations(file, code)).toEqual([expect.stringContaining("gates/src folders import downward only")]);
  });

  it.each([
    [
      "evaluate importing the model",
      "gates/src/evaluate/planted.ts",
      'import type { Report } from "../model/report.js";',
    ],
    ["the CLI importing evaluate", "gates/src/cli/planted.ts", 'import { evaluate } from "../evaluate/evaluate.js";'],
    [
      "a file importing its own folder",
      "gates/src/policy/planted.ts",
      'import { parseDuration } from "./duration.js";',
    ],
  ])("accepts a downward edge: %s", async (_name, file, code) => {
    expect(await violations(file, code)).toEqual([]);
  });
});

describe("the checks that keep it so", () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { scripts: Record<string, string> };
  const workflow = readFileSync(`${ROOT}.github/workflows/ci.yml`, "utf8");

  it("npm run check runs the types, the lint, the formatting and the tests", () => {
    expect(pkg.scripts["check"]).toBe("npm run typecheck && npm run lint && npm run format:check && npm test");
    expect(pkg.scripts["lint"]).toMatch(/^eslint \. --max-warnings=0/);
    expect(pkg.scripts["format:check"]).toBe("prettier --check .");
  });

  it("CI runs the lint and the formatting check", () => {
    expect(workflow).toMatch(/- run: npm run lint\n/);
    expect(workflow).toMatch(/- run: npm run format:check\n/);
  });
});
