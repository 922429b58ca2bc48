import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findOnPath, runProcess } from "../../src/runner/spawn.js";

let bin: string;
let other: string;

beforeAll(() => {
  bin = mkdtempSync(path.join(tmpdir(), "portcullis-spawn-"));
  other = mkdtempSync(path.join(tmpdir(), "portcullis-spawn-"));
  script(bin, "fake-tool", 'echo "line one"; echo "to stderr" >&2; exit "${FAKE_EXIT:-0}"');
  script(other, "fake-tool", "exit 99");
  writeFileSync(path.join(bin, "not-executable"), "#!/bin/sh\n");
  script(bin, "sleeper", "sleep 30");
});

afterAll(() => {
  rmSync(bin, { recursive: true, force: true });
  rmSync(other, { recursive: true, force: true });
});

describe("findOnPath", () => {
  it("finds the first executable on PATH, in PATH order", () => {
    expect(findOnPath("fake-tool", { PATH: [bin, other].join(path.delimiter) })).toBe(path.join(bin, "fake-tool"));
    expect(findOnPath("fake-tool", { PATH: [other, bin].join(path.delimiter) })).toBe(path.join(other, "fake-tool"));
  });

  it.each([
    ["a missing tool", "gitleaks-not-installed", () => bin],
    ["a file without the execute bit", "not-executable", () => bin],
    ["an empty PATH", "fake-tool", () => ""],
  ])("returns undefined for %s", (_, command, dir) => {
    expect(findOnPath(command, { PATH: dir() })).toBeUndefined();
  });

  it("accepts an explicit path only when it is executable", () => {
    expect(findOnPath(path.join(bin, "fake-tool"), { PATH: "" })).toBe(path.join(bin, "fake-tool"));
    expect(findOnPath(path.join(bin, "not-executable"), { PATH: "" })).toBeUndefined();
  });
});

describe("runProcess", () => {
  it.each([0, 1, 3])("reports exit code %i and keeps the output tail", async (code) => {
    const outcome = await runProcess({
      executable: path.join(bin, "fake-tool"),
      args: [],
      cwd: bin,
      env: { PATH: process.env["PATH"], FAKE_EXIT: String(code) },
      timeoutMs: 10_000,
    });
    expect(outcome.exitCode).toBe(code);
    expect(outcome.timedOut).toBe(false);
    expect(outcome.outputTail.sort()).toEqual(["line one", "to stderr"]);
  });

  it("kills a process that outlives its timeout", async () => {
    const outcome = await runProcess({
      executable: path.join(bin, "sleeper"),
      args: [],
      cwd: bin,
      env: { PATH: process.env["PATH"] },
      timeoutMs: 200,
    });
    expect(outcome.timedOut).toBe(true);
    expect(outcome.exitCode).toBe(-1);
    expect(outcome.signal).toBe("SIGTERM");
  });

  it("stops the process when the run is aborted", async () => {
    const controller = new AbortController();
    const pending = runProcess({
      executable: path.join(bin, "sleeper"),
      args: [],
      cwd: bin,
      env: { PATH: process.env["PATH"] },
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    const outcome = await pending;
    expect(outcome.timedOut).toBe(false);
    expect(outcome.signal).toBe("SIGTERM");
    expect(outcome.durationMs).toBeLessThan(10_000);
  });

  it("reports a process that cannot start instead of throwing", async () => {
    const outcome = await runProcess({
      executable: path.join(bin, "vanished"),
      args: [],
      cwd: bin,
      env: {},
      timeoutMs: 1_000,
    });
    expect(outcome.exitCode).toBe(-1);
    expect(outcome.startError).toMatch(/ENOENT/);
  });
});

function script(dir: string, name: string, body: string): void {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}
