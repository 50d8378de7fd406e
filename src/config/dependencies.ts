import { type Identified, idsOf } from "./identity.ts";

/** The least the start-order checks need of a process definition. */
export interface Dependent extends Identified {
  dependsOn?: string[];
}

export type DependencyProblem =
  | { kind: "unknown"; index: number; id: string; dependency: string }
  | { kind: "cycle"; index: number; path: string[] };

/**
 * Unknown ids and cycles in `dependsOn` (SPEC §8.4). A dependency may name a process, a cluster
 * or one cluster instance; cycles are found between configured processes (an instance belongs to
 * its cluster), and each cycle is reported once, as the path that closes it (`a → b → a`).
 */
export function dependencyProblems(processes: ReadonlyArray<Dependent>): DependencyProblem[] {
  const ids = idsOf(processes);
  const problems: DependencyProblem[] = [];
  const edges = new Map<number, number[]>();
  const indexOf = new Map(processes.map((p, i) => [p, i]));
  processes.forEach((process, index) => {
    const targets: number[] = [];
    for (const dependency of process.dependsOn ?? []) {
      const target = ids.get(dependency.toLowerCase());
      if (!target) problems.push({ kind: "unknown", index, id: process.id, dependency });
      else targets.push(indexOf.get(target.process)!);
    }
    edges.set(index, targets);
  });

  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const colour = processes.map(() => WHITE);
  const stack: number[] = [];
  const visit = (node: number): void => {
    colour[node] = GREY;
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (colour[next] === GREY) {
        const cycle = stack.slice(stack.indexOf(next)).concat(next);
        problems.push({ kind: "cycle", index: next, path: cycle.map((i) => processes[i].id) });
      } else if (colour[next] === WHITE) {
        visit(next);
      }
    }
    stack.pop();
    colour[node] = BLACK;
  };
  processes.forEach((_, i) => {
    if (colour[i] === WHITE) visit(i);
  });
  return problems;
}
