/**
 * Async operator callbacks that were not compiled. A native async function cannot be suspended
 * into data, so it is rejected at launch with the fix, and a callback that returns a promise at
 * run time (an async function hidden by a down-level transpiler) fails the same way: these are
 * the only places that decide it.
 */
import { machineOf } from "./machine.js";
import { allSpecs, callbackSlots, type TaskSpec } from "./spec.js";

/** The message for an uncompiled async callback of `task` in `workflow`. */
export function uncompiledMessage(workflow: string, task: string): string {
  return (
    `workflow ${workflow}, task ${task}: an operator callback is an async function that was not compiled, ` +
    "so its awaits cannot be suspended and snapshotted. Build with tspc " +
    '(tsconfig "compilerOptions.plugins": [{ "transform": "portals-ts/compiler" }]), ' +
    "or run through the portals-ts/vite plugin (Vite/Vitest) or `node --import portals-ts/register`."
  );
}

/** True when `fn` is a native async (or async generator) function without a compiled machine. */
function isAsyncFunction(fn: unknown): boolean {
  if (typeof fn !== "function" || machineOf(fn) !== undefined) return false;
  const tag = Object.prototype.toString.call(fn);
  return tag === "[object AsyncFunction]" || tag === "[object AsyncGeneratorFunction]";
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
