// Runs GitHub's own workflow parser (the one behind the Actions language service) over the files
// named on the command line and prints one JSON line: { file: errors[] }. Run through tsx: the
// parser imports its schema as a JSON module, which plain Node 20 refuses.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";

const result: Record<string, string[]> = {};
for (const path of process.argv.slice(2)) {
  const parsed = parseWorkflow(
    { name: basename(path), content: readFileSync(path, "utf8") },
    new NoOperationTraceWriter(),
  );
  if (parsed.value !== undefined) {
    // Conversion finds what parsing alone does not (unknown `needs`, bad matrix, bad cron).
    await convertWorkflowTemplate(parsed.context, parsed.value);
  }
  const errors = parsed.context.errors.getErrors().map((error) => error.message);
  if (parsed.value === undefined && errors.length === 0) errors.push("the parser returned no workflow");
  result[path] = errors;
}
process.stdout.write(`${JSON.stringify(result)}\n`);
