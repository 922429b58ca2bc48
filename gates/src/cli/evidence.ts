import { readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  bundleContents,
  filesHolding,
  parseReportDocument,
  reportsWithSecrets,
  scrubbedFiles,
  toolReports,
} from "../compliance/bundle-contents.js";
import { loadControlSet, readEnvironmentLedger } from "../compliance/collect.js";
import { packBundle, sha256, verifyBundle, type BundleProblem, type EvidenceFile } from "../compliance/evidence.js";
import type { ToolResult } from "../findings/finding.js";
import { ConfigError, UsageError, IoError, ReportError, messageOf } from "../errors.js";
import { resolveEnvironmentRef } from "../policy/environment-ref.js";
import { DEFAULT_WAIVERS_FILE, findEnvironment, unreadableFile } from "../policy/load-files.js";
import { parsePolicy } from "../policy/parse-policy.js";
import { parseWaivers, type ParsedWaivers } from "../policy/waivers.js";
import { problemId } from "../evaluate/classify.js";
import type { Report } from "../model/report.js";
import { TOOLS } from "../tools/index.js";
import type { RegisterCommand } from "./commands.js";
import { EXIT, type CliIo } from "./io.js";
import { bundleTarget, makeDirectory } from "./out-path.js";
import { maskedSecrets, treeFiles, unreadSecretsNote } from "./masked-secrets.js";
import { oneLine } from "../findings/one-line.js";
import { OUTPUT_FILES } from "./write-outputs.js";

/** The bundle's name when `--out` names a folder. */
export const EVIDENCE_FILE = "evidence.tar.gz";
import { referenceLine } from "./docs-page.js";

/** The environment variable that may carry the PEM signing key (a CI secret), instead of --sign-key. */
export const EVIDENCE_KEY_ENV = "PORTCULLIS_EVIDENCE_KEY";

interface PackFlags {
  from?: string | undefined;
  out: string;
  env?: string | undefined;
  source?: string | undefined;
  waivers?: string | undefined;
  controls?: string | undefined;
  ledger?: string | undefined;
  signKey?: string | undefined;
}

/**
 * `portcullis evidence --from <reports> --out evidence.tar.gz` packs a run's evidence into a
 * deterministic bundle; `portcullis evidence verify <bundle>` recomputes every hash.
 */
export const registerEvidence: RegisterCommand = (program, io, setExit) => {
  const evidence = program
    .command("evidence")
    .description(
      "Pack a run's evidence (reports, SBOM, policy files and hashes, ledger excerpt, tool versions) into a deterministic tar.gz with a SHA-256 manifest. Exit 0 written, 2 usage or configuration error",
    )
    .option(
      "--from <dir>",
      "the reports dir written by `portcullis evaluate --out` or `portcullis ci` (must hold report.json)",
    )
    .option(
      "--out <file|dir/>",
      `the bundle to write; an existing folder or a path ending in / gets ${EVIDENCE_FILE} inside it`,
      EVIDENCE_FILE,
    )
    .option("--env <name|path>", "the environment policy the report was judged by (default: the report's environment)")
    .option(
      "--source <dir>",
      "the repository root: environments/, .portcullis/, the deployment store, and the scanned files the secrets gitleaks masked are read back from",
      ".",
    )
    .option("--waivers <file>", "waivers file (default: .portcullis/waivers.yml under --source when present)")
    .option("--controls <file>", "controls file (default: .portcullis/controls.yml under --source when present)")
    .option("--ledger <file>", "the deployment ledger (default: the environment's deployment store when it holds one)")
    .option(
      "--sign-key <pem file>",
      `Ed25519 private key (PEM) signing manifest.json; or the key itself in $${EVIDENCE_KEY_ENV}`,
    )
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  portcullis evidence --from reports/ --out evidence.tar.gz",
        '  PORTCULLIS_EVIDENCE_KEY="$(cat key.pem)" portcullis evidence --from reports/ --env production --out evidence.tar.gz',
        "  portcullis evidence verify evidence.tar.gz --public-key key.pub.pem",
        "",
        "The same inputs give the same bytes: entries are sorted and timed by the report's generatedAt.",
        referenceLine("compliance"),
        "",
      ].join("\n"),
    )
    .action(async (flags: PackFlags) => {
      setExit(await pack(flags, io));
    });
  evidence
    .command("verify")
    .description(
      "Recompute every hash of an evidence bundle against its manifest. Exit 0 intact, 1 problems (one line each), 2 usage error",
    )
    .argument("<bundle>", "the .tar.gz written by `portcullis evidence`")
    .option("--public-key <pem file>", "Ed25519 public key (PEM): the manifest's signature must verify with it")
    .action(async (bundle: string, flags: { publicKey?: string | undefined }) => {
      setExit(await verify(bundle, flags, io));
    });
};

// --- internal ---

async function pack(flags: PackFlags, io: CliIo): Promise<number> {
  if (flags.from === undefined) {
    throw new UsageError("USAGE", "no reports dir given", {
      fix: "pass --from <dir>, the --out dir of `portcullis evaluate` or `portcullis ci`",
    });
  }
  const from = path.resolve(io.cwd, flags.from);
  const out = bundleTarget(flags.out, io.cwd, EVIDENCE_FILE);
  const source = path.resolve(io.cwd, flags.source ?? ".");
  const reportFiles = await readTree(from, flags.from, out);
  const reportJson = reportFiles.find((file) => file.path === "report.json");
  if (reportJson === undefined) {
    throw new UsageError("USAGE", `no report.json in ${flags.from}`, {
      fix: "pass the --out dir of `portcullis evaluate` or `portcullis ci`",
    });
  }
  const report = parseReportDocument(
    Buffer.from(reportJson.content).toString("utf8"),
    path.join(flags.from, "report.json"),
  );
  const packed = await scrubbedReportFiles(reportFiles, { from: flags.from, source, io });
  const environment = environmentFile(flags.env ?? report.environment, { cwd: io.cwd, source });
  const policy = parsePolicy(environment.text, environment.shown);
  const waiversFile =
    flags.waivers === undefined ? path.join(source, DEFAULT_WAIVERS_FILE) : path.resolve(io.cwd, flags.waivers);
  const waiversText = await readOptional(waiversFile);
  if (waiversText === undefined && flags.waivers !== undefined) {
    throw new ConfigError("WAIVER_INVALID", "file not found", {
      file: flags.waivers,
      fix: "check the path given to --waivers",
    });
  }
  const controls = await loadControlSet(
    source,
    flags.controls === undefined ? undefined : path.resolve(io.cwd, flags.controls),
  );
  const ledger = await readEnvironmentLedger(source, {
    ledgerFile: flags.ledger === undefined ? undefined : path.resolve(io.cwd, flags.ledger),
    environment: report.environment,
    deploy: policy.deploy,
  });
  // Evidence is only as good as its ledger: a broken chain is refused, never packed as if intact.
  if (ledger !== undefined && !ledger.result.ok) {
    throw new ConfigError(
      "CONFIG_INVALID",
      `the deployment ledger's chain is broken: ${ledger.result.unreadable ?? ledger.result.problems.find((problem) => !problem.includes("(an interrupted save)")) ?? "unverifiable"}`,
      {
        file: ledger.result.file,
        fix: "run `portcullis ledger verify`, restore the ledger from a backup or the store's history",
      },
    );
  }
  const contents = bundleContents({
    report,
    reportFiles: packed.files,
    redacted: packed.redacted,
    environmentFile: { name: path.basename(environment.file), text: environment.text },
    waiversText,
    controlsText: controls.file === undefined ? undefined : await readFile(controls.file, "utf8"),
    ledger:
      ledger === undefined
        ? undefined
        : {
            source: ledger.result.file,
            text: ledger.text,
            ok: ledger.result.ok,
            problems: ledger.result.unreadable === undefined ? ledger.result.problems : [ledger.result.unreadable],
          },
    images: Object.entries(TOOLS).flatMap(([tool, adapter]) =>
      adapter.image.ref === "" ? [] : [{ tool, ...adapter.image }],
    ),
  });
  const bundle = await packBundle(contents.files, {
    environment: report.environment,
    commit: report.commit,
    generatedAt: report.generatedAt,
    signingKey: await signingKey(flags.signKey, io),
  });
  makeDirectory(path.dirname(out), "--out");
  try {
    await writeFile(out, bundle);
  } catch (cause) {
    throw new IoError(`cannot write the bundle: ${messageOf(cause)}`, {
      file: flags.out,
      fix: "give --out a file path in a writable folder",
      cause,
    });
  }
  const changedWaivers = waiversNotJudged(report, waiversText, waiversFile, policy.waivers.max_days);
  if (changedWaivers.length > 0) {
    io.stderr(
      `portcullis: warning: ${path.relative(io.cwd, waiversFile) || waiversFile} is not the waivers file ${path.join(flags.from, "report.json")} was judged with (${changedWaivers.join(", ")} differ); the bundle holds the file as it is now\n`,
    );
  }
  if (!contents.policyMatchesReport) {
    io.stderr(
      `portcullis: warning: ${environment.shown} is not the policy ${path.join(flags.from, "report.json")} was judged by (policy hash differs); recorded in policy/hashes.json\n`,
    );
  }
  const signed = flags.signKey !== undefined || nonEmpty(io.env[EVIDENCE_KEY_ENV]) !== undefined;
  io.stdout(
    `wrote ${path.relative(io.cwd, out) || out}: ${contents.files.length} files, ${signed ? "signed" : "unsigned"}, sha256 ${sha256(bundle)}\n`,
  );
  return EXIT.ok;
}

async function verify(bundle: string, flags: { publicKey?: string | undefined }, io: CliIo): Promise<number> {
  const bytes = await readOptionalBytes(path.resolve(io.cwd, bundle));
  if (bytes === undefined)
    throw new UsageError("USAGE", "evidence bundle not found", { file: bundle, fix: "check the path" });
  const publicKey =
    flags.publicKey === undefined ? undefined : await readOptional(path.resolve(io.cwd, flags.publicKey));
  if (flags.publicKey !== undefined && publicKey === undefined) {
    throw new UsageError("USAGE", "public key not found", {
      file: flags.publicKey,
      fix: "pass the Ed25519 public key in PEM (openssl pkey -pubout)",
    });
  }
  const result = await verifyBundle(bytes, { publicKey });
  for (const problem of result.problems) io.stdout(`${problemLine(problem)}\n`);
  if (!result.ok) {
    io.stdout(
      `${bundle}: FAILED verification (${result.problems.length} problem${result.problems.length === 1 ? "" : "s"})\n`,
    );
    return EXIT.blocked;
  }
  const files = result.manifest?.files.length ?? 0;
  const signature =
    publicKey !== undefined
      ? "signature verified"
      : result.signed
        ? "signed, signature not checked (pass --public-key)"
        : "unsigned";
  // What the bundle is evidence of: an intact bundle of another commit is no evidence of this one.
  const about =
    result.manifest === undefined
      ? ""
      : ` — ${shown(result.manifest.environment)} at ${result.manifest.commit === undefined ? "no recorded commit" : `commit ${shown(result.manifest.commit)}`}, generated ${shown(result.manifest.generatedAt)}`;
  io.stdout(`${bundle}: intact, ${files} files match manifest.json, ${signature}${about}\n`);
  return EXIT.ok;
}

/**
 * The waivers (by id) that differ between the file being packed and those report.json was judged
 * with: a waiver added, removed or edited since (its reason, approver or expiry) makes the bundle's
 * copy no record of what judged the run.
 */
function waiversNotJudged(report: Report, text: string | undefined, file: string, maxDays: number): string[] {
  let parsed: ParsedWaivers = { waivers: [], problems: [] };
  try {
    if (text !== undefined) parsed = parseWaivers(text, file, { now: new Date(report.generatedAt), maxDays });
  } catch {
    return ["the whole file, which no longer reads as waivers"];
  }
  const key = (waiver: { id: string; reason: string; approver: string; expires: string }): string =>
    JSON.stringify([waiver.id, waiver.reason, waiver.approver, waiver.expires]);
  const packed = new Map([
    ...parsed.waivers.map((waiver): [string, string] => [key(waiver), waiver.id]),
    ...parsed.problems.map((problem): [string, string] => [`problem ${problemId(problem)}`, problemId(problem)]),
  ]);
  const judged = new Map([
    ...report.waivers.map((waiver): [string, string] => [key(waiver), waiver.id]),
    ...report.waiverProblems.map((problem): [string, string] => [`problem ${problem.id}`, problem.id]),
  ]);
  const differing = [
    ...[...packed].filter(([entry]) => !judged.has(entry)),
    ...[...judged].filter(([entry]) => !packed.has(entry)),
  ].map(([, id]) => id);
  return [...new Set(differing)].sort();
}

function problemLine(problem: BundleProblem): string {
  const path = shown(problem.path);
  switch (problem.kind) {
    case "mismatch":
      return `MISMATCH ${path}: sha256 ${problem.actual}, manifest.json says ${problem.expected}`;
    case "missing":
      return `MISSING ${path}: listed in manifest.json, not in the bundle`;
    case "extra":
      return `EXTRA ${path}: in the bundle, not listed in manifest.json`;
    case "signature":
    case "manifest":
    case "entry":
      return `${problem.kind.toUpperCase()} ${path}: ${oneLine(problem.message)}`;
  }
}

/**
 * A name or value from the bundle as the terminal shows it: JSON-quoted when it holds anything a
 * terminal would act on, so a crafted entry name cannot erase its own line or print a verdict.
 */
function shown(text: string): string {
  return oneLine(text) === text ? text : JSON.stringify(text);
}

/**
 * The reports dir's files as they go into the bundle: every tool report with the secrets gitleaks
 * masked scrubbed wherever another tool copied them, and no report holding a secret in the clear.
 */
async function scrubbedReportFiles(
  files: readonly EvidenceFile[],
  where: { from: string; source: string; io: CliIo },
): Promise<{ files: EvidenceFile[]; redacted: string[] }> {
  const own: readonly string[] = OUTPUT_FILES;
  const others = files.filter((file) => !own.includes(file.path));
  const reports = toolReports(others);
  refuseSecretsInTheClear(reports, where.from);
  // What gitleaks masked is read back from the scanned tree, as `evaluate` does, so that other
  // tools' copies of it (trivy's code lines) are scrubbed in the bundle too.
  const masked = await maskedSecrets(
    reports.map((report) => report.result),
    treeFiles(where.source),
  );
  if (masked.unread > 0) {
    where.io.stderr(
      `portcullis: warning: ${unreadSecretsNote(masked.unread, where.source, where.io.cwd)}; the bundle may carry them there\n`,
    );
  }
  const secrets = masked.secrets.flat();
  // Portcullis' own outputs are scrubbed when written, of what evaluate could read back then: one
  // run away from the checkout could not, and its outputs are not rewritten here.
  const [stale] = filesHolding(
    files.filter((file) => own.includes(file.path)),
    secrets,
  );
  if (stale !== undefined) {
    throw new ReportError(
      "REPORT_INVALID",
      "holds secrets gitleaks masked, which evaluate could not read back when it wrote it",
      {
        file: path.join(where.from, stale.path),
        fix: "run evaluate again from the scanned checkout (or with --source <it>), then evidence",
      },
    );
  }
  const scrubbed = scrubbedFiles(others, secrets);
  const [unscrubbable] = scrubbed.unscrubbable;
  if (unscrubbable !== undefined) {
    throw new ReportError(
      "REPORT_INVALID",
      "holds a secret gitleaks found and is not JSON, so it cannot be scrubbed for the bundle",
      {
        file: path.join(where.from, unscrubbable),
        fix: "move the file out of the reports dir",
      },
    );
  }
  return {
    files: files.map((file) => scrubbed.files.find((other) => other.path === file.path) ?? file),
    redacted: scrubbed.redacted,
  };
}

/**
 * A tool report of the reports dir that holds secrets in the clear is never packed: Portcullis'
 * own outputs are scrubbed, but a report the user wrote there (gitleaks without `--redact`) is
 * bundled as it is. The secrets themselves are never printed, only where and how many.
 */
function refuseSecretsInTheClear(reports: readonly { path: string; result: ToolResult }[], from: string): void {
  const found = reportsWithSecrets(reports);
  const [first] = found;
  if (first === undefined) return;
  const where = found.map(
    (report) => `${path.join(from, report.path)} (${report.secrets} secret${report.secrets === 1 ? "" : "s"})`,
  );
  throw new ReportError(
    "REPORT_INVALID",
    `holds secrets in the clear, which an evidence bundle must not carry: ${where.join(", ")}`,
    {
      file: path.join(from, first.path),
      fix: "run gitleaks with --redact (as `portcullis ci` and the Dagger module do) and evaluate again, or move the report out of the reports dir: report.json already holds its findings, redacted",
    },
  );
}

/** `--env` as `evaluate` reads it: a name under <source>/environments/ (else built-in), or a path from the cwd. */
function environmentFile(
  env: string,
  where: { cwd: string; source: string },
): { file: string; shown: string; text: string } {
  const ref = resolveEnvironmentRef(env, where.cwd);
  const found = findEnvironment(ref.kind === "path" ? ref.file : ref.name, where.source);
  return { file: found.file, shown: path.relative(where.cwd, found.file) || found.file, text: found.text };
}

/** The key from --sign-key, else from the environment; it is never printed. */
async function signingKey(flag: string | undefined, io: CliIo): Promise<string | undefined> {
  if (flag !== undefined) {
    const text = await readOptional(path.resolve(io.cwd, flag));
    if (text === undefined) {
      throw new UsageError("USAGE", "signing key not found", {
        file: flag,
        fix: "pass an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519)",
      });
    }
    return text;
  }
  return nonEmpty(io.env[EVIDENCE_KEY_ENV]);
}

/** Every regular file under `dir`, by its forward-slash path inside it, except `skip` (the bundle itself). */
async function readTree(dir: string, shown: string, skip: string): Promise<{ path: string; content: Uint8Array }[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (cause) {
    throw new UsageError("USAGE", "reports dir not found", {
      file: shown,
      fix: "pass the --out dir of `portcullis evaluate` or `portcullis ci`",
      cause,
    });
  }
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => file !== skip)
    .sort();
  return Promise.all(
    files.map(async (file) => ({
      path: path.relative(dir, file).split(path.sep).join("/"),
      content: await readFile(file),
    })),
  );
}

async function readOptional(file: string): Promise<string | undefined> {
  const bytes = await readOptionalBytes(file);
  return bytes === undefined ? undefined : Buffer.from(bytes).toString("utf8");
}

async function readOptionalBytes(file: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if (error instanceof Error && "code" in error && (error.code === "ENOENT" || error.code === "ENOTDIR"))
      return undefined;
    throw unreadableFile(error, { code: "CONFIG_INVALID", file });
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
