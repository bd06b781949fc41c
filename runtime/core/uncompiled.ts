/**
 * Async operator callbacks that were not compiled. A native async function cannot be suspended
 * into data, so it is rejected at launch with the fix. So is one that a down-level transpiler
 * turned into a plain function (TypeScript below ES2017, esbuild, Babel, swc): its source still
 * shows the helper that runs it as a generator. One hidden better than that returns a promise at
 * its first event and fails the same way there. These are the only places that decide it.
 */
import { machineOf } from "./machine.js";
import { allSpecs, callbackSlots, type TaskSpec } from "./spec.js";

/** The message for an uncompiled async callback of `task` in `workflow`. */
export function uncompiledMessage(workflow: string, task: string): string {
  return (
    `workflow ${workflow}, task ${task}: an operator callback is an async function that was not compiled, ` +
    "so its awaits cannot be suspended and snapshotted. Build with tspc and a target of ES2017 or later " +
    '(tsconfig "compilerOptions.plugins": [{ "transform": "portals-ts/compiler" }]), ' +
    "or run through the portals-ts/vite plugin (Vite/Vitest) or `node --import portals-ts/register`."
  );
}

/**
 * Calls of the helpers that down-levelled async functions run through (TypeScript's `__awaiter`
 * and `__generator`, esbuild's `__async`, Babel's `_asyncToGenerator` and regenerator, swc's
 * `_async_to_generator`), and the wrapper Babel and swc return (`_ref.apply(this, arguments)`).
 */
const DOWNLEVELLED = /\b(?:__awaiter|__generator|__async|_asyncToGenerator|_async_to_generator|regeneratorRuntime|_regeneratorRuntime|_regenerator)\s*\(|\b_ref\d*\.apply\(this, arguments\)/;

/**
 * True when `fn` is an async (or async generator) function without a compiled machine: a native
 * one, or one a transpiler down-levelled (see {@link DOWNLEVELLED}).
 */
function isAsyncFunction(fn: unknown): boolean {
  if (typeof fn !== "function" || machineOf(fn) !== undefined) return false;
  const tag = Object.prototype.toString.call(fn);
  if (tag === "[object AsyncFunction]" || tag === "[object AsyncGeneratorFunction]") return true;
  return DOWNLEVELLED.test(Function.prototype.toString.call(fn));
}

/** True when any callback of `spec` (combinators and hooks included) is an uncompiled async function. */
export function hasUncompiledCallback(spec: TaskSpec): boolean {
  return allSpecs(spec).some((s) => callbackSlots(s).some(([, fn]) => isAsyncFunction(fn)));
}

/**
 * Throws the uncompiled-callback error when `result`, what a plain callback returned, is a
 * promise or another thenable: the callback was an async function the compiler did not see.
 *
 * @throws TypeError naming `workflow` and `task` and the fix
 */
export function refusePromise(result: unknown, workflow: string, task: string): void {
  if (result !== null && typeof result === "object" && typeof (result as { then?: unknown }).then === "function") {
    throw new TypeError(uncompiledMessage(workflow, task));
  }
}
