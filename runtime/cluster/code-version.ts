/**
 * An application's code version (docs/cluster.md, "The directory"): a hash of its graph and of
 * the code of its operators, written in its directory entry, so that what each runtime of a
 * cluster runs can be told apart (a partitioned application's workers, before and after an
 * upgrade that reached some of them). A compiled operator counts by its machine's id and
 * version (the compiler's hash of its code), a plain callback by its source text.
 */
import { createHash } from "node:crypto";
import { machineOf } from "../core/machine.js";
import { allSpecs, callbackSlots } from "../core/spec.js";
import type { Plan } from "../graph/plan.js";

/** The code version of `plan`: 16 hex digits, the same for the same graph and code wherever it runs. */
export function codeVersion(plan: Plan): string {
  const hash = createHash("sha256");
  const part = (text: string): void => void hash.update(text).update("\0");
  for (const kind of ["generators", "sequencers", "connections", "splitters", "splits"] as const) for (const node of plan[kind]) part(`${kind} ${node.path}`);
  for (const w of plan.workflows) {
    part(`workflow ${w.path} ${w.source}`);
    for (const task of w.tasks) {
      for (const spec of allSpecs(task.spec)) {
        part(`task ${task.name} ${spec.kind}`);
        for (const [slot, value] of callbackSlots(spec)) {
          const machine = machineOf(value);
          part(`${slot} ${machine !== undefined ? `${machine.id}@${machine.version}` : typeof value === "function" ? String(value) : typeof value}`);
        }
      }
    }
  }
  return hash.digest("hex").slice(0, 16);
}
