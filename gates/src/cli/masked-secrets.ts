import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { RunInput } from "../evaluate/types.js";
import type { ToolResult } from "../findings/finding.js";
import { REDACTED } from "../findings/redact.js";
import {
  gitleaksIgnoredPlaces,
  gitleaksSuppressionOf,
  maskedSecretsIn,
  scannedFile,
  type ScannedFile,
} from "../tools/gitleaks.js";
import { insideRelative } from "../paths.js";

/**
 * gitleaks runs with `--redact`, so its report holds no secret, and a report without any is never
 * scrubbed: yet trivy copies the same lines into its misconfiguration findings and a semgrep rule
 * may quote them. Each masked leak's secret is read back from the scanned tree (the working tree,
 * or the commit gitleaks names) and added to the secrets its run hands to the evaluator, which
 * scrubs them from every output. The tree is the one the reports are about: `--source` or the cwd.
 */
export async function withMaskedSecrets(
  runs: readonly RunInput[],
  files: TreeFiles,
): Promise<{ runs: RunInput[]; unread: number }> {
  const read = await maskedSecrets(
    runs.map((input) => ("result" in input ? input.result : undefined)),
    files,
  );
  return {
    runs: runs.map((input, index) => {
      const found = read.secrets[index] ?? [];
      if (!("result" in input) || found.length === 0) return input;
      return { ...input, result: { ...input.result, secrets: [...input.result.secrets, ...found] } };
    }),
    unread: read.unread,
  };
}

/** The secrets of each result's masked gitleaks leaks, read back from `tree`, and how many could not be. */
export async function maskedSecrets(
  results: readonly (ToolResult | undefined)[],
  files: TreeFiles,
): Promise<{ secrets: string[][]; unread: number }> {
  const scannedFiles = new WeakMap<Uint8Array, ScannedFile>();
  const fileOf = async (file: string, commit: string | undefined): Promise<ScannedFile | undefined> => {
    const bytes = await files.bytes(file, commit);
    if (bytes === undefined) return undefined;
    const scanned = scannedFiles.get(bytes) ?? scannedFile(bytes);
    scannedFiles.set(bytes, scanned);
    return scanned;
  };
  let unread = 0;
  const secrets = await Promise.all(
    results.map(async (result) => {
      const found: string[] = [];
      if (result?.tool !== "gitleaks") return found;
      for (const finding of result.findings) {
        if (finding.snippet?.includes(REDACTED) !== true) continue;
        // gitleaks' SARIF snippet is the secret alone, so nothing tells which part of the match it is.
        const scanned =
          finding.location === undefined || result.format !== "gitleaks-json"
            ? undefined
            : await fileOf(finding.location.path, finding.commit);
        const secrets = scanned === undefined ? [] : maskedSecretsIn(scanned, finding);
        if (secrets.length === 0) unread += 1;
        else found.push(...secrets);
      }
      return found;
    }),
  );
  return { secrets, unread };
}

/**
 * Another scanner's secret findings on lines gitleaks was told to accept (`gitleaks:allow`, a
 * `.gitleaksignore` entry) carry that suppression, when gitleaks is among the runs: the same secret
 * is not accepted from one scanner and blocking from the other. Read from the scanned tree.
 */
export async function withGitleaksSuppressions(runs: readonly RunInput[], files: TreeFiles): Promise<RunInput[]> {
  if (!runs.some((input) => "result" in input && input.result.tool === "gitleaks")) return [...runs];
  const ignoreFile = await files.bytes(".gitleaksignore", undefined);
  const ignored = gitleaksIgnoredPlaces(ignoreFile === undefined ? "" : Buffer.from(ignoreFile).toString("utf8"));
  const linesOf = async (file: string): Promise<string[] | undefined> => {
    const bytes = await files.bytes(file, undefined);
    return bytes === undefined ? undefined : Buffer.from(bytes).toString("utf8").split("\n");
  };
  return Promise.all(
    runs.map(async (input): Promise<RunInput> => {
      if (!("result" in input) || input.result.tool === "gitleaks") return input;
      const findings = await Promise.all(
        input.result.findings.map(async (finding) => {
          const location = finding.location;
          if (finding.kind !== "secret" || finding.suppression !== undefined || location?.startLine === undefined)
            return finding;
          const lines = (await linesOf(location.path)) ?? [];
          const own = lines.slice(location.startLine - 1, Math.max(location.startLine, location.endLine ?? 0));
          const suppression = gitleaksSuppressionOf(finding, own, ignored);
          return suppression === undefined ? finding : { ...finding, suppression };
        }),
      );
      return { ...input, result: { ...input.result, findings } };
    }),
  );
}

/** Said whenever a masked secret could not be read back: other tools' copies of it are not scrubbed. */
export function unreadSecretsNote(count: number, tree: string, cwd: string): string {
  return `${count} secret(s) gitleaks masked could not be read back from ${path.relative(cwd, tree) || "."} (not the scanned checkout, the file changed since, or a SARIF report): text other tools copy from those lines (trivy's code lines, a rule's message) may still show them; run from the scanned checkout or pass --source <it>, with gitleaks' JSON report`;
}

/** The scanned tree's files, each read once however many findings and passes name it. */
export interface TreeFiles {
  /** A file's bytes: from the working tree, or as committed; undefined when it cannot be read. */
  bytes(file: string, commit: string | undefined): Promise<Uint8Array | undefined>;
}

export function treeFiles(tree: string): TreeFiles {
  const read = new Map<string, Promise<Uint8Array | undefined>>();
  return {
    bytes(file, commit) {
      const key = `${commit ?? ""}:${file}`;
      let bytes = read.get(key);
      if (bytes === undefined) {
        bytes = scannedBytes(tree, file, commit);
        read.set(key, bytes);
      }
      return bytes;
    },
  };
}

// --- internal ---

const execFileAsync = promisify(execFile);

async function scannedBytes(tree: string, file: string, commit: string | undefined): Promise<Uint8Array | undefined> {
  // Only files inside the tree: a report's path is outside input.
  const relative = path.isAbsolute(file) ? undefined : insideRelative(tree, path.resolve(tree, file));
  if (relative === undefined) return undefined;
  try {
    if (commit === undefined) return await readFile(path.join(tree, relative));
    if (!/^[0-9a-f]{7,64}$/.test(commit)) return undefined;
    const { stdout } = await execFileAsync("git", ["-C", tree, "show", `${commit}:${relative}`], {
      encoding: "buffer",
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch {
    // Not checked out here, or the commit is not in this clone: counted as unread, and said.
    return undefined;
  }
}
