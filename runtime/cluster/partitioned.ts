/**
 * What a partitioned application may be (docs/cluster.md, "Partitioned applications"). A
 * partition takes the events of the streams it reads from other runtimes whose key hashes to
 * it, so every event of a key, and so its state, is in one partition. That holds only while
 * the events keep the keys they arrived with and come from those streams alone.
 */
import { showPartition } from "../core/partition.js";
import { allSpecs } from "../core/spec.js";
import type { Plan } from "../graph/plan.js";

/** Why `plan` (a partition) cannot run partitioned, one message per problem; empty when it can. */
export function partitionProblems(plan: Plan): string[] {
  if (plan.partition === undefined) return [];
  const problems: string[] = [];
  const as = `as partition ${showPartition(plan.partition)}`;
  for (const g of plan.generators.filter((g) => !g.internal)) {
    problems.push(`generator ${g.path}: ${as}, the application reads its events from streams of other applications (each partition would take every event of a generator of its own); put the generator in an application that is not partitioned, and read its stream`);
  }
  for (const w of plan.workflows) {
    for (const t of w.tasks) {
      if (allSpecs(t.spec).some((s) => s.kind === "key")) {
        problems.push(`task ${t.name} of ${w.path} keys its events anew: ${as}, a key's events must all reach one partition, which holds the keys of the streams it reads; key the events in the application that produces the stream`);
      }
    }
    for (const portal of w.portals?.serves.keys() ?? []) {
      problems.push(`${w.path} serves portal ${portal}: ${as}, the application's portals cannot be asked yet (docs/cluster.md, "Partitioned applications"); serve it from an application that is not partitioned`);
    }
  }
  return problems;
}
