/**
 * Reads the lazy query tree of Dagger SDK objects without an engine. Every SDK object keeps the
 * chain of API calls that would build it in `_ctx._queryTree`; objects passed as arguments (a
 * Directory to mount, a CacheVolume) keep their own. `ops()` turns that into plain data.
 */

/** One API call: its name and its arguments, nested objects replaced by their own calls. */
export interface Op {
  operation: string;
  args: Record<string, unknown>;
}

/** The calls that build `value` (an SDK object), outermost first. */
export function ops(value: unknown): Op[] {
  const tree: unknown = Reflect.get(Reflect.get(asObject(value), "_ctx") ?? {}, "_queryTree");
  if (!Array.isArray(tree)) throw new Error("not a Dagger SDK object: no _ctx._queryTree");
  return tree.map((entry: unknown) => {
    const operation: unknown = Reflect.get(asObject(entry), "operation");
    const args: unknown = Reflect.get(asObject(entry), "args");
    return { operation: String(operation), args: plainArgs(args) };
  });
}

/** The calls named `operation`, in order. */
export function calls(value: unknown, operation: string): Op[] {
  return ops(value).filter((op) => op.operation === operation);
}

/** The only call named `operation` (fails when there are none or several). */
export function only(value: unknown, operation: string): Op {
  const found = calls(value, operation);
  if (found.length !== 1)
    throw new Error(
      `expected one ${operation}, found ${found.length}: ${JSON.stringify(ops(value).map((op) => op.operation))}`,
    );
  const [op] = found;
  if (op === undefined) throw new Error("unreachable");
  return op;
}

/** The argv of every withExec, in order. */
export function execs(value: unknown): unknown[] {
  return calls(value, "withExec").map((op) => op.args["args"]);
}

// --- internal ---

function asObject(value: unknown): object {
  if (typeof value !== "object" || value === null) throw new Error(`expected an object, got ${String(value)}`);
  return value;
}

function isSdkObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && Reflect.get(value, "_ctx") !== undefined;
}

function plainArgs(args: unknown): Record<string, unknown> {
  if (typeof args !== "object" || args === null) return {};
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (key === "__metadata") continue;
    result[key] = plainValue(value);
  }
  return result;
}

function plainValue(value: unknown): unknown {
  if (isSdkObject(value)) return ops(value);
  if (Array.isArray(value)) return value.map(plainValue);
  return value;
}
