import { withoutUrlPasswords } from "../findings/redact.js";
import type { ToolError } from "../findings/finding.js";

/**
 * What trivy's own log says it could not do, as warnings of its report. trivy exits 0 after it
 * skipped a file: an IaC file it could not parse (`ERROR [terraform parser] Error parsing file`),
 * or the checks bundle it could not download (`ERROR [misconfig] Falling back to embedded
 * checks`): its report then looks complete. (A lockfile it could not parse is logged at debug
 * level only, which would make the log about a kilobyte per scanned file: not read.)
 *
 * A line is `<time>\t<LEVEL>\t<message>\t<key>=<value> …` (trivy's pkg/log handler without colour),
 * values quoted as Go quotes them when they hold spaces; a fatal error's cause follows as plain
 * text. Other lines are skipped.
 */
export function trivyLogProblems(log: string): ToolError[] {
  const problems = new Map<string, ToolError>();
  let more = 0;
  for (const line of log.split("\n")) {
    const [, level, message, attributes = ""] = line.split("\t");
    if (message === undefined || (level !== "ERROR" && level !== "FATAL")) continue;
    const fields = fieldsOf(attributes);
    const path = fields.get("file_path");
    const cause = /^[\w.]+=/.test(attributes) ? fields.get("err") : attributes.trim() || undefined;
    const text = oneLine(`trivy: ${message}${cause === undefined ? "" : `: ${cause}`}`);
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
  const flat = withoutUrlPasswords(text.replace(/\s+/g, " ")).trim();
  return flat.length > LONGEST ? `${flat.slice(0, LONGEST - 1)}…` : flat;
}
