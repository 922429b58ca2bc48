import { open, readFile, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { IoError } from "../../errors.js";

/**
 * A short-lived exclusive file (`O_EXCL`), for critical sections of milliseconds to seconds. Not
 * the deploy lock (that one has a lease and lives in the state): this one only serialises writes.
 * A file left by a process of this host that is no longer alive (killed inside the section) is
 * removed at once; any other file older than `staleMs` is removed too (a holder on another host).
 */
export async function withFileMutex<T>(
  file: string,
  fn: () => Promise<T>,
  options: { waitMs?: number; staleMs?: number } = {},
): Promise<T> {
  const waitMs = options.waitMs ?? 60_000;
  const staleMs = options.staleMs ?? 120_000;
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(`${hostname()} ${process.pid} ${new Date().toISOString()}\n`);
      await handle.close();
      break;
    } catch (error) {
      if (!isCode(error, "EEXIST")) throw error;
      await removeIfStale(file, staleMs);
      if (Date.now() > deadline) {
        throw new IoError(`${file} has been held for more than ${Math.round(waitMs / 1000)}s`, {
          file,
          fix: "another portcullis process is writing the deployment state; if none is running, delete the file",
        });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** Math.min(attempt, 4), 100)));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}

export function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && "code" in error && error.code === code;
}

// --- internal ---

async function removeIfStale(file: string, staleMs: number): Promise<void> {
  try {
    const [host, pidText] = (await readFile(file, "utf8")).split(" ");
    const pid = Number(pidText);
    if (host === hostname() && Number.isInteger(pid) && pid > 0 && !isAlive(pid)) {
      await rm(file, { force: true });
      return;
    }
    const info = await stat(file);
    if (Date.now() - info.mtimeMs > staleMs) await rm(file, { force: true });
  } catch (error) {
    if (!isCode(error, "ENOENT")) throw error;
  }
}

/** Signal 0 only checks that the process exists; EPERM means it exists under another user. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isCode(error, "EPERM");
  }
}
