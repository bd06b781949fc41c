/**
 * Where a workflow's failed events go during a step (docs/semantics.md, rule 10): its tasks
 * put each event that fails, with its error, under its key; the workflow executor appends
 * them as one atom to the workflow's dead-letter stream at the end of the step.
 */
import type { DeadLetter } from "../../core/errors.js";
import type { Key } from "../../core/key.js";

/** The dead letters of one step, shared by the tasks of one workflow. */
export interface DeadLetterBox {
  keys: Key[];
  values: DeadLetter[];
}

/** An empty box. */
export function deadLetterBox(): DeadLetterBox {
  return { keys: [], values: [] };
}
