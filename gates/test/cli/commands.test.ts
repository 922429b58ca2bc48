import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { COMMAND_MODULES, commandsFor } from "../../src/cli/commands.js";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { PORTCULLIS_VERSION } from "../../src/version.js";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

const io: CliIo = { stdout: () => undefined, stderr: () => undefined, env: {}, cwd: SRC, isTty: false };

/** Every module `file` loads when it is imported: its static imports, followed; type-only ones are erased. */
function staticImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  if (!file.startsWith(SRC)) return seen;
  const code = readFileSync(file, "utf8");
  for (const match of code.matchAll(/^(?:import|export)(?! type )[^;]*? from "([^"]+)";/gms)) {
    const specifier = match[1] ?? "";
    const target = specifier.startsWith(".")
      ? path.resolve(path.dirname(file), specifier.replace(/\.js$/, ".ts"))
      : specifier;
    staticImports(target, seen);
  }
  return seen;
}

describe("CLI commands are loaded on use", () => {
  it("loads only the command named first, every command for help or a typo, and none for --version", async () => {
    expect(await commandsFor(["node", "portcullis", "evaluate", "--env", "dev"])).toHaveLength(1);
    expect(await commandsFor(["node", "portcullis", "rollback"])).toHaveLength(1);
    for (const argv of [[], ["--help"], ["help", "evaluate"], ["evalute"]]) {
      expect(await commandsFor(["node", "portcullis", ...argv])).toHaveLength(COMMAND_MODULES.length);
    }
    for (const flag of ["-V", "--version"]) expect(await commandsFor(["node", "portcullis", flag])).toEqual([]);
  });

  it("prints the version and exits 0 without loading any command", async () => {
    const loads = COMMAND_MODULES.map((module) => vi.spyOn(module, "load"));
    try {
      for (const flag of ["-V", "--version"]) {
        let out = "";
        const code = await main(["node", "portcullis", flag], { ...io, stdout: (text) => (out += text) });
        expect({ code, out }).toEqual({ code: 0, out: `${PORTCULLIS_VERSION}\n` });
      }
      expect(loads.filter((load) => load.mock.calls.length > 0)).toEqual([]);
    } finally {
      for (const load of loads) load.mockRestore();
    }
  });

  it("names exactly the top-level commands each module registers", async () => {
    for (const module of COMMAND_MODULES) {
      const program = new Command("portcullis");
      (await module.load())(program, io, () => undefined);
      expect(program.commands.map((command) => command.name())).toEqual(module.names);
    }
  });

  it("keeps the deploy routers, the Kubernetes client and undici out of evaluate's start-up", () => {
    // What `portcullis evaluate` loads: the entry point, then the evaluate command.
    const loaded = [
      ...staticImports(path.join(SRC, "cli", "evaluate.ts"), staticImports(path.join(SRC, "cli", "main.ts"))),
    ];
    expect(loaded.some((file) => file.endsWith(path.join("tools", "trivy-stream.ts")))).toBe(true);
    expect(loaded.filter((file) => /deploy[/\\]routers|^undici$|^@kubernetes\//.test(file))).toEqual([]);
  });
});
