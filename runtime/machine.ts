/**
 * `portals-ts/machine`: the machine protocol (`core/machine.ts`) and the run-time support of
 * compiled operators. The compiler turns async operator callbacks and helpers into machines
 * (docs/compiler.md; the emitted code is described in `compiler/core/ir.ts`) whose code imports
 * the functions below and nothing else. Hand-written machines (tests, benchmarks) use the same.
 */
import {
  attachMachine,
  defineMachine,
  machineOf,
  REQUESTER,
  Step,
  type Machine,
  type MachineStep,
  type RequestHandle,
  type Requester,
  type ResumeInput,
} from "./core/machine.js";

export { attachMachine as attach, defineMachine, isMachine, MACHINE, machineOf, REQUESTER, RequestHandle, Step } from "./core/machine.js";
export type { Frame, Machine, MachineSpec, MachineStep, Requester, ResumeInput } from "./core/machine.js";

/** What the compiler emits for one function: its identity and its step function. */
export interface CompiledSpec {
  /** Module path and position, e.g. `examples/cart/app.ts#12:8`. */
  readonly id: string;
  /** Hash of the function's code and the compiler version. */
  readonly version: string;
  /** Builds the initial locals from the call's arguments (without `ctx`). */
  readonly begin: (args: readonly unknown[]) => Record<string, unknown>;
  /** Runs a frame from its `pc` (see `Machine.resume`). */
  readonly resume: Machine["resume"];
  /** The async helpers the function awaits, by reference (see `Machine.helpers`). */
  readonly helpers?: () => readonly unknown[];
  /** The module's top-level classes with an `extends` clause (see `Machine.errorClasses`). */
  readonly errorClasses?: () => readonly unknown[];
}

/** Defines the machine of a compiled function. */
export function machine(spec: CompiledSpec): Machine {
  return defineMachine(spec);
}

/**
 * `target.request(...args)` as compiled code writes it: a portal ref sends the request through
 * the task context `ctx` (protocol step 4); anything else with a `request` method (an HTTP
 * client, say) is called as it is. A context without a requester (a test's stand-in) leaves
 * portal refs to their own `request`.
 */
export function request(ctx: unknown, target: unknown, payload?: unknown): unknown {
  const requester = (ctx as { [REQUESTER]?: Requester } | null | undefined)?.[REQUESTER];
  if (requester !== undefined && (target as { kind?: unknown } | null)?.kind === "portal") {
    return requester.request(target as { path: string }, payload);
  }
  // Not a portal: the call as written, with exactly the arguments it had (no rest array on the
  // hot path above).
  const call = target as { request: (...a: unknown[]) => unknown };
  return arguments.length === 3 ? call.request(payload) : call.request(...Array.prototype.slice.call(arguments, 2));
}

/** The value an `await` resumes with; throws the error of a failed request or helper. */
export function value(input: ResumeInput): unknown {
  if (input.kind === "throw") throw input.error;
  return input.kind === "value" ? input.value : undefined;
}

/**
 * Suspends on `request` (`await portal.request(...)` or `await handle`).
 *
 * @throws TypeError when `request` is not a portal request: only requests can be awaited in an
 *   operator (docs/compiler.md)
 */
export function suspend(request: unknown, where: string): MachineStep {
  return Step.await(checkHandle(request, where));
}

/**
 * Suspends on all of `requests` (`await Promise.all(requests)`); resumes with the replies in
 * order, or throws the first failure.
 *
 * @throws TypeError when `requests` is not an array (or iterable) of portal requests
 */
export function suspendAll(requests: unknown, where: string): MachineStep {
  const handles: RequestHandle[] = [];
  for (const r of list(requests, where)) {
    // Values that are not requests (a hole, a number) are Promise.all's own values: `settled`
    // puts them back; a promise that is not a request cannot be suspended.
    if (isHandle(r)) handles.push(r);
    else if (isThenable(r)) checkHandle(r, where);
  }
  return Step.awaitAll(handles);
}

/**
 * The elements of what `Promise.all` is given, as it iterates them (holes are `undefined`).
 *
 * @throws TypeError when `requests` is not iterable, as Promise.all rejects
 */
export function list(requests: unknown, where: string): unknown[] {
  if (requests == null || typeof (requests as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError(`${where}: Promise.all(...) in an operator takes an array of portal requests, got ${describeValue(requests)}`);
  }
  return Array.from(requests as Iterable<unknown>);
}

/**
 * The value `await Promise.all(requests)` resumes with when `requests` (from {@link list}) may
 * hold values that are not requests: the replies in place of the requests, the other values
 * as they are; throws the error of a failed request.
 */
export function settled(input: ResumeInput, requests: readonly unknown[]): unknown[] {
  const replies = value(input) as unknown[];
  let next = 0;
  return requests.map((r) => (isHandle(r) ? replies[next++] : r));
}

/**
 * Calls the compiled async helper `fn` (`await helper(...args)`).
 *
 * @throws TypeError when `fn` was not compiled (it is not an async function of this project, or
 *   its own awaits are not portal requests)
 */
export function call(fn: unknown, args: readonly unknown[], where: string): MachineStep {
  const m = machineOf(fn);
  if (m === undefined) {
    const name = typeof fn === "function" && fn.name ? fn.name : describeValue(fn);
    throw new TypeError(
      `${where}: awaited ${name}(...), which is not a compiled async helper; an operator can await portal requests ` +
        "and async functions of this project that await portal requests (compiled with tspc or the plugin/hook)",
    );
  }
  return Step.call(m, args);
}

/** Ends the call with `result`. */
export function done(result?: unknown): MachineStep {
  return Step.return(result);
}

/**
 * What a compiled `for…of` whose body awaits iterates: an array itself (indexed live, as the
 * array iterator does); a string, `Map`, `Set` or typed array as an array of its elements taken
 * when the loop starts (their iterators have no effects); nothing else, because an iterator is
 * not data and cannot be suspended, and taking a generator's elements ahead would move its
 * effects before the loop body's.
 *
 * @param where `file:line:column` of the loop, for the message of an iterable it cannot take
 * @param text the source text of the iterated expression, for the native message
 * @throws TypeError when `x` is not iterable (`<text> is not iterable`, as natively), or is
 *   another iterable (a generator, an object with its own iterator), naming the fix
 */
export function iterable(x: unknown, where = "for…of", text = "the value"): unknown[] {
  if (Array.isArray(x)) return x;
  // The message natively thrown there (V8 names the expression as written).
  if (x == null || typeof (x as Iterable<unknown>)[Symbol.iterator] !== "function") throw new TypeError(`${text} is not iterable`);
  if (typeof x === "string" || x instanceof Map || x instanceof Set || ArrayBuffer.isView(x)) return Array.from(x as Iterable<unknown>);
  throw new TypeError(
    `${where}: a for…of that awaits in its body can iterate arrays, strings, Maps, Sets and typed arrays, not ${Object.prototype.toString.call(x)}: ` +
      "an iterator cannot be kept in a suspended operator. Take its elements first: for (const v of Array.from(it))",
  );
}

/** What a compiled `for…in` iterates: the enumerable string keys, own and inherited, in order. */
export function keys(x: unknown): string[] {
  const out: string[] = [];
  for (const k in x as object) out.push(k);
  return out;
}

function isHandle(x: unknown): x is RequestHandle {
  return typeof x === "object" && x !== null && typeof (x as RequestHandle).requestId === "number" && typeof (x as RequestHandle).portal === "string";
}

function isThenable(x: unknown): boolean {
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as { then?: unknown }).then === "function";
}

function checkHandle(x: unknown, where: string): RequestHandle {
  if (isHandle(x)) return x;
  throw new TypeError(`${where}: awaited ${describeValue(x)}, which is not a portal request; an operator can only await portal.request(...)`);
}

function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "object") return x instanceof Promise ? "a Promise" : `an object (${Object.prototype.toString.call(x)})`;
  return typeof x === "function" ? "a function" : `${typeof x} ${String(x)}`;
}
