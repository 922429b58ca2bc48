import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeFailure, runShell } from "../../src/deploy/shell.js";
import { isRunning, tempDir } from "../cli/cli-harness.js";

/** runShell with real `/bin/sh` processes: short, bounded, and every process it leaves is stopped. */

describe("runShell", () => {
  it("never hands on a credential the command printed: its own, or one shaped like a credential", async () => {
    const token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    const result = await runShell(
      [
        `echo "Authorization: Bearer ${token}" >&2`,
        'echo "registry password: $REGISTRY_PASSWORD" >&2',
        'echo "cloning https://deploy:hunter2hunter2@git.example.com/app.git" >&2',
        'printf -- "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\n-----END OPENSSH PRIVATE KEY-----\\n"',
        "exit 3",
      ].join("; "),
      { cwd: tmpdir(), timeoutMs: 10_000, env: { REGISTRY_PASSWORD: "s3cr3t-Value-42" } },
    );
    const shown = describeFailure("deploy.sh", result);
    for (const text of [result.stdout, result.stderr, shown]) {
      for (const secret of [token, "s3cr3t-Value-42", "hunter2hunter2", "b3BlbnNzaC1rZXktdjEAAAAA"])
        expect(text).not.toContain(secret);
    }
    expect(result.stderr).toContain("Authorization: Bearer REDACTED");
    expect(result.stderr).toContain("https://deploy:REDACTED@git.example.com/app.git");
    expect(shown).toMatch(/^`deploy\.sh` exited 3: /);
  });

  it("keeps the words that explain a failure, and what only names where a credential is", async () => {
    const result = await runShell(
      [
        'echo "error: invalid token provided by the registry"',
        'echo "Basic configuration loaded; using token authentication"',
        'echo "author $GIT_AUTHOR_NAME, agent $SSH_AUTH_SOCK"',
        'echo "commit 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"',
        'echo "retrying with token=e2ePlantedKey9ab3cd4ef"',
      ].join("; "),
      {
        cwd: tmpdir(),
        timeoutMs: 10_000,
        env: { GIT_AUTHOR_NAME: "Jane Developer", SSH_AUTH_SOCK: "/tmp/ssh-agent.sock" },
      },
    );
    expect(result.stdout).toBe(
      [
        "error: invalid token provided by the registry",
        "Basic configuration loaded; using token authentication",
        "author Jane Developer, agent /tmp/ssh-agent.sock",
        "commit 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
        "retrying with token=REDACTED",
        "",
      ].join("\n"),
    );
  });

  it("is done when the shell exits, though a process it left in the background holds its output", async () => {
    const pidFile = path.join(tempDir("portcullis-shell-"), "pid");
    const started = Date.now();
    const result = await runShell(`echo started; (sleep 5) & echo $! > ${pidFile}`, {
      cwd: tmpdir(),
      timeoutMs: 10_000,
    });
    const pid = Number(readFileSync(pidFile, "utf8"));
    try {
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(result).toMatchObject({ ok: true, code: 0, outputHeld: true, timedOut: false, stdout: "started\n" });
      expect(isRunning(pid)).toBe(true);
    } finally {
      process.kill(pid);
    }
  });

  it("never times out, nor kills what it left running, once the shell has exited", async () => {
    const pidFile = path.join(tempDir("portcullis-shell-"), "pid");
    // The shell exits at ~50 ms; the timeout (150 ms) falls inside the wait for its output to end.
    const result = await runShell(`sleep 0.05; (sleep 3) & echo $! > ${pidFile}`, { cwd: tmpdir(), timeoutMs: 150 });
    const pid = Number(readFileSync(pidFile, "utf8"));
    try {
      expect(result).toMatchObject({ ok: true, code: 0, timedOut: false, cancelled: false });
      expect(isRunning(pid)).toBe(true);
    } finally {
      process.kill(pid);
    }
  });

  it("stops the whole process group when its signal aborts, and when it times out", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const cancelled = await runShell("sleep 20", { cwd: tmpdir(), timeoutMs: 10_000, signal: controller.signal });
    expect(cancelled).toMatchObject({ ok: false, cancelled: true, timedOut: false, outputHeld: false });
    const timedOut = await runShell("sleep 20", { cwd: tmpdir(), timeoutMs: 100 });
    expect(timedOut).toMatchObject({ ok: false, cancelled: false, timedOut: true });
  });
});
