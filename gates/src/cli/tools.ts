import { UsageError } from "../errors.js";
import { DEFAULT_INSTALL, INSTALLABLE_TOOLS, TOOL_SOURCES, type InstallableTool } from "../tools/install-sources.js";
import { installTool, ToolInstallError, type InstallTimeouts } from "../runner/tool-install.js";
import { describeMismatch, lookupTool, toolsCacheDir, type ToolLookup } from "../runner/tool-lookup.js";
import type { RegisterCommand } from "./commands.js";
import { EXIT, type CliIo } from "./io.js";

/** `portcullis tools` (what is installed) and `portcullis tools install [name…]`. */
export const registerTools: RegisterCommand = (program, io, setExit) => {
  const tools = program
    .command("tools")
    .description(
      "List the tools the host runner uses: pinned version, binary found (PATH, then the tools cache), its version. Exit 1 when a scanner is missing or of the wrong version",
    )
    .addHelpText(
      "after",
      [
        "",
        `The tools cache: ${toolsCacheDir(io.env)}/<tool>/<version>/ ($XDG_CACHE_HOME/portcullis/tools).`,
        "A binary whose major.minor version differs from the pin is never used by `portcullis ci`.",
        "",
      ].join("\n"),
    )
    .action(async () => {
      setExit(await listTools(io));
    });
  tools
    .command("install")
    .description(
      `Install the pinned tools into the tools cache (default: ${DEFAULT_INSTALL.join(", ")}; k6 only when named). Idempotent`,
    )
    .argument("[name...]", `tools to install: ${INSTALLABLE_TOOLS.join(", ")}`)
    .addHelpText(
      "after",
      [
        "",
        "Sources, in order: the official release archive, checked against its published SHA-256;",
        "`go install <module>@<version>` with the version stamped in (gitleaks, trivy; needs Go);",
        "`pip install semgrep==<version>` into a private virtualenv (needs Python 3).",
        "PORTCULLIS_TOOLS_MIRROR=<url> downloads release archives from a mirror of github.com's layout.",
        "",
      ].join("\n"),
    )
    .action(async (names: string[]) => {
      setExit(await install(names, io));
    });
};

/** Exposed for tests: short time limits against a local mirror. */
export async function install(
  names: readonly string[],
  io: CliIo,
  timeouts?: Partial<InstallTimeouts>,
): Promise<number> {
  const wanted = names.length === 0 ? DEFAULT_INSTALL : names.map(checkedName);
  const started = performance.now();
  let failed = 0;
  for (const tool of [...new Set(wanted)]) {
    try {
      await installTool(tool, {
        env: io.env,
        platform: { os: process.platform, arch: process.arch },
        log: (line) => io.stderr(`${line}\n`),
        ...(timeouts === undefined ? {} : { timeouts }),
      });
    } catch (error) {
      if (!(error instanceof ToolInstallError)) throw error;
      failed += 1;
      io.stderr(`portcullis tools install: ${error.message}\n`);
    }
  }
  io.stderr(
    `portcullis tools install: ${failed === 0 ? "done" : `${failed} failed`} in ${((performance.now() - started) / 1000).toFixed(1)}s\n`,
  );
  return failed === 0 ? EXIT.ok : EXIT.blocked;
}

// --- internal ---

async function listTools(io: CliIo): Promise<number> {
  const lookups = await Promise.all(INSTALLABLE_TOOLS.map((tool) => lookupTool(tool, io.env)));
  const rows = lookups.map((lookup) => [
    lookup.tool,
    lookup.pinned,
    lookup.chosen === undefined ? "-" : `${lookup.chosen.file} (${lookup.chosen.from})`,
    lookup.chosen?.version ?? "-",
    STATUS[lookup.status],
  ]);
  io.stdout(table(["tool", "pinned", "binary", "version", "status"], rows));
  for (const lookup of lookups) {
    if (lookup.status === "ok" && lookup.chosen?.fit === "patch")
      io.stdout(
        `note: ${lookup.tool} ${lookup.chosen.version} is not the pinned ${lookup.pinned}; same minor release, so it is used\n`,
      );
    if (lookup.status !== "ok") io.stdout(`${lookup.tool}: ${describeLine(lookup)} — fix: ${lookup.fix ?? ""}\n`);
  }
  const blocking = lookups.filter((lookup) => lookup.status !== "ok" && DEFAULT_INSTALL.includes(lookup.tool));
  return blocking.length === 0 ? EXIT.ok : EXIT.blocked;
}

const STATUS: Readonly<Record<ToolLookup["status"], string>> = {
  ok: "ok",
  missing: "missing",
  "wrong-version": "wrong version",
};

function describeLine(lookup: ToolLookup): string {
  if (lookup.tool === "k6" && lookup.status === "missing")
    return "k6 not found (needed only by the load stage, with --target)";
  return describeMismatch(lookup);
}

function checkedName(name: string): InstallableTool {
  const tool = INSTALLABLE_TOOLS.find((candidate) => candidate === name);
  if (tool === undefined) {
    throw new UsageError("USAGE", `unknown tool ${JSON.stringify(name)}`, {
      fix: `name one or more of ${INSTALLABLE_TOOLS.join(", ")} (pinned: ${INSTALLABLE_TOOLS.map((known) => `${known} ${TOOL_SOURCES[known].version}`).join(", ")})`,
    });
  }
  return tool;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => (row[index] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}
