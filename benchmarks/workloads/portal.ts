/**
 * Workload 4: portal round trips. An asker awaits a replier, for 1, 128 and 10,000 keys.
 * Rate: requests per second; latency: request → reply of each request, p50/p99 over every
 * request of the measured iterations.
 *
 * - `portals`: `portal-ops.ts` compiled by the project's transformer (the async asker becomes
 *   a machine), run to completion in a fresh `Systems.test` per iteration. Requests leave in
 *   atoms of 1024 (the source's atoms), so up to 1024 are in flight; the replier serves a
 *   request atom as one batch and the replies resume the continuations in request order.
 * - `native`: the same shape with native promises. An async asker per event awaits
 *   `request(x)`, a promise that a server function resolves: requests are queued and the
 *   server drains the queue in one microtask (per-key counters in a `Map`), atoms of 1024
 *   askers run concurrently and the next atom starts when all of them are done.
 */
import { importCompiled } from "../lib/compile.js";
import { latencies, record } from "../lib/latency.js";
import { runToCompletion } from "../lib/run.js";
import type { Runnable } from "../lib/types.js";
import type * as Ops from "./portal-ops.js";

export const ATOM = 1024;

/** Native baseline; returns the sum of the replies. */
export async function nativeRoundTrips(requests: number, keys: number, atom: number): Promise<number> {
  const counts = new Map<number, number>();
  let queue: { x: number; resolve: (n: number) => void }[] = [];
  let scheduled = false;
  const drain = (): void => {
    scheduled = false;
    const batch = queue;
    queue = [];
    for (const { x, resolve } of batch) {
      const k = x % keys;
      const n = (counts.get(k) ?? 0) + 1;
      counts.set(k, n);
      resolve(n);
    }
  };
  const request = (x: number): Promise<number> =>
    new Promise<number>((resolve) => {
      queue.push({ x, resolve });
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(drain);
      }
    });
  let sum = 0;
  const asker = async (x: number): Promise<void> => {
    const start = performance.now();
    const n = await request(x);
    record(performance.now() - start);
    sum += n;
  };
  for (let start = 0; start < requests; start += atom) {
    const stop = Math.min(start + atom, requests);
    const pending: Promise<void>[] = [];
    for (let x = start; x < stop; x++) pending.push(asker(x));
    await Promise.all(pending);
  }
  return sum;
}

export async function portal(keys: number, variant: string, quick: boolean): Promise<Runnable> {
  const requests = quick ? 1 << 12 : 1 << 14;
  switch (variant) {
    case "portals": {
      const { portalApp } = await importCompiled<typeof Ops>("benchmarks/workloads/portal-ops.ts");
      const app = portalApp(requests, keys, ATOM);
      return {
        kind: "runnable",
        units: requests,
        run: () => runToCompletion(app),
        check: () => {
          const sum = { value: 0 };
          runToCompletion(portalApp(requests, keys, ATOM, sum));
          return sum.value;
        },
        latencies,
      };
    }
    case "native":
      return { kind: "runnable", units: requests, run: () => nativeRoundTrips(requests, keys, ATOM), latencies };
    default:
      throw new Error(`portal: unknown variant ${variant}`);
  }
}
