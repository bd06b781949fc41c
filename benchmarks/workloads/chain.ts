/**
 * Workload 1: a stateless chain over `fromRange(0, N, 1024)`. Stage `i` of a chain of length L
 * is, by `i % 3`: map `x + 1`, filter `(x & 15) !== 0`, map `x - 1` (so lengths 3 and 32 keep
 * the values bounded and drop one event in 16). Rate: source events per second.
 *
 * - `portals`: one workflow, one task per stage, run to completion in a fresh `Systems.test`.
 * - `loop`: hand-written loop over arrays: each atom of 1024 numbers is built as the generator
 *   builds it (allocated at its length, filled by index), every element goes through the L
 *   stages written out inline, survivors go to an output array allocated the same way.
 * - `rxjs`: `range(0, N).pipe(map, filter, map, ...)` with the same L operators.
 */
import { filter, map, range, type OperatorFunction } from "rxjs";
import { PortalsApp, type Application, type FlowBuilder } from "portals-ts";
import { runToCompletion, sinkSummed } from "../lib/run.js";
import type { Runnable } from "../lib/types.js";

export const ATOM = 1024;

const add = (x: number): number => x + 1;
const keep = (x: number): boolean => (x & 15) !== 0;
const sub = (x: number): number => x - 1;

/** The chain application; with `sum`, a last step adds every output to `sum.value`. */
export function chainApp(length: number, events: number, sum?: { value: number }): Application {
  return PortalsApp(`chain-${length}`, (app) => {
    const numbers = app.generators.fromRange(0, events, ATOM, { name: "numbers" });
    let flow: FlowBuilder<number, number, any, number> = app.workflows<number, number>("chain").source(numbers.stream);
    for (let i = 0; i < length; i++) {
      const k = i % 3;
      // A new closure per stage, as a user writing the stages out would have.
      flow = k === 0 ? flow.map((x) => x + 1) : k === 1 ? flow.filter((x) => (x & 15) !== 0) : flow.map((x) => x - 1);
    }
    sinkSummed(flow, sum);
  });
}

/**
 * Hand-written baseline: atoms as arrays allocated at their length and filled by index, the
 * stages written out inline in one loop (generated once per length so that the 32 stages need
 * not be typed out; the JIT sees straight-line code, as for a loop written by hand). Returns
 * `(events) => sum of the outputs`.
 */
export function chainLoop(length: number): (events: number) => number {
  const stages: string[] = [];
  for (let i = 0; i < length; i++) {
    const k = i % 3;
    stages.push(k === 0 ? "v = v + 1;" : k === 1 ? "if ((v & 15) === 0) continue;" : "v = v - 1;");
  }
  return new Function(
    "ATOM",
    `return function chainLoop(events) {
      let sum = 0;
      for (let start = 0; start < events; start += ATOM) {
        const stop = Math.min(start + ATOM, events);
        const atom = new Array(stop - start);
        for (let x = start, j = 0; x < stop; x++, j++) atom[j] = x;
        const out = new Array(atom.length);
        let n = 0;
        for (let j = 0; j < atom.length; j++) {
          let v = atom[j];
          ${stages.join("\n          ")}
          out[n++] = v;
        }
        out.length = n;
        for (let j = 0; j < out.length; j++) sum += out[j];
      }
      return sum;
    };`,
  )(ATOM) as (events: number) => number;
}

/** RxJS baseline: the same operators on `range`; returns the sum of the outputs. */
export function chainRx(length: number, events: number): number {
  const ops: OperatorFunction<number, number>[] = [];
  for (let i = 0; i < length; i++) {
    const k = i % 3;
    ops.push(k === 0 ? map(add) : k === 1 ? filter(keep) : map(sub));
  }
  let sum = 0;
  // What `source.pipe(...ops)` does (rxjs pipeFromArray), without pipe's 9-operator typings.
  ops.reduce((source, op) => op(source), range(0, events)).subscribe((v) => (sum += v));
  return sum;
}

export function chain(length: number, variant: string, quick: boolean): Runnable {
  const events = quick ? 1 << 14 : 1 << 16;
  switch (variant) {
    case "portals": {
      const app = chainApp(length, events);
      return {
        kind: "runnable",
        units: events,
        run: () => runToCompletion(app),
        check: () => {
          const sum = { value: 0 };
          runToCompletion(chainApp(length, events, sum));
          return sum.value;
        },
      };
    }
    case "loop": {
      const loop = chainLoop(length);
      return { kind: "runnable", units: events, run: () => loop(events) };
    }
    case "rxjs":
      return { kind: "runnable", units: events, run: () => chainRx(length, events) };
    default:
      throw new Error(`chain: unknown variant ${variant}`);
  }
}
