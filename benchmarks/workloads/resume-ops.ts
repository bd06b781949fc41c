/**
 * The operator of workload 5 (continuation resume overhead): an asker that awaits `AWAITS`
 * requests in a loop and returns the sum of the replies. The benchmark runs this same source
 * twice: compiled by the project's transformer (a machine, driven through
 * `runtime/engine/invocation.ts`), and as written (a native async function).
 */
import { Tasks } from "portals-ts";
import { portalRef } from "../../runtime/api/refs.js";

/** A portal ref that no application serves: the benchmark answers its requests itself. */
export const echo = portalRef<number, number>("/bench/portals/echo");

/** Awaits `n` requests `echo.request(i)` one after the other; returns the sum of the replies. */
export const awaitLoop = Tasks.asker<number, number>(echo, async (n, _ctx) => {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await echo.request(i);
  return sum;
});
