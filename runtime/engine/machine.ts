/**
 * The interface between compiled operators and the runtime: a *machine*.
 *
 * An operator callback that awaits portal requests cannot be kept as a native `async` function,
 * because a suspended native function is a closure over a hidden stack that no one can snapshot.
 * The compiler (`compiler/`, DESIGN §6) therefore turns every such callback, and every async
 * helper it awaits, into a machine: a pure step function over a plain-data {@link Frame}.
 * Until the compiler exists, tests write machines by hand with {@link defineMachine}.
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
 *
 * Everything a machine keeps across a suspension lives in `frame.locals` and must be plain data
 * (DESIGN §6, §8); portal refs and module-level bindings are re-bound from the machine's module.
 * A frame records the machine's `id` and `version`, so a restored continuation can be matched to
 * its code and rejected with a clear error when that code changed.
 */

/** A key of an event: the value returned by a workflow's `key` function (DESIGN §4). */
export type Key = string | number;

/**
 * A handle to a portal request in flight: what `portal.request(req)` returns inside a running
 * operator. Plain data, so a machine may keep it in its locals across a suspension.
 */
export interface RequestHandle {
  /** Path of the portal the request was sent to, e.g. `/shop/portals/inventory`. */
  readonly portal: string;
  /** Request id, unique within the asking task. */
  readonly requestId: number;
}

/** A suspended call of a machine: where it is (`pc`) and its live locals. Plain data. */
export interface Frame {
  /** Stable id of the machine that owns this frame ({@link Machine.id}). */
  readonly machine: string;
  /** Code version of that machine when the frame was created ({@link Machine.version}). */
  readonly version: string;
  /** Program counter: which resumption point `resume` continues at. Starts at 0. */
  pc: number;
  /** Live locals by name; only plain, serializable data. */
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

/**
 * A compiled operator or async helper (DESIGN §6). Implementations are produced by the compiler
 * or, in tests, by {@link defineMachine}.
 */
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
}

/** The brand property of {@link Machine}. */
export const MACHINE: unique symbol = Symbol.for("portals-ts.machine");

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
}

/**
 * Builds a {@link Machine} from a hand-written step function (tests, and the compiler's output).
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
  const machine: Machine = {
    [MACHINE]: true,
    id: spec.id,
    version,
    begin: (args) => ({ machine: spec.id, version, pc: 0, locals: initial(args) }),
    resume: spec.resume,
  };
  byId.set(spec.id, machine);
  return machine;
}

/** Every machine defined in this process by id; a later definition of an id replaces the earlier. */
const byId = new Map<string, Machine>();

/**
 * The machine defined last with `id` (to re-bind a restored frame to its code), or `undefined`.
 */
export function findMachine(id: string): Machine | undefined {
  return byId.get(id);
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
