/**
 * Workload 2: keyed count over `fromRange(0, N, 1024)`: key `x % 1000`, then a per-key counter
 * that emits the new count of the event's key. Rate: source events per second.
 *
 * - `portals`: `key((x) => x % 1000)` then `map` with `ctx.perKey("count", 0)`.
 * - `loop`: hand-written loop over atoms as arrays (allocated at their length, filled by index)
 *   with one `Map<number, number>` of counts; the counts of an atom go to an output array.
 * - `rxjs`: `range(0, N).pipe(groupBy(x => x % 1000), mergeMap(g => g.pipe(scan(n => n + 1, 0))))`.
 */
import { groupBy, mergeMap, range, scan } from "rxjs";
import { PortalsApp, type Application } from "portals-ts";
import { runToCompletion, sinkSummed } from "../lib/run.js";
import type { Runnable } from "../lib/types.js";
import { ATOM } from "./chain.js";

export const KEYS = 1000;

/** Shape of a keyed count run: key space and atom size (defaults: workload 2's). */
export interface KeyedShape {
  readonly keys?: number;
  readonly atomSize?: number;
}

/**
 * The keyed count over `fromRange(0, events, atomSize)` with `key(x % keys)`; with `sum`, a last
 * step adds every emitted count to `sum.value`.
 */
export function keyedApp(events: number, sum?: { value: number }, shape: KeyedShape = {}): Application {
  const { keys = KEYS, atomSize = ATOM } = shape;
  return PortalsApp(`keyed-count-${keys}-${atomSize}`, (app) => {
    const numbers = app.generators.fromRange(0, events, atomSize, { name: "numbers" });
    const flow = app
      .workflows<number, number>("count")
      .source(numbers.stream)
      .key((x) => x % keys)
      .map((_x, ctx) => {
        const count = ctx.perKey("count", 0);
        const n = count.get() + 1;
        count.set(n);
        return n;
      });
    sinkSummed(flow, sum);
  });
}

/** Hand-written baseline; returns the sum of the emitted counts. */
export function keyedLoop(events: number): number {
  const counts = new Map<number, number>();
  let sum = 0;
  for (let start = 0; start < events; start += ATOM) {
    const stop = Math.min(start + ATOM, events);
    const atom = new Array<number>(stop - start);
    for (let x = start, j = 0; x < stop; x++, j++) atom[j] = x;
    const out = new Array<number>(atom.length);
    for (let j = 0; j < atom.length; j++) {
      const k = atom[j]! % KEYS;
      const n = (counts.get(k) ?? 0) + 1;
      counts.set(k, n);
      out[j] = n;
    }
    for (let j = 0; j < out.length; j++) sum += out[j]!;
  }
  return sum;
}

/** RxJS baseline (groupBy + scan); returns the sum of the emitted counts. */
export function keyedRx(events: number): number {
  let sum = 0;
  range(0, events)
    .pipe(
      groupBy((x) => x % KEYS),
      mergeMap((group) => group.pipe(scan((n) => n + 1, 0))),
    )
    .subscribe((n) => (sum += n));
  return sum;
}

export function keyed(variant: string, quick: boolean): Runnable {
  const events = quick ? 1 << 14 : 1 << 16;
  switch (variant) {
    case "portals": {
      const app = keyedApp(events);
      return {
        kind: "runnable",
        units: events,
        run: () => runToCompletion(app),
        check: () => {
          const sum = { value: 0 };
          runToCompletion(keyedApp(events, sum));
          return sum.value;
        },
      };
    }
    case "loop":
      return { kind: "runnable", units: events, run: () => keyedLoop(events) };
    case "rxjs":
      return { kind: "runnable", units: events, run: () => keyedRx(events) };
    default:
      throw new Error(`keyed: unknown variant ${variant}`);
  }
}
