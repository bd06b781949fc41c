/**
 * `VSM`: the states of `vsm` tasks (reference `VSMTasks`). Each key of a `vsm` task is in one
 * state; a state's handler returns the next state, or `VSM.same`. How states are named and found
 * again after a restore is described in `core/vsm.ts`.
 */
import type { ProcessorContext } from "../core/context.js";
import { defineVsmBehavior, VSM_SAME, type VsmBehavior } from "../core/vsm.js";

/** Options of `VSM.processor`. */
export interface VsmOptions {
  /**
   * The state's name in snapshots (unique in the program). Without it the name is derived from
   * the handler's source text, so editing the handler makes older snapshots unrestorable.
   */
  readonly name?: string;
}

/** Virtual state machines: per-key behaviours for `vsm`. */
export const VSM = {
  /**
   * A state whose handler returns the next state (or `VSM.same`).
   *
   * @throws TypeError when `onNext` is not a function, or the name is taken
   */
  processor<T, U>(onNext: (event: T, ctx: ProcessorContext<U>) => VsmBehavior<T, U> | typeof VSM_SAME, options: VsmOptions = {}): VsmBehavior<T, U> {
    return defineVsmBehavior<T, U>(onNext, options.name);
  },
  /** Returned by a state's handler to stay in the current state. */
  same: VSM_SAME,
} as const;
