/**
 * Atoms: the transactional batches of an atomic stream (docs/semantics.md, rule 1). Events travel as two
 * parallel arrays (keys and values) per atom, never as per-event wrappers.
 */
import type { OperatorError } from "../core/errors.js";
import type { Key } from "../core/key.js";
import { vouchDense } from "../state/codec.js";

/**
 * Events of one atom, or the output of one task for one atom. The arrays of an output being
 * filled may be replaced by larger ones (`TaskContextImpl.target`); an atom's never change.
 */
export interface Batch {
  keys: Key[];
  values: unknown[];
  /** Set when the atom failed upstream or in this task (docs/semantics.md, rule 10). */
  error: OperatorError | undefined;
}

/** One entry of an atomic stream. */
export interface Atom extends Batch {
  readonly keys: Key[];
  readonly values: unknown[];
  /** The end of the stream: its events (emitted by `onComplete` upstream) come last. */
  readonly seal: boolean;
  /** Internal portal traffic (values are portal messages), not user events. */
  readonly portal: boolean;
}

/** A new empty batch. */
export function batch(): Batch {
  return { keys: [], values: [], error: undefined };
}

/**
 * An atom with the given events and flags. `keys` and `values` are the engine's own arrays,
 * dense and without other properties, which nothing changes from now on: the codec is told so
 * (`vouchDense`), and checks their elements only.
 */
export function atom(keys: Key[], values: unknown[], error: OperatorError | undefined, seal: boolean, portal: boolean): Atom {
  vouchDense(keys);
  vouchDense(values);
  return { keys, values, error, seal, portal };
}

/** The seal atom a source ends with. */
export function sealAtom(): Atom {
  return atom([], [], undefined, true, false);
}

/** True when the batch carries neither events nor an error. */
export function isEmpty(b: Batch): boolean {
  return b.values.length === 0 && b.error === undefined;
}
