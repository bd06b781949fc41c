/**
 * Tasks: the operators of a workflow. A {@link Task} is an immutable description (a `TaskSpec`,
 * `core/spec.ts`); the engine instantiates it per system when an application launches.
 * `Tasks.*` builds tasks standalone; the workflow builder's methods build the same tasks.
 * Semantics follow the Portals reference (`TaskBuilder.scala`, `FlowBuilder.scala`).
 */
import type { MapContext, ProcessorContext, ReplierContext } from "../core/context.js";
import type { OperatorError } from "../core/errors.js";
import type { Key } from "../core/key.js";
import type { Hooks, TaskSpec } from "../core/spec.js";
import type { VsmBehavior } from "../core/vsm.js";
import type { PortalRef } from "./refs.js";

/**
 * An operator from events of type `T` to events of type `U`. Immutable: every `with*` method
 * returns a new task.
 */
export class Task<T, U> {
  /** Phantom marker of the input and output types. */
  declare readonly __types?: (input: T) => U;

  /** @internal build tasks with `Tasks.*`; `spec` is the plain description the engine runs */
  constructor(
    /** @internal the plain description the engine runs (`core/spec.ts`) */
    readonly spec: TaskSpec,
  ) {}

  /**
   * Names the task (unique in its workflow): messages, logs, `app.explain()` and snapshots use
   * the name. Without one a task is called `<kind>#<position>`, e.g. `map#2`.
   */
  withName(name: string): Task<T, U> {
    return new Task({ ...this.spec, name });
  }

  /** Replaces the event handler: `(event, ctx) => void`, emitting with `ctx.emit`. */
  withOnNext(onNext: (event: T, ctx: ProcessorContext<U>) => void | Promise<unknown>): Task<T, U> {
    return this.withHooks({ onNext });
  }

  /** Runs `hook` after each atom's events, before its boundary (docs/semantics.md, rule 1). */
  withOnAtomComplete(hook: (ctx: ProcessorContext<U>) => void): Task<T, U> {
    return this.withHooks({ onAtomComplete: hook });
  }

  /** Runs `hook` once when the input stream ends (seal); never for the seal atom itself. */
  withOnComplete(hook: (ctx: ProcessorContext<U>) => void): Task<T, U> {
    return this.withHooks({ onComplete: hook });
  }

  /**
   * Runs `hook` on the task's failures (docs/semantics.md, rule 10): right after one of its
   * events (or hooks) throws, with that failure, under the event's key (what it emits takes the
   * event's place); and once for an atom that arrives failed from upstream, after its events.
   */
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

  /** Like {@link Task.withStep}, but `next` handles `atoms` consecutive atoms (reference `withLoop`). */
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
  /** Logs `prefix + format(event)` at info level and forwards the event (`core/format.ts`). */
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
   * may reply after awaiting, and the reply answers the original request (docs/semantics.md, rule 9).
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
