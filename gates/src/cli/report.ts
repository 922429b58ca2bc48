import { accessSync, constants, createReadStream, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ReportError, IoError, messageOf } from "../errors.js";
import { parseLedger } from "../deploy/ledger.js";
import { parseK6OutJsonStream } from "../tools/k6.js";
import { deployTimelines } from "../report/deploy-timeline.js";
import { renderHtml } from "../report/html.js";
import { REPORT_SCHEMA_ID, Report } from "../model/report.js";
import type { RegisterCommand } from "./commands.js";
import { makeDirectory } from "./out-path.js";
import { EXIT } from "./io.js";
import { referenceLine } from "./docs-page.js";

export const HTML_REPORT_FILE = "report.html";

/** `portcullis report --from report.json [--k6-stream f] [--ledger f] --out dir`: renders report.html again. */
export const registerReport: RegisterCommand = (program, io, setExit) => {
  program
    .command("report")
    .description(
      "Render report.html (self-contained: verdicts, findings, latency and deploy charts) from a report.json",
    )
    .requiredOption("--from <file>", "a report.json written by `portcullis evaluate` or `portcullis ci`")
    .option("--k6-stream <file>", "the k6 `--out json` stream, for request and error rates over time")
    .option("--ledger <file>", "a deployment ledger (JSONL), for the deploy timeline of the report's commit")
    .option("--out <dir>", "where to write report.html", ".")
    .addHelpText(
      "after",
      `\nExample:\n  portcullis report --from reports/report.json --k6-stream reports/k6.stream.ndjson --out reports\n${referenceLine("gates-and-reports")}\n`,
    )
    .action(async (options: { from: string; k6Stream?: string; ledger?: string; out: string }) => {
      const report = readReportJson(path.resolve(io.cwd, options.from), options.from);
      const series =
        options.k6Stream === undefined
          ? undefined
          : await parseK6OutJsonStream(openStream(path.resolve(io.cwd, options.k6Stream), options.k6Stream), {
              file: options.k6Stream,
            });
      const deploys =
        options.ledger === undefined
          ? undefined
          : deployTimelines(readLedger(path.resolve(io.cwd, options.ledger), options.ledger), {
              commit: report.commit,
            });
      const dir = path.resolve(io.cwd, options.out);
      const target = path.join(dir, HTML_REPORT_FILE);
      makeDirectory(dir, "--out");
      try {
        writeFileSync(target, renderHtml(report, { series, deploys }));
      } catch (error) {
        throw new IoError(`cannot write: ${messageOf(error)}`, {
          file: target,
          fix: "check that the folder is writable",
          cause: error,
        });
      }
      io.stdout(`wrote ${path.relative(io.cwd, target) || target}\n`);
      setExit(EXIT.ok);
    });
};

// --- internal ---

function readReportJson(file: string, shown: string): Report {
  const text = readText(file, shown);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new ReportError("REPORT_MALFORMED", "not valid JSON (truncated?)", {
      file: shown,
      fix: "pass the report.json written by `portcullis evaluate --out`",
      cause,
    });
  }
  const parsed = Report.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ReportError(
      "REPORT_INVALID",
      `not a ${REPORT_SCHEMA_ID} document (${issue === undefined ? "" : `${issue.path.join(".")}: ${issue.message}`})`,
      {
        file: shown,
        fix: "pass the report.json written by `portcullis evaluate --out` with this version of Portcullis",
      },
    );
  }
  return parsed.data;
}

function readLedger(file: string, shown: string): ReturnType<typeof parseLedger> {
  try {
    return parseLedger(readText(file, shown));
  } catch (cause) {
    if (cause instanceof RangeError) {
      throw new ReportError("REPORT_INVALID", cause.message, {
        file: shown,
        fix: "run `portcullis ledger verify` and repair or restore the ledger",
        cause,
      });
    }
    throw cause;
  }
}

function readText(file: string, shown: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (cause) {
    const code = cause instanceof Error && "code" in cause ? cause.code : undefined;
    if (code === "EISDIR") {
      throw new ReportError("REPORT_MISSING", "is a folder, expected a file", {
        file: shown,
        fix: "give the path of the file itself, not of the folder holding it",
        cause,
      });
    }
    throw new ReportError("REPORT_MISSING", `cannot read the file: ${messageOf(cause)}`, {
      file: shown,
      fix: "check the path",
      cause,
    });
  }
}

function openStream(file: string, shown: string): AsyncIterable<Uint8Array> {
  try {
    accessSync(file, constants.R_OK);
  } catch (cause) {
    throw new ReportError("REPORT_MISSING", "cannot read the k6 stream", {
      file: shown,
      fix: "pass the file written by `k6 run --out json=<file>`",
      cause,
    });
  }
  return createReadStream(file);
}
