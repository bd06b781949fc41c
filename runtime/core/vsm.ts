/**
 * Virtual state machines (`vsm` tasks): per key, the task is in one of several states, each a
 * handler that returns the next state. The engine keeps the current state of every key; a
 * snapshot stores it by the state's *name*, and a restore finds the state again by that name.
 *
 * A state is code, like a function, so its name must be the same in the process that restores
 * the snapshot: either the name given to `VSM.processor(onNext, { name })`, or one derived from
 * the handler's source text (`vsm:<hash>`, with `#2`, `#3`, … for further states whose handler
 * has the same text, in the order they are defined). The table below maps names to states; it
 * is filled when states are defined (module evaluation), never by a running system, so systems
 * in one process do not share anything through it that their programs do not share.
 */

/** One state of a `vsm` task; see the module header. */
export interface VsmBehavior<T, U> {
  /** What the object is (vsm states are recognised by it). */
  readonly kind: "vsm-behavior";
  /** The state's name: how snapshots refer to it. */
  readonly name: string;
  /** Handles an event; returns the next state, or `VSM.same` to stay. */
  readonly onNext: (event: T, ctx: any) => VsmBehavior<T, U> | typeof VSM_SAME;
}

/** What a state's handler returns to stay in the current state (`VSM.same`). */
export const VSM_SAME: unique symbol = Symbol.for("portals-ts.vsm.same");

const byName = new Map<string, VsmBehavior<unknown, unknown>>();

/**
 * Defines a state.
 *
 * @throws TypeError when `onNext` is not a function, or `name` is given and another state has it
 */
export function defineVsmBehavior<T, U>(onNext: VsmBehavior<T, U>["onNext"], name?: string): VsmBehavior<T, U> {
  if (typeof onNext !== "function") throw new TypeError("VSM.processor(onNext): onNext must be a function (event, ctx) => next state or VSM.same");
  let id: string;
  if (name !== undefined) {
    if (typeof name !== "string" || name === "") throw new TypeError("VSM.processor(onNext, { name }): the name must be a non-empty string");
    if (byName.has(name)) throw new TypeError(`VSM.processor(onNext, { name: ${JSON.stringify(name)} }): another state has that name`);
    id = name;
  } else {
    const base = `vsm:${hash(String(onNext))}`;
    id = base;
    for (let n = 2; byName.has(id); n++) id = `${base}#${n}`;
  }
  const state: VsmBehavior<T, U> = { kind: "vsm-behavior", name: id, onNext };
  byName.set(id, state as VsmBehavior<unknown, unknown>);
  return state;
}

/** The state named `name`, or `undefined` when this program defines none. */
export function findVsmBehavior(name: string): VsmBehavior<unknown, unknown> | undefined {
  return byName.get(name);
}

/** True when `x` is a state made by {@link defineVsmBehavior}. */
export function isVsmBehavior(x: unknown): x is VsmBehavior<unknown, unknown> {
  return typeof x === "object" && x !== null && (x as VsmBehavior<unknown, unknown>).kind === "vsm-behavior";
}

/** FNV-1a, 32 bits, as 8 hex digits: a stable name for a handler's source text. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
