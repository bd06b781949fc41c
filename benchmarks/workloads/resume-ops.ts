/**
 * The operator of workload 5 (continuation resume overhead): an asker that awaits `AWAITS`
 * requests in a loop and returns the sum of the replies. The benchmark runs this same source
 * twice: compiled by the project's transformer (a machine, driven through
 * `runtime/engine/portals/invocation.ts`), and as written (a native async function).
 */
import { Tasks, type PortalRef, type RequestHandle } from "portals-ts";

let nativeRequest: (payload: number) => Promise<number> = () => {
  throw new Error("resume-ops: set what echo.request does natively with setEchoRequest");
};

/** Sets what `echo.request(payload)` returns when the native operator calls it. */
export function setEchoRequest(request: (payload: number) => Promise<number>): void {
  nativeRequest = request;
}

/**
 * A portal that no application serves: the benchmark answers its requests itself, through the
 * context's requester when compiled, through {@link setEchoRequest} natively.
 */
export const echo = {
  kind: "portal",
  path: "/bench/portals/echo",
  request: (payload: number) => nativeRequest(payload) as unknown as RequestHandle<number>,
} as PortalRef<number, number>;

/** Awaits `n` requests `echo.request(i)` one after the other; returns the sum of the replies. */
export const awaitLoop = Tasks.asker<number, number>(echo, async (n, _ctx) => {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await echo.request(i);
  return sum;
});
