/**
 * Workload 12: how the keyed count of workload 2 scales with the key space and the atom size.
 * One group per key space K (10^3 … 10^7); in its child, one iteration is a *pass* over the
 * cells, one per atom size (1, 16, 256, 4,096, 65,536), each a fresh run of
 * `fromRange(0, N, atomSize)` → `key(x % K)` → `map` with `ctx.perKey("count", 0)` counting.
 * Rate: source events per second.
 *
 * - `portals`: every cell launches a fresh `Systems.test({ seed: 1 })` and steps it to
 *   completion (the five applications are built once, when the variant loads).
 * - `loop`: the hand-written limit: one `Map<number, number>` of counts, a plain loop over
 *   `0 … N - 1`. It has no atoms, so its pass runs once per distinct N, and each atom size's
 *   cell reports the loop over the same N.
 *
 * N depends on the atom size only ({@link cellEvents}): 65,536 events in atoms of 1, 262,144
 * in atoms of 16, 1,048,576 in larger atoms; so a cell takes ~0.05–1.5 s, and the keys
 * touched are min(N, K): with K = 10^7 the runs touch 1,048,576 keys (every event a new key).
 * Filling 10^7 keys takes ~10 s even for the plain `Map` loop on the 2-core machine, too long
 * for the suite. There is no forced GC between cells (a cell may pay for collecting the previous
 * one's state, as in any run): a forced full GC deoptimizes the engine's hot code (V8: "weak
 * objects", code specialised on the previous system's objects) and made the next cell 2–4×
 * slower, which no real run sees that often.
 *
 * Per cell, the times of every pass after the first are kept; `info()` gives the median time
 * per cell and its rate, and `lib/report.ts` (`scalingTable`) prints them as a table of K ×
 * atom size. The main table's rows are whole passes (all cells), so
 * they mostly show the slowest cells, and the loop's pass is shorter (three runs, not five).
 *
 * The first pass is the memory pass: it computes the checksum, per atom size N and the sum of
 * the emitted counts; the `portals` variant runs its applications with a summing step at the
 * end there, so the timed runs have no extra task (the memory columns include that step).
 */
import { runToCompletion } from "../lib/run.js";
import type { Runnable } from "../lib/types.js";
import { keyedApp } from "./keyed.js";

/** Atom sizes of the table (one cell each). */
export const ATOM_SIZES = [1, 16, 256, 4096, 65536] as const;

/**
 * Events N of a cell, by atom size only, so that every row of the table does the same work:
 * 2^16 for atoms of 1, 2^18 for atoms of 16, 2^20 for larger ones (an eighth of that with
 * `--quick`). 2^20 ≥ K up to K = 10^6, so those runs touch every key; N is capped there
 * (10^7 keys would take ~10 s per run even in the plain `Map` loop on the 2-core machine).
 */
export function cellEvents(atomSize: number, quick: boolean): number {
  const n = atomSize === 1 ? 1 << 16 : atomSize === 16 ? 1 << 18 : 1 << 20;
  return quick ? n >> 3 : n;
}

/** The hand-written limit: counts per key in one `Map`; returns the sum of the counts. */
export function scalingLoop(keys: number, events: number): number {
  const counts = new Map<number, number>();
  let sum = 0;
  for (let x = 0; x < events; x++) {
    const k = x % keys;
    const n = (counts.get(k) ?? 0) + 1;
    counts.set(k, n);
    sum += n;
  }
  return sum;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One timed run: `events` events (for the portals, in atoms of `atomSize`). */
interface Cell {
  readonly atomSize: number;
  readonly events: number;
  /** Milliseconds of every run after the memory pass. */
  readonly times: number[];
}

/**
 * Loads one variant (`portals` or `loop`) of the group of key space `keys`: a `long` runnable
 * whose iteration is one pass over its cells; `info()` holds every atom size's cell
 * (`events@<atom>`, `ms@<atom>`, `rate@<atom>`, `samples@<atom>`) and `keys`.
 *
 * The portals pass runs the five atom sizes. The loop has no atoms, so its pass runs once per
 * distinct N (2^16, 2^18, 2^20) and every atom size's cell reports the loop over its N.
 *
 * The first pass is the memory pass (first thing after loading): its times are no samples, and
 * it computes the checksum: the portals variant runs the applications with a summing step then
 * (so the timed runs have no extra task), which also warms up the code of the timed runs.
 */
export function scaling(keys: number, variant: string, quick: boolean): Runnable {
  const byAtom = ATOM_SIZES.map((atomSize) => ({ atomSize, events: cellEvents(atomSize, quick) }));
  const sums = (sum: (events: number, atomSize: number) => number): string =>
    byAtom.map((c) => `atoms of ${c.atomSize}: ${c.events} events, sum ${sum(c.events, c.atomSize)}`).join("; ");
  let cells: Cell[];
  let timed: (c: Cell) => void;
  let first: () => string;
  switch (variant) {
    case "portals": {
      cells = byAtom.map((c) => ({ ...c, times: [] }));
      const apps = new Map(cells.map((c) => [c.atomSize, keyedApp(c.events, undefined, { keys, atomSize: c.atomSize })]));
      timed = (c) => runToCompletion(apps.get(c.atomSize)!);
      first = () =>
        sums((events, atomSize) => {
          const sum = { value: 0 };
          runToCompletion(keyedApp(events, sum, { keys, atomSize }));
          return sum.value;
        });
      break;
    }
    case "loop": {
      cells = [...new Set(byAtom.map((c) => c.events))].map((events) => ({ atomSize: 0, events, times: [] }));
      timed = (c) => void scalingLoop(keys, c.events);
      first = () => {
        const computed = new Map<number, number>();
        for (const c of cells) {
          computed.set(c.events, scalingLoop(keys, c.events));
        }
        return sums((events) => computed.get(events)!);
      };
      break;
    }
    default:
      throw new Error(`scaling: unknown variant ${variant}`);
  }
  let passes = 0;
  return {
    kind: "runnable",
    units: cells.reduce((a, c) => a + c.events, 0),
    long: true,
    run: () => {
      if (passes++ === 0) return first();
      for (const c of cells) {
        const start = performance.now();
        timed(c);
        c.times.push(performance.now() - start);
      }
      return undefined;
    },
    info: () => {
      const info: Record<string, number | string> = { keys };
      for (const { atomSize, events } of byAtom) {
        const c = cells.find((x) => x.events === events && (x.atomSize === atomSize || x.atomSize === 0))!;
        const ms = median(c.times);
        info[`events@${atomSize}`] = events;
        info[`ms@${atomSize}`] = ms;
        info[`rate@${atomSize}`] = events / (ms / 1000);
        info[`samples@${atomSize}`] = c.times.length;
      }
      return info;
    },
  };
}
