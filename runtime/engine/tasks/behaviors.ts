/**
 * Behaviours: what a task does with an event, at the end of an atom, at the end of the stream
 * and on an upstream failure. `makeBehavior` turns a `TaskSpec` into one, recursively for the
 * combinators (`withStep`/`withLoop`, `withAndThen`, `withWrapper`, `init`), after the Portals
 * reference (`TaskExecutorImpl`, `Stepper`, `TaskBuilder`).
 */
import type { OperatorError } from "../../core/errors.js";
import { format } from "../../core/format.js";
import { checkKey, type Key } from "../../core/key.js";
import { portalUse, specOf, type Callback, type TaskSpec } from "../../core/spec.js";
import { isVsmBehavior, VSM_SAME, type VsmBehavior } from "../../core/vsm.js";
import { batch } from "../atom.js";
import type { TaskContext } from "./task-context.js";

/** What a task does. Output goes to `ctx.out` under `ctx.key`. */
export interface Behavior {
  onNext(event: unknown): void;
  onAtomComplete(): void;
  onComplete(): void;
  onError(error: OperatorError): void;
}

/** What happens with a callback's return value (plain data: kept in parked continuations). */
export const ResultMode = {
  /** Ignore it (processor, asker, hooks). */
  Ignore: 0,
  /** Emit it (map). */
  Emit: 1,
  /** Emit the event when it is truthy (filter). */
  Filter: 2,
  /** Emit each element of it (flatMap). */
  Flatten: 3,
} as const;
export type ResultMode = (typeof ResultMode)[keyof typeof ResultMode];

/** The task runner, as behaviours see it. */
export interface BehaviorHost {
  readonly ctx: TaskContext;
  /** Runs callback `cb` on `event` (a function or a compiled machine) and applies `mode`. */
  call(cb: Callback, event: unknown, mode: ResultMode): void;
  /**
   * The per-event function of callback `cb` with `mode`: for a plain function, a direct call
   * without the machine checks of {@link call} (the hot path).
   */
  direct(cb: Callback, mode: ResultMode): (event: unknown) => void;
  /** Per-task state of combinators, such as a stepper's position (never visible to user state). */
  readonly combinatorState: Map<string, unknown>;
  /** Current state of a `vsm` task per key. */
  readonly vsmStates: Map<Key, VsmBehavior<unknown, unknown>>;
}

const NOTHING = (): void => {};

/**
 * Builds the behaviour of `spec`. `id` names the combinator's internal state, so nested
 * steppers keep separate positions.
 *
 * @throws TypeError when an `init` factory does not return a task, or returns a portal task
 */
export function makeBehavior(spec: TaskSpec, host: BehaviorHost, id = "0"): Behavior {
  const base = leaf(spec, host, id);
  const hooks = spec.hooks;
  if (hooks === undefined) return base;
  const ctx = host.ctx;
  const onNext = hooks.onNext;
  const onAtomComplete = hooks.onAtomComplete;
  const onComplete = hooks.onComplete;
  const onError = hooks.onError;
  return {
    onNext: onNext ? host.direct(onNext, ResultMode.Ignore) : base.onNext,
    onAtomComplete: onAtomComplete ? () => onAtomComplete(ctx) : base.onAtomComplete,
    onComplete: onComplete ? () => onComplete(ctx) : base.onComplete,
    onError: onError ? (e) => onError(e, ctx) : base.onError,
  };
}

function simple(onNext: (event: unknown) => void): Behavior {
  return { onNext, onAtomComplete: NOTHING, onComplete: NOTHING, onError: NOTHING };
}

function leaf(spec: TaskSpec, host: BehaviorHost, id: string): Behavior {
  const ctx = host.ctx;
  switch (spec.kind) {
    case "map":
      return simple(host.direct(spec.fn, ResultMode.Emit));
    case "filter":
      return simple(host.direct(spec.fn, ResultMode.Filter));
    case "flatMap":
      return simple(host.direct(spec.fn, ResultMode.Flatten));
    case "processor":
    case "asker":
    case "replier":
      return simple(host.direct(spec.fn, ResultMode.Ignore));
    case "key": {
      const fn = spec.fn as (event: unknown) => Key;
      return simple((x) => {
        ctx.key = keyOfEvent(fn(x));
        ctx.emit(x);
      });
    }
    case "identity":
      return simple((x) => ctx.emit(x));
    case "logger": {
      const prefix = spec.prefix;
      return simple((x) => {
        ctx.log.info(prefix + format(x));
        ctx.emit(x);
      });
    }
    case "vsm":
      return vsm(spec.initial, host);
    case "init": {
      const made = specOf(spec.factory(ctx));
      if (made === undefined) throw new TypeError("init(factory): the factory must return a task built with Tasks.*");
      const use = portalUse(made);
      if (use.asks.length > 0 || use.serves.length > 0) {
        throw new TypeError("init(factory): the factory returned a portal task; declare askers and repliers directly on the workflow");
      }
      return makeBehavior(made, host, `${id}.init`);
    }
    case "steps":
      return steps(spec.steps, host, id);
    case "andThen":
      return andThen(makeBehavior(spec.first, host, `${id}.1`), makeBehavior(spec.second, host, `${id}.2`), ctx);
    case "wrapper": {
      const inner = makeBehavior(spec.inner, host, `${id}.w`);
      const wrapper = spec.wrapper;
      const next = (x: unknown): void => inner.onNext(x);
      return { ...inner, onNext: (x) => wrapper(x, ctx, next) };
    }
  }
}

/**
 * The key a `key` function returned for an event, checked.
 *
 * @throws TypeError when it is not a string or finite number
 */
export function keyOfEvent(key: unknown): Key {
  return checkKey(key, (shown) => `the key function returned ${shown}; keys must be strings or finite numbers`);
}

function vsm(initial: VsmBehavior<unknown, unknown>, host: BehaviorHost): Behavior {
  const ctx = host.ctx;
  const states = host.vsmStates;
  return simple((x) => {
    const current = states.get(ctx.key) ?? initial;
    const next = current.onNext(x, ctx);
    if (next === VSM_SAME) return;
    if (!isVsmBehavior(next)) {
      throw new TypeError("a vsm state must return another state (VSM.processor(...)) or VSM.same");
    }
    states.set(ctx.key, next as VsmBehavior<unknown, unknown>);
  });
}

/** `withStep`/`withLoop`: the active behaviour changes after its number of atoms, cyclically. */
function steps(list: readonly { spec: TaskSpec; atoms: number }[], host: BehaviorHost, id: string): Behavior {
  const behaviors = list.map((s, i) => makeBehavior(s.spec, host, `${id}.s${i}`));
  const at = `steps:${id}`;
  const position = (): { step: number; atoms: number } =>
    (host.combinatorState.get(at) as { step: number; atoms: number } | undefined) ?? { step: 0, atoms: 0 };
  const current = (): Behavior => behaviors[position().step]!;
  return {
    onNext: (x) => current().onNext(x),
    onAtomComplete: () => {
      const p = position();
      behaviors[p.step]!.onAtomComplete();
      const done = p.atoms + 1 >= list[p.step]!.atoms;
      host.combinatorState.set(at, done ? { step: (p.step + 1) % behaviors.length, atoms: 0 } : { step: p.step, atoms: p.atoms + 1 });
    },
    onComplete: () => current().onComplete(),
    onError: (e) => current().onError(e),
  };
}

/** `withAndThen`: what `first` emits is handled by `second` right away, under its key. */
function andThen(first: Behavior, second: Behavior, ctx: TaskContext): Behavior {
  const through = (run: () => void): void => {
    const out = ctx.out;
    const count = ctx.count;
    const key = ctx.key;
    const staged = batch();
    ctx.target(staged);
    try {
      run();
    } finally {
      ctx.out = out;
      ctx.count = count;
    }
    for (let i = 0; i < staged.values.length; i++) {
      ctx.key = staged.keys[i]!;
      second.onNext(staged.values[i]);
    }
    ctx.key = key;
  };
  return {
    onNext: (x) => through(() => first.onNext(x)),
    onAtomComplete: () => {
      through(() => first.onAtomComplete());
      second.onAtomComplete();
    },
    onComplete: () => {
      through(() => first.onComplete());
      second.onComplete();
    },
    onError: (e) => {
      first.onError(e);
      second.onError(e);
    },
  };
}
