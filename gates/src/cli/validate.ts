import { writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Log } from "sarif";
import { UsageError, IoError, isFsError, messageOf } from "../errors.js";
import type { FindingsDocument } from "../findings/format.js";
import { formatCount } from "../report/format-count.js";
import { prettyJsonPieces } from "../report/pretty-json.js";
import { describeIssues, schemaIssues } from "../zod-issues.js";
import type { TextStyle } from "../validate/render.js";
import type { RegisterCommand } from "./commands.js";
import { EXIT, liveProgress, useColor, type CliIo } from "./io.js";
import { makeDirectory } from "./out-path.js";
import { referenceLine } from "./docs-page.js";
import { writePieces } from "./write-pieces.js";

const FORMATS = ["text", "json", "sarif"] as const;

const Flags = z
  .object({
    config: z.string().min(1).optional(),
    format: z.enum(FORMATS),
    out: z.string().min(1).optional(),
  })
  .strict();

/** `portcullis validate`: integrity of a Markdown agent framework or docs tree. */
export const registerValidate: RegisterCommand = (program, io, setExit) => {
  program
    .command("validate")
    .description(
      "Check a Markdown framework or docs tree: links, @includes, references, dependency cycles, XML, front matter, " +
        "token budgets, code fences, markdownlint. Exit 0 clean or advisory findings only, 1 integrity findings, 2 bad usage or config",
    )
    .argument("[dir]", "the repository root: links resolve from it and portcullis.yml is read there", ".")
    .option("--config <file>", "read this file instead of <dir>/portcullis.yml")
    .option("--format <format>", `what to print: ${FORMATS.join(", ")} (json: portcullis.findings/v1)`, "text")
    .option("--out <dir>", "also write validate.json and validate.sarif to dir")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  portcullis validate",
        "  portcullis validate docs-site --format json > validate.json",
        "  portcullis validate . --out reports/   (then: portcullis evaluate --report validate=reports/validate.json)",
        "",
        referenceLine("validate"),
        "",
      ].join("\n"),
    )
    .action(async (dir: string, options: unknown) => {
      setExit(await runValidate(dir, options, io));
    });
};

// --- internal ---

async function runValidate(dir: string, options: unknown, io: CliIo): Promise<number> {
  const parsed = Flags.safeParse(options);
  if (!parsed.success) {
    throw new UsageError("USAGE", describeIssues(schemaIssues(parsed.error)), {
      fix: `--format takes one of ${FORMATS.join(", ")}`,
    });
  }
  const flags = parsed.data;
  // Loaded on use: markdownlint is heavy, and every other command would pay for it at start-up.
  const [{ hasBlockingFindings, toFindingsDocument, validateRepository }, { renderSarif, renderText }] =
    await Promise.all([import("../validate/index.js"), import("../validate/render.js")]);
  const root = path.resolve(io.cwd, dir);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const progress = progressLine(io, started);
  let result;
  try {
    result = await validateRepository(root, {
      configFile: flags.config === undefined ? undefined : path.resolve(io.cwd, flags.config),
      onProgress: progress.update,
    });
  } finally {
    progress.clear();
  }
  if (result.filesScanned === 0) {
    io.stderr(`portcullis validate: warning: no Markdown file under ${dir} to check: nothing was judged\n`);
  }
  const used = process.cpuUsage(cpu);
  const timing = { wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
  const document = toFindingsDocument(result);
  if (flags.out !== undefined) writeOutputs(path.resolve(io.cwd, flags.out), document, renderSarif(result));
  if (flags.format === "json") for (const piece of documentText(document)) io.stdout(piece);
  else if (flags.format === "sarif") io.stdout(`${JSON.stringify(renderSarif(result), null, 2)}\n`);
  else io.stdout(renderText(result, useColor(io) ? COLORS : undefined, timing));
  return hasBlockingFindings(result.findings) ? EXIT.blocked : EXIT.ok;
}

/** The findings document as `JSON.stringify(document, null, 2)` and a newline would write it, in pieces. */
function* documentText(document: FindingsDocument): Generator<string> {
  yield* prettyJsonPieces(document, "findings");
  yield "\n";
}

function writeOutputs(out: string, document: FindingsDocument, sarif: Log): void {
  makeDirectory(out, "--out");
  try {
    writePieces(path.join(out, "validate.json"), documentText(document));
    writeFileSync(path.join(out, "validate.sarif"), `${JSON.stringify(sarif, null, 2)}\n`);
  } catch (error) {
    // Only the file system's errors are the folder's fault; a renderer's error is a bug, reported as one.
    if (!isFsError(error)) throw error;
    throw new IoError(`cannot write the reports: ${messageOf(error)}`, {
      file: out,
      fix: "give --out a folder you can write to",
      cause: error,
    });
  }
}

/** Progress shown on a terminal once a run has taken a second; nothing otherwise. */
const PROGRESS_AFTER_MS = 1_000;
const PROGRESS_EVERY_MS = 100;

/**
 * `validate: 2,345 of 10,000 files` on stderr, rewritten in place on a terminal; never in a pipe or
 * a CI log, where it would only add lines. Cleared before the results are printed.
 */
export function progressLine(
  io: CliIo,
  started: number,
): { update: (done: number, total: number) => void; clear: () => void } {
  let shown = false;
  let last = 0;
  return {
    update(done, total) {
      const now = performance.now();
      if (!liveProgress(io) || now - started < PROGRESS_AFTER_MS || (now - last < PROGRESS_EVERY_MS && done < total))
        return;
      last = now;
      shown = true;
      io.stderr(`\rvalidate: ${formatCount(done)} of ${formatCount(total)} files`);
    },
    clear() {
      if (shown) io.stderr("\r\u001b[2K");
    },
  };
}

const COLORS: TextStyle = {
  path: (text) => `\u001b[1m${text}\u001b[22m`,
  rule: (text, finding) =>
    finding.severity === "high" ? `\u001b[31m${text}\u001b[39m` : `\u001b[33m${text}\u001b[39m`,
};
