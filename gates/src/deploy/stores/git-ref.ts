import { spawn } from "node:child_process";
import path from "node:path";
import { PortcullisError } from "../../errors.js";
import { lastLedgerHead } from "../ledger.js";
import type { DeployState } from "../state.js";
import { parseState } from "./dir.js";
import { withFileMutex } from "./mutex.js";
import { StoreConflictError, type Snapshot, type StateStore } from "./store.js";

/**
 * State in a git ref of the repository (`refs/portcullis/<environment>` on a remote), so that
 * throwaway CI runners and containers share one history and one lock. Each save is one commit
 * holding `state.json` and `ledger.jsonl`, child of the commit it was based on, pushed without
 * force: the remote refuses it when someone saved in between, which is the compare-and-swap.
 */
export interface GitRefStoreOptions {
  cwd: string;
  ref: string;
  remote: string;
  environment: string;
}

export function gitRefStore(options: GitRefStoreOptions): StateStore {
  const git = (args: readonly string[], input?: string) => runGit(options.cwd, args, input);
  const description = `git ref ${options.ref} on ${options.remote}`;
  const show = async (commit: string, file: string): Promise<string | undefined> => {
    const result = await git(["cat-file", "-p", `${commit}:${file}`]);
    return result.code === 0 ? result.stdout : undefined;
  };
  return {
    description,
    async load(): Promise<Snapshot> {
      const listed = await checked(git(["ls-remote", "--", options.remote, options.ref]), "ls-remote", options);
      const token = listed.stdout.split(/\s/)[0] ?? "";
      if (token === "") return { state: null, ledgerText: "", ledgerHead: null, token: null };
      await checked(git(["fetch", "--quiet", "--no-tags", options.remote, `+${options.ref}:${options.ref}`]), "fetch", options);
      const stateText = await show(token, "state.json");
      const ledgerText = (await show(token, "ledger.jsonl")) ?? "";
      const state = stateText === undefined ? null : parseState(stateText, `${options.ref}:state.json`);
      return { state, ledgerText, ledgerHead: lastLedgerHead(ledgerText), token };
    },
    async save(state: DeployState, ledgerLines: string, expected: string | null): Promise<string> {
      const previousLedger = expected === null ? "" : ((await show(expected, "ledger.jsonl")) ?? "");
      const stateBlob = await hashObject(git, `${JSON.stringify(state, null, 2)}\n`, options);
      const ledgerBlob = await hashObject(git, previousLedger + ledgerLines, options);
      const tree = (await checked(git(["mktree"], `100644 blob ${ledgerBlob}\tledger.jsonl\n100644 blob ${stateBlob}\tstate.json\n`), "mktree", options)).stdout.trim();
      const message = `portcullis ${options.environment}: revision ${state.revision} (${state.phase})`;
      const parents = expected === null ? [] : ["-p", expected];
      const commit = (await checked(git(["commit-tree", tree, ...parents, "-m", message]), "commit-tree", options)).stdout.trim();
      const pushed = await git(["push", "--porcelain", "--quiet", options.remote, `${commit}:${options.ref}`]);
      if (pushed.code !== 0) {
        const output = `${pushed.stdout}\n${pushed.stderr}`;
        if (/rejected|non-fast-forward|fetch first|stale info/.test(output)) throw new StoreConflictError(description, "the remote ref moved");
        throw gitError("push", pushed, options);
      }
      await checked(git(["update-ref", options.ref, commit]), "update-ref", options);
      return commit;
    },
    async exclusive(fn) {
      const gitDir = (await checked(git(["rev-parse", "--git-dir"]), "rev-parse", options)).stdout.trim();
      const name = `portcullis-${options.ref.replace(/[^A-Za-z0-9]+/g, "-")}.traffic.lock`;
      return withFileMutex(path.resolve(options.cwd, gitDir, name), fn);
    },
  };
}

// --- internal ---

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Commits need an identity; a CI runner often has none configured. */
const IDENTITY: Readonly<Record<string, string>> = {
  GIT_AUTHOR_NAME: "portcullis",
  GIT_AUTHOR_EMAIL: "portcullis@localhost",
  GIT_COMMITTER_NAME: "portcullis",
  GIT_COMMITTER_EMAIL: "portcullis@localhost",
};

function runGit(cwd: string, args: readonly string[], input?: string): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = spawn("git", [...args], {
      cwd,
      env: { ...IDENTITY, ...process.env, GIT_TERMINAL_PROMPT: "0" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", (error) => resolve({ code: -1, stdout, stderr: error.message }));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

async function checked(pending: Promise<GitResult>, what: string, options: GitRefStoreOptions): Promise<GitResult> {
  const result = await pending;
  if (result.code !== 0) throw gitError(what, result, options);
  return result;
}

async function hashObject(git: (args: readonly string[], input?: string) => Promise<GitResult>, text: string, options: GitRefStoreOptions): Promise<string> {
  return (await checked(git(["hash-object", "-w", "--stdin"], text), "hash-object", options)).stdout.trim();
}

function gitError(what: string, result: GitResult, options: GitRefStoreOptions): PortcullisError {
  return new PortcullisError("IO", `git ${what} failed for ${options.ref}: ${result.stderr.trim().split("\n").slice(-2).join(" | ") || `exit ${result.code}`}`, {
    tool: "git",
    fix: `run from a clone whose remote "${options.remote}" is reachable and writable, or use --state-dir`,
  });
}
