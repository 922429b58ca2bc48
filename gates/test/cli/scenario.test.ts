import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeScenario, findScenario } from "../../src/cli/scenario.js";
import { BUILTIN_SCENARIOS_DIR } from "../../src/policy/builtin.js";
import { tempDir } from "./cli-harness.js";

describe("findScenario", () => {
  it("takes the repository's scenarios/<name>.js first", () => {
    const root = tempDir();
    mkdirSync(path.join(root, "scenarios"));
    writeFileSync(path.join(root, "scenarios", "smoke.js"), "export default function () {}\n");
    const found = findScenario("smoke", { root, cwd: root });
    expect(found).toEqual({ file: path.join(root, "scenarios", "smoke.js") });
    expect(describeScenario(path.join(root, "scenarios", "smoke.js"), root)).toBe("scenarios/smoke.js");
  });

  it.each(["smoke", "load", "stress", "soak"])("falls back to the built-in %s scenario, and says so", (name) => {
    const root = tempDir();
    const found = findScenario(name, { root, cwd: root });
    expect(found).toEqual({ file: path.join(BUILTIN_SCENARIOS_DIR, `${name}.js`) });
    expect(describeScenario(path.join(BUILTIN_SCENARIOS_DIR, `${name}.js`), root)).toBe(
      `built-in ${name} scenario (no scenarios/${name}.js in this repository)`,
    );
  });

  it("lists both places searched for an unknown name", () => {
    const root = tempDir();
    const found = findScenario("spike", { root, cwd: root });
    expect(found).toEqual({
      name: "spike",
      searched: [path.join("scenarios", "spike.js"), path.relative(root, path.join(BUILTIN_SCENARIOS_DIR, "spike.js"))],
    });
  });
});
