/**
 * Workload 5: continuation resume overhead. The same operator source (`resume-ops.ts`: a loop
 * of `sum += await echo.request(i)`) runs `INVOCATIONS` times with `AWAITS` awaits each; every
 * request is answered at once with `2 * i`. Rate: resumes per second; p50/p99: time per resume
 * (the iteration time divided by its resumes, over the iterations).
 *
 * - `machine`: the operator compiled by the project's transformer, driven the way a task runner
 *   drives it: `new Invocation(...)`, `start`, then for every parked await `receive(reply)` and
 *   `run` (runtime/engine/portals/invocation.ts). One resume = issuing the request (a handle),
 *   delivering its reply and running the machine to its next await.
 * - `native`: the operator as written, a native async function; `echo.request(i)` returns a
 *   promise that a server function resolves at once. One resume = creating and resolving that
 *   promise and the `await` round trip through the microtask queue.
 */
import { machineOf, REQUESTER, RequestHandle, type Machine, type Requester } from "portals-ts/machine";
import { Invocation } from "../../runtime/engine/portals/invocation.js";
import { importCompiled } from "../lib/compile.js";
import type { Runnable } from "../lib/types.js";
import type * as Ops from "./resume-ops.js";

export const INVOCATIONS = 100;
export const AWAITS = 100;

/** The callback of the `awaitLoop` task. */
function callbackOf(ops: typeof Ops): unknown {
  const spec = ops.awaitLoop.spec;
  if (spec.kind !== "asker") throw new Error("resume-ops: awaitLoop is not an asker");
  return spec.fn;
}

/** Drives the compiled machine; returns the sum of the results. */
function driveMachine(machine: Machine, requester: { last: number; invocation: Invocation<null> | null }, ctx: object): number {
  let total = 0;
  for (let j = 0; j < INVOCATIONS; j++) {
    const inv = new Invocation<null>(j, 0, machine, [AWAITS], null);
    requester.invocation = inv;
    let outcome = inv.start(ctx);
    while (outcome.kind === "parked") {
      const input = inv.receive(inv.awaiting![0]!, { ok: true, value: requester.last * 2 });
      outcome = inv.run(ctx, input!);
    }
    if (outcome.kind === "failed") throw outcome.error;
    total += outcome.value as number;
  }
  return total;
}

/** Runs the native async function; returns the sum of the results. */
async function driveNative(fn: (n: number, ctx: object) => Promise<number>, ctx: object): Promise<number> {
  let total = 0;
  for (let j = 0; j < INVOCATIONS; j++) total += await fn(AWAITS, ctx);
  return total;
}

export async function resume(variant: string): Promise<Runnable> {
  const units = INVOCATIONS * AWAITS;
  switch (variant) {
    case "machine": {
      const ops = await importCompiled<typeof Ops>("benchmarks/workloads/resume-ops.ts");
      const machine = machineOf(callbackOf(ops));
      if (machine === undefined) throw new Error("resume-ops: the compiled awaitLoop has no machine");
      let next = 1;
      // As a task runner does: the request is recorded as issued by the running invocation.
      const requester = {
        last: 0,
        invocation: null as Invocation<null> | null,
        request(portal: { readonly path: string }, payload: unknown): RequestHandle {
          requester.last = payload as number;
          const requestId = next++;
          requester.invocation!.issue(requestId);
          return new RequestHandle(portal.path, requestId);
        },
      };
      const ctx = { [REQUESTER]: requester };
      return { kind: "runnable", units, run: () => driveMachine(machine, requester, ctx), perUnitLatency: true };
    }
    case "native": {
      const ops = (await import("./resume-ops.js")) as typeof Ops;
      const fn = callbackOf(ops) as (n: number, ctx: object) => Promise<number>;
      if (machineOf(fn) !== undefined) throw new Error("resume-ops: the native import is compiled");
      const serve = (x: number, resolve: (n: number) => void): void => resolve(x * 2);
      // Natively the ref's own request() is called: a promise the server function resolves at once.
      ops.setEchoRequest((payload) => new Promise<number>((resolve) => serve(payload, resolve)));
      return { kind: "runnable", units, run: () => driveNative(fn, {}), perUnitLatency: true };
    }
    default:
      throw new Error(`resume: unknown variant ${variant}`);
  }
}
