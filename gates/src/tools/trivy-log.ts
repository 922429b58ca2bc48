import { REDACTED } from "../findings/redact.js";
import type { ToolError } from "../findings/finding.js";

/**
 * What trivy's own log says it could not do, as warnings of its report. trivy exits 0 after it
 * skipped a file: an IaC file it could not parse (`ERROR [terraform parser] Error parsing file`),
 * the checks bundle it could not download (`ERROR [misconfig] Falling back to embedded checks`),
 * and, at debug level only, a lockfile it could not parse (`DEBUG Walk error … failed to parse
 * package-lock.json`): its report then looks complete. The adapter runs trivy with `--debug` so
 * that the last is logged at all.
 *
 * A line is `<time>\t<LEVEL>\t<message>\t<key>=<value> …` (trivy's pkg/log handler without colour),
 * values quoted as Go quotes them when they hold spaces. Other lines (a stack trace's) are skipped.
 */
export function trivyLogProblems(log: string): ToolError[] {
  const problems = new Map<string, ToolError>();
  let more = 0;
  for (const line of log.split("\n")) {
    const [, level, message, attributes] = line.split("\t");
    if (level === undefined || message === undefined) continue;
    const skipped = level === "DEBUG" && message === "Walk error";
    if (level !== "ERROR" && level !== "FATAL" && !skipped) continue;
    const fields = fieldsOf(attributes ?? "");
    const path = fields.get("file_path");
    const cause = fields.get("err") ?? fields.get("err.message");
    const text = oneLine(
      skipped
        ? `trivy skipped ${path ?? "a file"}: ${cause ?? "it could not read it"}`
        : `trivy: ${message}${cause === undefined ? "" : `: ${cause}`}`,
    );
    const key = `${text}\u0000${path ?? ""}`;
    if (problems.has(key)) continue;
    if (problems.size >= MOST_PROBLEMS) {
      more += 1;
      continue;
    }
    problems.set(key, { level: "warning", message: text, ...(path === undefined ? {} : { path }) });
  }
  const found = [...problems.values()];
  if (more > 0) found.push({ level: "warning", message: `trivy logged ${more} more problems (see its log)` });
  return found;
}

// --- internal ---

/** Warnings kept from one log: the rest are counted. */
const MOST_PROBLEMS = 50;
const LONGEST = 400;

/** `key=value key="quoted value"` pairs; a quoted value is read as the JSON string it is written as. */
function fieldsOf(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const match of text.matchAll(/([\w.]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const [, key = "", raw = ""] = match;
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = String(JSON.parse(raw));
      } catch {
        value = raw.slice(1, -1);
      }
    }
    fields.set(key, value);
  }
  return fields;
}

/** One line, bounded, and without a URL's password (a mirror's `https://user:token@host` in an error). */
function oneLine(text: string): string {
  const flat = text
    .replace(/\s+/g, " ")
    .replace(/(\b[a-z][\w+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, `$1${REDACTED}@`)
    .trim();
  return flat.length > LONGEST ? `${flat.slice(0, LONGEST - 1)}…` : flat;
}
