import type { ResolvedFile } from "../crossref.js";
import { cycleThrough, cyclicComponents } from "../graph.js";
import type { RawFinding } from "../rule-ids.js";

/**
 * Rule 4: cycles in the module dependency graph (edges: resolved references from dependency tags).
 * Each strongly connected component is reported once, at the first edge of one concrete cycle.
 */
export function referenceCycles(files: readonly ResolvedFile[]): RawFinding[] {
  const graph = new Map<string, string[]>();
  const firstEdge = new Map<string, { line: number; column: number }>();
  for (const file of files) {
    const from = file.facts.path;
    for (const { reference, resolution } of file.references) {
      if (!reference.dependency || resolution.kind !== "found") continue;
      const successors = graph.get(from) ?? [];
      if (!successors.includes(resolution.path)) successors.push(resolution.path);
      graph.set(from, successors);
      const edge = `${from}\u0000${resolution.path}`;
      if (!firstEdge.has(edge)) firstEdge.set(edge, { line: reference.line, column: reference.column });
    }
  }
  for (const successors of graph.values()) successors.sort();
  return cyclicComponents(graph).map((component) => {
    const cycle = cycleThrough(graph, component);
    const start = cycle[0] ?? "";
    const at = firstEdge.get(`${start}\u0000${cycle[1] ?? start}`) ?? { line: 1, column: 1 };
    const size = component.length > cycle.length - 1 ? ` (${component.length} files depend on each other in all)` : "";
    return {
      ruleId: "reference-cycle",
      path: start,
      ...at,
      message: `dependency cycle: ${cycle.join(" → ")}${size}. Fix: remove one of the dependencies, or move what both need into a module of its own.`,
      target: component.join("\u0000"),
    };
  });
}
