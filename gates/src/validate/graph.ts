/** A directed graph as adjacency lists; nodes are file paths. */
export type Graph = ReadonlyMap<string, readonly string[]>;

/**
 * Strongly connected components with Tarjan's algorithm (iterative, so deep chains cannot overflow
 * the stack). Only components that contain a cycle are returned: two or more nodes, or one node
 * with an edge to itself. Nodes and components come out sorted, so the result is deterministic.
 */
export function cyclicComponents(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  for (const root of [...graph.keys()].sort()) {
    if (index.has(root)) continue;
    const work: { node: string; next: number }[] = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter);
    counter += 1;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame === undefined) break;
      const successors = graph.get(frame.node) ?? [];
      const successor = successors[frame.next];
      if (successor !== undefined) {
        frame.next += 1;
        if (!index.has(successor)) {
          index.set(successor, counter);
          low.set(successor, counter);
          counter += 1;
          stack.push(successor);
          onStack.add(successor);
          work.push({ node: successor, next: 0 });
        } else if (onStack.has(successor)) {
          low.set(frame.node, Math.min(low.get(frame.node) ?? 0, index.get(successor) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(frame.node) ?? 0));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      for (;;) {
        const member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
        if (member === frame.node) break;
      }
      const only = component[0];
      if (component.length > 1 || (only !== undefined && (graph.get(only) ?? []).includes(only))) {
        components.push(component.sort());
      }
    }
  }
  return components.sort((a, b) => compare(a[0] ?? "", b[0] ?? ""));
}

/**
 * One concrete cycle through the component's first node: the shortest way back to it inside the
 * component (breadth-first). Returns `[a, b, …, a]`.
 */
export function cycleThrough(graph: Graph, component: readonly string[]): string[] {
  const start = component[0];
  if (start === undefined) return [];
  const members = new Set(component);
  const previous = new Map<string, string>();
  const queue: string[] = [start];
  for (let head = 0; head < queue.length; head += 1) {
    const node: string = queue[head] ?? start;
    for (const successor of graph.get(node) ?? []) {
      if (!members.has(successor)) continue;
      if (successor === start) return [...pathTo(previous, start, node), start];
      if (previous.has(successor)) continue;
      previous.set(successor, node);
      queue.push(successor);
    }
  }
  return [start, start];
}

// --- internal ---

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pathTo(previous: ReadonlyMap<string, string>, start: string, node: string): string[] {
  const path = [node];
  for (let current = node; current !== start;) {
    const before = previous.get(current);
    if (before === undefined) break;
    path.push(before);
    current = before;
  }
  return path.reverse();
}
