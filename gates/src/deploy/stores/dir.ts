import { appendFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../../errors.js";
import { describeIssues, schemaIssues } from "../../zod-issues.js";
import { ledgerChain } from "../ledger.js";
import { isCode, withFileMutex } from "./mutex.js";
import { DeployState } from "../state.js";
import { StoreConflictError, type Snapshot, type StateStore } from "./store.js";

/**
 * State in a local directory: `<state_dir>/<environment>/state.json` (replaced atomically by
 * rename) and `ledger.jsonl` (appended, fsynced, before the state that points at its head).
 */
export function dirStore(root: string, environment: string, display: string): StateStore {
  const dir = path.join(root, environment);
  const stateFile = path.join(dir, "state.json");
  const ledgerFile = path.join(dir, "ledger.jsonl");
  const description = `directory ${path.join(display, environment)}`;
  const read = async (): Promise<Snapshot> => {
    const stateText = await readOptional(stateFile);
    const ledgerText = (await readOptional(ledgerFile)) ?? "";
    const state = stateText === undefined ? null : parseState(stateText, stateFile);
    const chain = ledgerChain(ledgerText, state?.ledger_head ?? null);
    return {
      state,
      ledgerText,
      ledgerHead: chain.head,
      ledgerBroken: chain.broken,
      token: state === null ? null : String(state.revision),
    };
  };
  return {
    description,
    load: read,
    async save(state, ledgerLines, expected) {
      await mkdir(dir, { recursive: true });
      return withFileMutex(path.join(dir, ".state.lock"), async () => {
        const current = await read();
        if (current.token !== expected)
          throw new StoreConflictError(
            description,
            `revision ${current.token ?? "none"}, expected ${expected ?? "none"}`,
          );
        if (ledgerLines !== "") await appendFile(ledgerFile, ledgerLines, { flush: true });
        const temp = `${stateFile}.${process.pid}.tmp`;
        await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { flush: true });
        await rename(temp, stateFile);
        return String(state.revision);
      });
    },
    async exclusive(fn) {
      await mkdir(dir, { recursive: true });
      return withFileMutex(path.join(dir, ".traffic.lock"), fn);
    },
  };
}

/** Parses a stored state document; names the file and the fields when it is damaged. */
export function parseState(text: string, file: string): DeployState {
  let document: unknown;
  try {
    document = JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError("CONFIG_INVALID", "deployment state is not valid JSON", {
      file,
      fix: "restore it from the store's history, or remove it to start over",
      cause: error,
    });
  }
  const parsed = DeployState.safeParse(document);
  if (!parsed.success) {
    throw new ConfigError(
      "CONFIG_INVALID",
      `deployment state is invalid: ${describeIssues(schemaIssues(parsed.error))}`,
      { file, fix: "restore it from the store's history" },
    );
  }
  return parsed.data;
}

// --- internal ---

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (isCode(error, "ENOENT")) return undefined;
    throw error;
  }
}
