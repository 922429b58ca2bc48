import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withFileMutex } from "../../src/deploy/stores/mutex.js";

function tempFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), "portcullis-mutex-")), ".state.lock");
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("file mutex", () => {
  it("takes over at once a lock left by a killed process of this host", async () => {
    const file = tempFile();
    writeFileSync(file, `${hostname()} ${deadPid()} 2026-11-24T08:00:00.000Z\n`);
    const started = Date.now();
    expect(await withFileMutex(file, () => Promise.resolve("done"), { waitMs: 5_000 })).toBe("done");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(existsSync(file)).toBe(false);
  });

  it("waits for a live holder and gives up with the file named and the fix", async () => {
    const file = tempFile();
    writeFileSync(file, `${hostname()} ${process.pid} 2026-11-24T08:00:00.000Z\n`);
    await expect(withFileMutex(file, () => Promise.resolve("never"), { waitMs: 300 })).rejects.toThrow(
      /has been held for more than 0s/,
    );
    expect(existsSync(file)).toBe(true);
  });

  it("does not judge a holder on another host by its pid", async () => {
    const file = tempFile();
    writeFileSync(file, `elsewhere.example ${deadPid()} 2026-11-24T08:00:00.000Z\n`);
    await expect(withFileMutex(file, () => Promise.resolve("never"), { waitMs: 300 })).rejects.toThrow(/held/);
  });
});
