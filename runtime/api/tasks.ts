/**
 * Tasks: the operators of a workflow (DESIGN §4). A {@link Task} is an immutable description
 * (a {@link TaskSpec}); the engine instantiates it per system when an application launches.
 * `Tasks.*` builds tasks standalone; the workflow builder's methods build the same tasks.
 * Semantics follow the Portals reference (`TaskBuilder.scala`, `FlowBuilder.scala`).
 */
import type { Key, Machine } from "../engine/machine.js";
import type { MapContext, ProcessorContext, ReplierContext } from "./context.js";
import type { OperatorError } from "./errors.js";
import type { PortalRef } from "./refs.js";

/** An operator callback, or the machine the compiler made of an async one. */
export type Callback = ((...args: any[]) => unknown) | Machine;

/** Hook overrides set by `withOnNext`, `withOnAtomComplete`, `withOnComplete`, `withOnError`. */
export interface Hooks {
  readonly onNext?: Callback;
  readonly onAtomComplete?: (ctx: any) => void;
  readonly onComplete?: (ctx: any) => void;
  readonly onError?: (error: OperatorError, ctx: any) => void;
}

/** A per-key state machine state for `vsm` (see {@link VSM}). */
export interface VsmBehavior<T, U> {
  readonly kind: "vsm-behavior";
  /**
   * Number of the state in definition order within this process: a snapshot stores a key's
   * current state by it, so the same program restores it.
   */
  readonly id: number;
  /** Handles an event; returns the next state, or `VSM.same` to stay. */
  readonly onNext: (event: T, ctx: ProcessorContext<U>) => VsmBehavior<T, U> | typeof VSM_SAME;
}

const VSM_SAME: unique symbol = Symbol("VSM.same");

/** Every vsm state defined in this process, by id. */
const vsmStates: VsmBehavior<unknown, unknown>[] = [];

/** The plain description of a task. `kind` selects the behaviour; see each `Tasks.*` factory. */
export type TaskSpec = (
  | { readonly kind: "map" | "filter" | "flatMap" | "processor" | "key"; readonly fn: Callback }
  | { readonly kind: "identity" }
  | { readonly kind: "logger"; readonly prefix: string }
  | { readonly kind: "init"; readonly factory: (ctx: any) => Task<any, any> }
  | { readonly kind: "asker"; readonly asks: readonly PortalRef<any, any>[]; readonly fn: Callback }
  | {
      readonly kind: "replier";
      readonly asks: readonly PortalRef<any, any>[];
      readonly replies: PortalRef<any, any>;
      readonly fn: Callback;
      readonly onAsk: Callback;
    }
  | { readonly kind: "vsm"; readonly initial: VsmBehavior<any, any> }
  | { readonly kind: "steps"; readonly steps: readonly { readonly spec: TaskSpec; readonly atoms: number }[] }
  | { readonly kind: "andThen"; readonly first: TaskSpec; readonly second: TaskSpec }
  | { readonly kind: "wrapper"; readonly inner: TaskSpec; readonly wrapper: (...args: any[]) => void }
) & { readonly name?: string; readonly hooks?: Hooks };

/**
 * An operator from events of type `T` to events of type `U`. Immutable: every `with*` method
 * returns a new task.
 */
export class Task<T, U> {
  /** Phantom marker of the input and output types. */
  declare readonly __types?: (input: T) => U;

  /** @param spec the plain description the engine runs */
  constructor(readonly spec: TaskSpec) {}

  /** Names the task (its path is `<workflow>/<name>`; names must be unique in a workflow). */
  withName(name: string): Task<T, U> {
    return new Task({ ...this.spec, name });
  }

  /** Replaces the event handler: `(event, ctx) => void`, emitting with `ctx.emit`. */
  withOnNext(onNext: (event: T, ctx: ProcessorContext<U>) => void | Promise<unknown>): Task<T, U> {
    return this.withHooks({ onNext });
  }

  /** Runs `hook` after each atom's events, before its boundary (DESIGN §5.1). */
  withOnAtomComplete(hook: (ctx: ProcessorContext<U>) => void): Task<T, U> {
    return this.withHooks({ onAtomComplete: hook });
  }

  /** Runs `hook` once when the input stream ends (seal); never for the seal atom itself. */
  withOnComplete(hook: (ctx: ProcessorContext<U>) => void): Task<T, U> {
    return this.withHooks({ onComplete: hook });
  }

  /** Runs `hook` when an atom arrives failed from upstream (DESIGN §5.10). */
  withOnError(hook: (error: OperatorError, ctx: ProcessorContext<U>) => void): Task<T, U> {
    return this.withHooks({ onError: hook });
  }

  /**
   * Alternates behaviours atom by atom: this task handles one atom, then `next` handles one,
   * and so on, wrapping around (reference `withStep`).
   */
  withStep(next: Task<T, U>): Task<T, U> {
    return this.withSteps(next.spec, 1);
  }

  /** Like {@link withStep}, but `next` handles `atoms` consecutive atoms (reference `withLoop`). */
  withLoop(atoms: number, next: Task<T, U>): Task<T, U> {
    if (!Number.isInteger(atoms) || atoms < 1) {
      throw new RangeError(`withLoop(${String(atoms)}, ...): the atom count must be a positive integer`);
    }
    return this.withSteps(next.spec, atoms);
  }

  /** Fuses `next` into this task: what this task emits is processed by `next` at once. */
  withAndThen<V>(next: Task<U, V>): Task<T, V> {
    return new Task({ kind: "andThen", first: this.spec, second: next.spec, ...nameOf(this.spec) });
  }

  /**
   * Wraps the event handler: `wrapper(event, ctx, next)` may call `next(event)` (the wrapped
   * handler) zero or more times, before or after its own work.
   */
  withWrapper(wrapper: (event: T, ctx: ProcessorContext<U>, next: (event: T) => void) => void): Task<T, U> {
    return new Task({ kind: "wrapper", inner: this.spec, wrapper, ...nameOf(this.spec) });
  }

  private withHooks(hooks: Hooks): Task<T, U> {
    return new Task({ ...this.spec, hooks: { ...this.spec.hooks, ...hooks } } as TaskSpec);
  }

  private withSteps(next: TaskSpec, atoms: number): Task<T, U> {
    const steps = this.spec.kind === "steps" ? this.spec.steps : [{ spec: this.spec, atoms: 1 }];
    return new Task({ kind: "steps", steps: [...steps, { spec: next, atoms }], ...nameOf(this.spec) });
  }
}

function nameOf(spec: TaskSpec): { name?: string } {
  return spec.name === undefined ? {} : { name: spec.name };
}

/** One portal ref or several. */
export type Portals = PortalRef<any, any> | readonly PortalRef<any, any>[];

/** Normalizes {@link Portals} to an array. */
export function portalList(portals: Portals): readonly PortalRef<any, any>[] {
  return Array.isArray(portals) ? portals : [portals as PortalRef<any, any>];
}

/** Factories for standalone tasks; `flow.task(t)` adds one to a workflow. */
export const Tasks = {
  /** Emits `fn(event, ctx)` for each event. */
  map<T, U>(fn: (event: T, ctx: MapContext) => U): Task<T, U> {
    return new Task({ kind: "map", fn });
  },
  /** Emits the events for which `predicate(event, ctx)` is true. */
  filter<T>(predicate: (event: T, ctx: MapContext) => boolean): Task<T, T> {
    return new Task({ kind: "filter", fn: predicate });
  },
  /** Emits every element of the iterable `fn(event, ctx)` returns. */
  flatMap<T, U>(fn: (event: T, ctx: MapContext) => Iterable<U>): Task<T, U> {
    return new Task({ kind: "flatMap", fn });
  },
  /** Runs `fn(event, ctx)`, which emits with `ctx.emit` (zero or more events). */
  processor<T, U>(fn: (event: T, ctx: ProcessorContext<U>) => void | Promise<unknown>): Task<T, U> {
    return new Task({ kind: "processor", fn });
  },
  /** Re-keys each event with `fn(event)` (a string or finite number) and forwards it. */
  key<T>(fn: (event: T) => Key): Task<T, T> {
    return new Task({ kind: "key", fn });
  },
  /** Forwards every event unchanged. */
  identity<T>(): Task<T, T> {
    return new Task({ kind: "identity" });
  },
  /** Logs `prefix + format(event)` at info level and forwards the event (DESIGN §4). */
  logger<T>(prefix = ""): Task<T, T> {
    return new Task({ kind: "logger", prefix });
  },
  /**
   * Builds the task when the workflow is instantiated (at launch, and again on restore), with a
   * context for state handles. The factory must not create portal tasks.
   */
  init<T, U>(factory: (ctx: ProcessorContext<U>) => Task<T, U>): Task<T, U> {
    return new Task({ kind: "init", factory });
  },
  /**
   * An asker: handles each event with `fn`, which may `await portal.request(...)` on the declared
   * portals (compiled by `tspc` or the plugin/hook) and emits with `ctx.emit`.
   */
  asker<T, U>(portals: Portals, fn: (event: T, ctx: ProcessorContext<U>) => void | Promise<unknown>): Task<T, U> {
    return new Task({ kind: "asker", asks: portalList(portals), fn });
  },
  /**
   * A replier: `onNext` handles the stream's events, `onAsk` serves requests to `portal` and
   * answers with `ctx.reply` (a request served without a reply fails with an error reply).
   */
  replier<T, U, Req, Rep>(
    portal: PortalRef<Req, Rep>,
    onNext: (event: T, ctx: ProcessorContext<U>) => void,
    onAsk: (request: Req, ctx: ReplierContext<U, Rep>) => void,
  ): Task<T, U> {
    return new Task({ kind: "replier", asks: [], replies: portal, fn: onNext, onAsk });
  },
  /**
   * An asker and a replier in one task: both callbacks may await the `asks` portals; `onAsk`
   * may reply after awaiting, and the reply answers the original request (DESIGN §5.9).
   */
  askerReplier<T, U, Req, Rep>(
    asks: Portals,
    portal: PortalRef<Req, Rep>,
    onNext: (event: T, ctx: ProcessorContext<U>) => void | Promise<unknown>,
    onAsk: (request: Req, ctx: ReplierContext<U, Rep>) => void | Promise<unknown>,
  ): Task<T, U> {
    return new Task({ kind: "replier", asks: portalList(asks), replies: portal, fn: onNext, onAsk });
  },
  /** A per-key state machine starting in `initial` (see {@link VSM}). */
  vsm<T, U>(initial: VsmBehavior<T, U>): Task<T, U> {
    return new Task({ kind: "vsm", initial });
  },
};

/** Virtual state machines: per-key behaviours for `vsm` (reference `VSMTasks`). */
export const VSM = {
  /** A state whose handler returns the next state (or `VSM.same`). */
  processor<T, U>(onNext: (event: T, ctx: ProcessorContext<U>) => VsmBehavior<T, U> | typeof VSM_SAME): VsmBehavior<T, U> {
    const behavior: VsmBehavior<T, U> = { kind: "vsm-behavior", id: vsmStates.length, onNext };
    vsmStates.push(behavior as VsmBehavior<unknown, unknown>);
    return behavior;
  },
  /**
   * The state with number `id` ({@link VsmBehavior.id}).
   *
   * @throws Error when no state has that number in this process
   */
  byId(id: number): VsmBehavior<unknown, unknown> {
    const found = vsmStates[id];
    if (found === undefined) throw new Error(`no vsm state number ${id} is defined in this process (the snapshot comes from a program that defines more VSM.processor states)`);
    return found;
  },
  /** Returned by a state's handler to stay in the current state. */
  same: VSM_SAME,
};

/** The task specs directly inside a combinator spec (`steps`, `andThen`, `wrapper`). */
export function nestedSpecs(spec: TaskSpec): readonly TaskSpec[] {
  switch (spec.kind) {
    case "steps":
      return spec.steps.map((s) => s.spec);
    case "andThen":
      return [spec.first, spec.second];
    case "wrapper":
      return [spec.inner];
    default:
      return [];
  }
}

/** The callback slots of `spec` itself (not of nested specs), as `[what, value]` pairs. */
export function callbackSlots(spec: TaskSpec): [string, unknown][] {
  const slots: [string, unknown][] = Object.entries(spec.hooks ?? {});
  switch (spec.kind) {
    case "map":
    case "filter":
    case "flatMap":
    case "processor":
    case "key":
    case "asker":
      slots.push(["the callback", spec.fn]);
      break;
    case "replier":
      slots.push(["the event handler (onNext)", spec.fn], ["the request handler (onAsk)", spec.onAsk]);
      break;
    case "init":
      slots.push(["the factory", spec.factory]);
      break;
    case "wrapper":
      slots.push(["the wrapper", spec.wrapper]);
      break;
    default:
  }
  return slots;
}

/** `spec` and every spec nested in it, depth first. */
export function allSpecs(spec: TaskSpec): TaskSpec[] {
  return [spec, ...nestedSpecs(spec).flatMap(allSpecs)];
}
