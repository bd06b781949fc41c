/**
 * Where a workflow's failed events go during a step (docs/semantics.md, rule 10): its tasks
 * put each event that fails, with its error, under its key; the workflow executor appends
 * them as one atom to the workflow's dead-letter stream at the end of the step.
 */
import type { DeadLetter, OperatorError } from "../../core/errors.js";
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

/** Puts `event`, failed with `error` under `key`, in `box`. */
export function post(box: DeadLetterBox, key: Key, event: unknown, error: OperatorError): void {
  box.keys.push(key);
  box.values.push({ event, error });
}

/** The dead letters in `box` so far, leaving it empty. */
export function take(box: DeadLetterBox): { readonly keys: Key[]; readonly values: DeadLetter[] } {
  const taken = { keys: box.keys, values: box.values };
  box.keys = [];
  box.values = [];
  return taken;
}
