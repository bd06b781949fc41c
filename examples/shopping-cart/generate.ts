/**
 * The shopping cart's trace generator: seeded restocking events and user cart operations, with
 * Zipf-distributed item popularity (a few items are bought very often, most rarely). It wrote
 * the recorded trace in `data/` once (write-trace.ts; a test checks the files are exactly its
 * output), and generates a smaller trace in memory where there are no files (excerpt.ts, the
 * playground).
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { CartOp, Restock, Trace } from "./model.js";

/** What the trace is made of. */
export interface TraceOptions {
  readonly seed: number;
  readonly items: number;
  readonly users: number;
  readonly cartOps: number;
  readonly restocks: number;
  /** Zipf exponent of item popularity. */
  readonly skew: number;
}

/** The options the committed trace was generated with. */
export const TRACE: TraceOptions = { seed: 20261130, items: 1000, users: 2000, cartOps: 100_000, restocks: 10_000, skew: 1.1 };

/** Generates the trace: cart operations and restocks, each in order. */
export function generateTrace(o: TraceOptions): { cart: CartOp[]; restocks: Restock[] } {
  const rng = xoroshiro128plus(o.seed);
  // Cumulative Zipf weights: item i (0-based) has weight 1 / (i + 1)^skew.
  const cdf: number[] = [];
  let total = 0;
  for (let i = 0; i < o.items; i++) cdf.push((total += 1 / Math.pow(i + 1, o.skew)));
  const popularItem = (): number => {
    const u = uniformFloat64(rng) * total;
    let lo = 0;
    let hi = o.items - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const carts: number[][] = Array.from({ length: o.users }, () => []);
  const cart: CartOp[] = [];
  for (let n = 0; n < o.cartOps; n++) {
    const user = uniformInt(rng, 0, o.users - 1);
    const intended = carts[user]!;
    const roll = uniformInt(rng, 0, 99);
    if (intended.length === 0 || roll < 60) {
      const item = popularItem();
      intended.push(item);
      cart.push({ op: "add", user, item });
    } else if (roll < 72) {
      const item = intended.splice(uniformInt(rng, 0, intended.length - 1), 1)[0]!;
      cart.push({ op: "remove", user, item });
    } else {
      intended.length = 0;
      cart.push({ op: "checkout", user });
    }
  }
  // Popular items are restocked more often.
  const restocks: Restock[] = [];
  for (let n = 0; n < o.restocks; n++) restocks.push({ item: popularItem(), qty: uniformInt(rng, 1, 5) });
  return { cart, restocks };
}

/** One JSON value per line. */
export function jsonLines(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join("\n") + "\n";
}

/** The trace `o` generated in memory, each part replayable (its events are an array). */
export function generatedTrace(o: TraceOptions): Trace {
  const { cart, restocks } = generateTrace(o);
  return { cart: (app, options) => app.generators.fromIterable(cart, options), restocks: (app, options) => app.generators.fromIterable(restocks, options) };
}
