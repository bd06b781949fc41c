/**
 * The interface between compiled operators and the runtime: a *machine*.
 *
 * An operator callback that awaits portal requests cannot be kept as a native `async` function,
 * because a suspended native function is a closure over a hidden stack that no one can snapshot.
 * The compiler (docs/compiler.md) therefore turns every such callback, and every async helper it
 * awaits, into a machine: a pure step function over a plain-data {@link Frame}. Tests and
 * benchmarks may write machines by hand with {@link defineMachine}.
 *
 * Protocol. The runtime keeps a stack of frames per invocation (one invocation = one call of an
 * operator callback for one event or one portal request):
 *
 *   1. `frame = machine.begin(args)` creates the frame for a call; `args` are the callback's
 *      arguments without the task context (`ctx` is re-bound on every resume, never stored).
 *   2. `machine.resume(frame, ctx, input)` runs from `frame.pc` and returns one {@link MachineStep}:
 *      - `{ kind: "return", value }`: the call finished; the frame is popped and `value` is handed
 *        to the caller frame (or ends the invocation);
 *      - `{ kind: "await", requests }`: the machine is suspended on one portal request
 *        (`requests` is a {@link RequestHandle}) or on all of several (`requests` is an array, the
 *        lowering of `await Promise.all([...])`). The invocation is parked in the task's
 *        continuation table; when the reply (or every reply) is in, the runtime calls `resume`
 *        again with `{ kind: "value", value }` (an array of replies, in request order, for an
 *        array) or `{ kind: "throw", error }` if a request failed (as `Promise.all`, the first
 *        failure to arrive rejects at once);
 *      - `{ kind: "call", machine, args }`: an `await helper(args)` of another compiled async
 *        function. The runtime pushes `machine.begin(args)` and runs it; its return value (or
 *        thrown error) resumes this frame.
 *      A machine that throws ends its frame with that error; the runtime resumes the caller frame
 *      with `{ kind: "throw", error }`, or fails the invocation if there is no caller.
 *   3. The first call of `resume` for a frame receives `{ kind: "start" }`.
 *   4. A machine sends a portal request through the context it was resumed with:
 *      `ctx[REQUESTER].request(portal, payload)` (what `request` of `portals-ts/machine` does),
 *      so the request reaches the task, and the system, that runs the machine.
 *
 * Everything a machine keeps across a suspension lives in `frame.locals` and must be data (the
 * policy of `core/data.ts`); portal refs and module-level bindings are re-bound from the
 * machine's module. A frame records the machine's `id` and `version`, so a restored continuation
 * can be matched to its code and rejected with a clear error when that code changed. The
 * machines a task may need to restore are its callbacks' machines and the helpers they can call
 * ({@link Machine.helpers}), found from the task itself: there is no registry of machines.
 */

/**
 * A portal request in flight: what `portal.request(req)` returns inside a running operator.
 * It is data (the portal's path and the request id, which a continuation may keep across a
 * suspension); the compiled `await` of it suspends the operator until the reply is in.
 *
 * It is typed as a `PromiseLike` of the reply so that `await portal.request(req)` has the reply's
 * type, but only compiled code can await it: awaiting it natively (an async function that was
 * not compiled) rejects with an error that says so.
 */
export class RequestHandle<Rep = unknown> implements PromiseLike<Rep> {
  /** Phantom: the reply type. */
  declare readonly __reply?: Rep;

  constructor(
    /** Path of the portal the request was sent to, e.g. `/shop/portals/inventory`. */
    readonly portal: string,
    /** Request id, unique within the asking task. */
    readonly requestId: number,
  ) {}

  /** Rejects: only compiled operators can await a portal request (see the class comment). */
  then<A = Rep, B = never>(onReply?: ((reply: Rep) => A | PromiseLike<A>) | null, onError?: ((error: unknown) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
    const error = new Error(
      `request ${this.requestId} to portal ${this.portal} was awaited by code that was not compiled; ` +
        "portal requests can only be awaited in async operators compiled by tspc, the portals-ts/vite plugin or portals-ts/register",
    );
    return Promise.reject(error).then(onReply, onError);
  }
}

/** A suspended call of a machine: where it is (`pc`) and its live locals. Plain data. */
export interface Frame {
  /** Stable id of the machine that owns this frame ({@link Machine.id}). */
  readonly machine: string;
  /** Code version of that machine when the frame was created ({@link Machine.version}). */
  readonly version: string;
  /** Program counter: which resumption point `resume` continues at. Starts at 0. */
  pc: number;
  /** Live locals by name; only data. */
  locals: Record<string, unknown>;
}

/** What the runtime passes to {@link Machine.resume}. */
export type ResumeInput =
  | { readonly kind: "start" }
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "throw"; readonly error: unknown };

/** What {@link Machine.resume} returns: see the protocol in this module's header. */
export type MachineStep =
  | { readonly kind: "return"; readonly value: unknown }
  | { readonly kind: "await"; readonly requests: RequestHandle | readonly RequestHandle[] }
  | { readonly kind: "call"; readonly machine: Machine; readonly args: readonly unknown[] };

/** A compiled operator or async helper. Made by the compiler, or by {@link defineMachine}. */
export interface Machine {
  /** Brand that tells a machine from an ordinary callback at run time. */
  readonly [MACHINE]: true;
  /** Stable id: module path and position of the source function, e.g. `src/cart.ts#12:8`. */
  readonly id: string;
  /** Hash of the function's code; changes whenever the compiled code changes. */
  readonly version: string;
  /** Creates the frame for a call with `args` (the callback's arguments without `ctx`). */
  begin(args: readonly unknown[]): Frame;
  /** Runs the frame from `frame.pc` until it returns, suspends, calls a helper or throws. */
  resume(frame: Frame, ctx: unknown, input: ResumeInput): MachineStep;
  /**
   * The compiled async helpers this machine can call (functions with an attached machine, or
   * machines), evaluated when a task collects the machines it may restore. Absent: none.
   */
  readonly helpers?: () => readonly unknown[];
  /**
   * The classes declared at the top level of the machine's module with an `extends` clause,
   * evaluated when a system builds its codec: those that extend `Error` come back from a
   * snapshot as themselves (docs/snapshots.md, "Data"), as a frame may hold a caught one across
   * a suspension. Absent: none.
   */
  readonly errorClasses?: () => readonly unknown[];
}

/** The brand property of {@link Machine}. */
export const MACHINE: unique symbol = Symbol.for("portals-ts.machine");

/**
 * The property of a task context through which compiled code sends portal requests (protocol
 * step 4). A well-known symbol, so that code compiled against one copy of the package runs on
 * the engine of another.
 */
export const REQUESTER: unique symbol = Symbol.for("portals-ts.requester");

/** What a task context's {@link REQUESTER} does. */
export interface Requester {
  /**
   * Sends `payload` to `portal` from the running invocation, under the current key.
   *
   * @throws Error when the task did not declare the portal
   */
  request(portal: { readonly path: string }, payload: unknown): RequestHandle;
}

/** What {@link defineMachine} needs: the parts of a {@link Machine} a writer provides. */
export interface MachineSpec {
  /** See {@link Machine.id}. */
  readonly id: string;
  /** See {@link Machine.version}; defaults to `"1"`. */
  readonly version?: string;
  /** Initial locals for a call with `args`; defaults to `{ args }`. */
  readonly begin?: (args: readonly unknown[]) => Record<string, unknown>;
  /** See {@link Machine.resume}. */
  readonly resume: (frame: Frame, ctx: any, input: ResumeInput) => MachineStep;
  /** See {@link Machine.helpers}. */
  readonly helpers?: () => readonly unknown[];
  /** See {@link Machine.errorClasses}. */
  readonly errorClasses?: () => readonly unknown[];
}

/**
 * Builds a {@link Machine} from a step function (what the compiler emits, and hand-written
 * machines in tests).
 *
 * @throws TypeError when `id` is empty or `resume` is not a function.
 */
export function defineMachine(spec: MachineSpec): Machine {
  if (typeof spec.id !== "string" || spec.id === "") {
    throw new TypeError("defineMachine: `id` must be a non-empty string (module path and position)");
  }
  if (typeof spec.resume !== "function") {
    throw new TypeError(`defineMachine(${spec.id}): \`resume\` must be a function (frame, ctx, input) => step`);
  }
  const version = spec.version ?? "1";
  const initial = spec.begin ?? ((args: readonly unknown[]) => ({ args: [...args] }));
  return {
    [MACHINE]: true,
    id: spec.id,
    version,
    begin: (args) => ({ machine: spec.id, version, pc: 0, locals: initial(args) }),
    resume: spec.resume,
    ...(spec.helpers ? { helpers: spec.helpers } : {}),
    ...(spec.errorClasses ? { errorClasses: spec.errorClasses } : {}),
  };
}

/** True when `x` is a {@link Machine} (compiled operator) rather than a plain callback. */
export function isMachine(x: unknown): x is Machine {
  return typeof x === "object" && x !== null && (x as Machine)[MACHINE] === true;
}

/** Property of a compiled async function that holds its machine (see {@link attachMachine}). */
const ATTACHED: unique symbol = Symbol.for("portals-ts.attached-machine");

/**
 * Attaches `machine` to the async function it was compiled from, so the function stays usable
 * as is and can also be passed by reference as an operator callback or awaited from one.
 * Returns `fn`.
 */
export function attachMachine<F extends (...args: any[]) => unknown>(fn: F, machine: Machine): F {
  Object.defineProperty(fn, ATTACHED, { value: machine, enumerable: false });
  return fn;
}

/** The machine of a callback: itself if it is one, the attached one of a compiled function, else `undefined`. */
export function machineOf(x: unknown): Machine | undefined {
  if (isMachine(x)) return x;
  if (typeof x === "function") return (x as { [ATTACHED]?: Machine })[ATTACHED];
  return undefined;
}

/**
 * `roots` and every machine reachable from them through {@link Machine.helpers}, by id: what a
 * task needs to re-bind restored frames to their code. A helper list that throws (a binding not
 * initialised yet) contributes nothing.
 */
export function reachableMachines(roots: Iterable<Machine>): Map<string, Machine> {
  const found = new Map<string, Machine>();
  const pending = [...roots];
  for (let m = pending.pop(); m !== undefined; m = pending.pop()) {
    if (found.has(m.id)) continue;
    found.set(m.id, m);
    let helpers: readonly unknown[] = [];
    try {
      helpers = m.helpers?.() ?? [];
    } catch {
      // A helper referenced before its module finished loading cannot be listed yet.
    }
    for (const h of helpers) {
      const hm = machineOf(h);
      if (hm !== undefined && !found.has(hm.id)) pending.push(hm);
    }
  }
  return found;
}

/** Step constructors, so hand-written and generated machines read the same. */
export const Step = {
  /** The call finished with `value`. */
  return(value?: unknown): MachineStep {
    return { kind: "return", value };
  },
  /** Suspend on one request (`await portal.request(...)`). */
  await(request: RequestHandle): MachineStep {
    return { kind: "await", requests: request };
  },
  /** Suspend on all of several requests (`await Promise.all([...])`); resumes with an array. */
  awaitAll(requests: readonly RequestHandle[]): MachineStep {
    return { kind: "await", requests };
  },
  /** Call an async helper machine (`await helper(...args)`); resumes with its return value. */
  call(machine: Machine, args: readonly unknown[]): MachineStep {
    return { kind: "call", machine, args };
  },
} as const;
