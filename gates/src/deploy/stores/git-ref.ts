import { spawn } from "node:child_process";
import path from "node:path";
import type { PortcullisError } from "../../errors.js";
import { IoError } from "../../errors.js";
import { ledgerChain } from "../ledger.js";
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
  // The ledger as of the last commit seen, so a save does not read it back from git.
  let known: { token: string; ledgerText: string } | null = null;
  return {
    description,
    async load(): Promise<Snapshot> {
      const fetched = await git(["fetch", "--quiet", "--no-tags", options.remote, `+${options.ref}:${options.ref}`]);
      if (fetched.code !== 0) {
        if (/couldn't find remote ref/i.test(fetched.stderr))
          return { state: null, ledgerText: "", ledgerHead: null, ledgerBroken: null, token: null };
        throw gitError("fetch", fetched, options);
      }
      const token = (
        await checked(git(["rev-parse", "--verify", `${options.ref}^{commit}`]), "rev-parse", options)
      ).stdout.trim();
      const files = await readFiles(git, token, ["state.json", "ledger.jsonl"], options);
      const stateText = files.get("state.json");
      const ledgerText = files.get("ledger.jsonl") ?? "";
      known = { token, ledgerText };
      const state = stateText === undefined ? null : parseState(stateText, `${options.ref}:state.json`);
      // The commit holds state and ledger together: chain from the head its state records.
      const chain = ledgerChain(ledgerText, state?.ledger_head ?? null);
      return { state, ledgerText, ledgerHead: chain.head, ledgerBroken: chain.broken, token };
    },
    async save(state: DeployState, ledgerLines: string, expected: string | null): Promise<string> {
      const previousLedger =
        expected === null
          ? ""
          : known?.token === expected
            ? known.ledgerText
            : ((await readFiles(git, expected, ["ledger.jsonl"], options)).get("ledger.jsonl") ?? "");
      const ledgerText = previousLedger + ledgerLines;
      const stateBlob = await hashObject(git, `${JSON.stringify(state, null, 2)}\n`, options);
      const ledgerBlob = await hashObject(git, ledgerText, options);
      const tree = (
        await checked(
          git(["mktree"], `100644 blob ${ledgerBlob}\tledger.jsonl\n100644 blob ${stateBlob}\tstate.json\n`),
          "mktree",
          options,
        )
      ).stdout.trim();
      const message = `portcullis ${options.environment}: revision ${state.revision} (${state.phase})`;
      const parents = expected === null ? [] : ["-p", expected];
      const commit = (
        await checked(git(["commit-tree", tree, ...parents, "-m", message]), "commit-tree", options)
      ).stdout.trim();
      const pushed = await git(["push", "--porcelain", "--quiet", options.remote, `${commit}:${options.ref}`]);
      if (pushed.code !== 0) {
        const output = `${pushed.stdout}\n${pushed.stderr}`;
        if (/rejected|non-fast-forward|fetch first|stale info/.test(output))
          throw new StoreConflictError(description, "the remote ref moved");
        throw gitError("push", pushed, options);
      }
      known = { token: commit, ledgerText };
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
    // Commands that take no input may exit before reading it; that is not an error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input ?? "");
  });
}

async function checked(pending: Promise<GitResult>, what: string, options: GitRefStoreOptions): Promise<GitResult> {
  const result = await pending;
  if (result.code !== 0) throw gitError(what, result, options);
  return result;
}

async function hashObject(
  git: (args: readonly string[], input?: string) => Promise<GitResult>,
  text: string,
  options: GitRefStoreOptions,
): Promise<string> {
  return (await checked(git(["hash-object", "-w", "--stdin"], text), "hash-object", options)).stdout.trim();
}

/** Several files of one commit in a single `git cat-file --batch`; absent files are left out. */
async function readFiles(
  git: (args: readonly string[], input?: string) => Promise<GitResult>,
  commit: string,
  names: readonly string[],
  options: GitRefStoreOptions,
): Promise<Map<string, string>> {
  const output = (
    await checked(
      git(["cat-file", "--batch"], names.map((name) => `${commit}:${name}\n`).join("")),
      "cat-file",
      options,
    )
  ).stdout;
  const files = new Map<string, string>();
  let offset = 0;
  for (const name of names) {
    const end = output.indexOf("\n", offset);
    const header = output.slice(offset, end).split(" ");
    offset = end + 1;
    if (header[1] === "missing" || header.length < 3) continue;
    const size = Number(header[2]);
    // Sizes are in bytes; the output was decoded as UTF-8, so measure back in bytes.
    const content = Buffer.from(output.slice(offset), "utf8").subarray(0, size).toString("utf8");
    files.set(name, content);
    offset += content.length + 1;
  }
  return files;
}

function gitError(what: string, result: GitResult, options: GitRefStoreOptions): PortcullisError {
  return new IoError(
    `git ${what} failed for ${options.ref}: ${result.stderr.trim().split("\n").slice(-2).join(" | ") || `exit ${result.code}`}`,
    {
      tool: "git",
      fix: `run from a clone whose remote "${options.remote}" is reachable and writable, or use --state-dir`,
    },
  );
}
