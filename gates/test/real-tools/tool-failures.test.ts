import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findOnPath } from "../../src/runner/spawn.js";
import { GATEKEEPER, reportOf, run, statuses, tempDir } from "../cli/cli-harness.js";
import { project, realTool } from "./real-tool.js";

/**
 * `portcullis ci` with the real gitleaks and trivy behind thin wrappers: trivy killed mid-run
 * (SIGKILL a second after it started), gitleaks given a flag it does not know. Their gates must be
 * `error`, never `pass`.
 */

const gitleaksTool = await realTool("gitleaks");
const trivyTool = await realTool("trivy");
const SH = findOnPath("sh", process.env) ?? "/bin/sh";
const SLEEP = findOnPath("sleep", process.env) ?? "/bin/sleep";

/** A wrapper that answers the version command with the real tool and otherwise does `body`. */
function wrapper(bin: string, name: string, real: string, body: string): void {
  const script = [`#!${SH}`, `case "$1" in version|--version) exec "${real}" "$@";; esac`, body, ""].join("\n");
  writeFileSync(path.join(bin, name), script);
  chmodSync(path.join(bin, name), 0o755);
}

describe.runIf(gitleaksTool.runs && trivyTool.runs)("real tools that fail under the host runner", () => {
  it("makes the gates of a killed trivy and of a gitleaks given a bad flag `error`", async () => {
    const dir = project("portcullis-failures-", { "README.md": "# demo\n", "package.json": "{}\n" });
    const bin = path.join(tempDir("portcullis-failures-bin-"), "bin");
    mkdirSync(bin);
    wrapper(bin, "gitleaks", gitleaksTool.file ?? "", `exec "${gitleaksTool.file ?? ""}" "$@" --no-such-flag`);
    wrapper(
      bin,
      "trivy",
      trivyTool.file ?? "",
      `"${trivyTool.file ?? ""}" "$@" & pid=$!\n"${SLEEP}" 1\nkill -KILL "$pid"\nwait "$pid"`,
    );
    // trivy's downloads (DB, checks bundle) go to a server that accepts and never answers, so
    // each trivy run is still busy when the wrapper kills it.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const hang = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const result = await run(["ci", dir, "--env", GATEKEEPER, "--format", "json"], {
      cwd: dir,
      env: {
        PATH: bin,
        HOME: tempDir("portcullis-failures-home-"),
        TRIVY_DB_REPOSITORY: `${hang}/trivy-db`,
        TRIVY_CHECKS_BUNDLE_REPOSITORY: `${hang}/trivy-checks`,
      },
    }).finally(() => {
      silent.close();
      silent.unref();
    });
    const report = reportOf(result);
    expect(result.code).toBe(1);
    expect(statuses(report)).toMatchObject({ secrets: "error", vulnerabilities: "error" });
    const tool = (kind: string) => report.tools.find((entry) => entry.kind === kind);
    // gitleaks answers an unknown flag with 126 (cmd/root.go), not its usual error code 1.
    expect(tool("gitleaks")).toMatchObject({ exitCode: 126, error: { code: "TOOL_FAILED" } });
    expect(tool("trivy")).toMatchObject({ exitCode: 137, error: { code: "TOOL_FAILED" } });
  }, 300_000);
});
