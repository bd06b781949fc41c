/**
 * Workloads 7–9: `system.snapshot()`, `snapshot({ delta: true })` and
 * `Systems.test().restore(bytes, apps)` on large states. One iteration is one snapshot or one
 * restore of a system built once, outside the measurement, in the variant's child process.
 * Every variant reports its snapshot's size (`info`: bytes, and per key or per continuation);
 * the report turns that and the median iteration time into MB/s (10^6 bytes per second).
 *
 * - 7 `snapshot-keys`: an application keys the numbers `0 … 999,999` (`fromRange`, atoms of
 *   1,000) by themselves and keeps a counter per key (`ctx.perKey("count", 0)`), run to
 *   completion: one task holds 1,000,000 keys of a small number each.
 *   `snapshot`: `system.snapshot()` of that system; `restore`: `Systems.test().restore(bytes,
 *   [app])` of such a snapshot into a fresh system (decoding, checksum and all).
 * - 8 `snapshot-parked`: `snapshot-ops.ts` compiled by the project's transformer: an asker
 *   whose async operator awaits `double.request(x)` for each of 100,000 events of one atom.
 *   The system is stepped until the asker has processed that atom (100,000 continuations
 *   parked, their 100,000 requests unread in the portal's stream) and stopped before the
 *   replier runs; then the same two variants. Per continuation, the snapshot bytes are also
 *   split into the continuation tables and the in-flight requests (the rest, the stream
 *   metadata of the system, is a few hundred bytes).
 * - 9 `snapshot-delta`: the counter application of 7 with a longer source: stepped until the
 *   first 1,000,000 numbers are processed (1,000,000 keys), then a full snapshot. Before every
 *   iteration, untimed, the system steps one atom of 1,000 numbers, which writes 1,000 of the
 *   1,000,000 keys (numbers past the first million key as `x % 1,000,000`). `delta`:
 *   `snapshot({ delta: true })` after that atom; `full` (baseline): `snapshot()` after it.
 *
 * Checksums: `snapshot` variants summarise the state in the bytes they wrote; `restore`
 * variants summarise a snapshot of the restored system (so the two agree only if the round
 * trip kept every key); for parked continuations both restore the bytes, run the restored
 * system to the end and check the replies the resumed continuations emitted.
 */
import { serialize } from "node:v8";
import { PortalsApp, Systems, type Application, type TestSystem } from "portals-ts";
import type { RunnerDelta, RunnerState } from "../../runtime/engine/tasks/task-runner.js";
import { createCodec } from "../../runtime/state/codec.js";
import { decodeSnapshot as decodeWith, type SnapshotData } from "../../runtime/system/snapshot.js";
import { importCompiled } from "../lib/compile.js";
import type { Runnable } from "../lib/types.js";
import type * as Ops from "./snapshot-ops.js";

/** The workloads' applications register no data classes: the framework's codec reads their snapshots. */
const codec = createCodec();
const decodeSnapshot = (bytes: Uint8Array): SnapshotData => decodeWith(bytes, codec);

/** Keys of the counter state (workloads 7 and 9). */
export const KEYS = 1_000_000;
/** Atom size of the counter source, and so the keys one atom writes in workload 9. */
export const ATOM = 1000;
/** Continuations parked at once (workload 8). */
export const PARKED = 100_000;
/** Atoms of 1,000 numbers available to workload 9's iterations past the first million. */
const DELTA_ATOMS = 1_000_000;

/** The counter application: `events` numbers keyed by `x % keys`, a counter per key. */
export function keysApp(keys: number, events: number): Application {
  return PortalsApp("keys", (app) => {
    app
      .workflows<number, number>("count")
      .source(app.generators.fromRange(0, events, ATOM, { name: "numbers" }).stream)
      .key((x) => x % keys)
      .map((_x, ctx) => {
        const count = ctx.perKey("count", 0);
        const n = count.get() + 1;
        count.set(n);
        return n;
      })
      .sink()
      .freeze();
  });
}

/** Number of keys of the `count` entries in a snapshot, and the sum of their counts. */
function keysSummary(data: SnapshotData): string {
  let keys = 0;
  let sum = 0;
  for (const w of Object.values(data.workflows)) {
    for (const r of w.runners) {
      for (const v of (r as RunnerState).perKey.get("count")?.values() ?? []) {
        keys++;
        sum += v as number;
      }
    }
  }
  return `${keys} keys, counts sum to ${sum}`;
}

/** The state of `system` as its snapshot summarises it. */
function stateOf(system: TestSystem): string {
  return keysSummary(decodeSnapshot(system.snapshot()));
}

function keys(variant: string, quick: boolean): Runnable {
  const n = quick ? KEYS / 10 : KEYS;
  const app = keysApp(n, n);
  let system: TestSystem | undefined = Systems.test({ seed: 1 });
  system.launch(app);
  system.stepUntilComplete();
  const info = (bytes: Uint8Array): Record<string, number | string> => ({ bytes: bytes.length, count: n, per: "key" });
  switch (variant) {
    case "snapshot": {
      const s = system;
      let bytes: Uint8Array = new Uint8Array();
      return {
        kind: "runnable",
        units: n,
        run: () => (bytes = s.snapshot()),
        check: (written) => keysSummary(decodeSnapshot(written as Uint8Array)),
        long: true,
        iterationLatency: true,
        info: () => info(bytes),
      };
    }
    case "restore": {
      const bytes = system.snapshot();
      system = undefined; // only the bytes stay in memory
      return {
        kind: "runnable",
        units: n,
        run: () => Systems.test().restore(bytes, [app]),
        check: (restored) => stateOf(restored as TestSystem),
        long: true,
        iterationLatency: true,
        info: () => info(bytes),
      };
    }
    default:
      throw new Error(`snapshot-keys: unknown variant ${variant}`);
  }
}

async function parked(variant: string, quick: boolean): Promise<Runnable> {
  const n = quick ? PARKED / 10 : PARKED;
  const { parkedApp } = await importCompiled<typeof Ops>("benchmarks/workloads/snapshot-ops.ts");
  const sum = { value: 0 };
  const app = parkedApp(n, sum);
  const system = Systems.test({ seed: 1 });
  system.launch(app);
  while (system.parkedContinuations < n && system.canStep()) system.step();
  if (system.parkedContinuations !== n) throw new Error(`snapshot-parked: ${system.parkedContinuations} continuations parked, expected ${n}`);
  /** Runs `restored` to the end; the replies its resumed continuations emitted. */
  const finish = (restored: TestSystem): string => {
    const parkedThen = restored.parkedContinuations;
    sum.value = 0;
    restored.stepUntilComplete();
    if (sum.value !== n * n) throw new Error(`snapshot-parked: after the restore, the replies sum to ${sum.value}, expected ${n * n}`);
    return `${parkedThen} continuations parked; run on after the restore, they emit values summing to ${sum.value}`;
  };
  /**
   * Size of `bytes`, and what they hold per continuation: the continuation tables and the
   * requests in flight (each part as V8 serializes it, which for plain data is what the codec
   * writes).
   */
  const info = (bytes: Uint8Array): Record<string, number | string> => {
    const data = decodeSnapshot(bytes);
    const tables = Object.values(data.workflows).flatMap((w) => w.runners.map((r) => (r as RunnerState).parked));
    const tableBytes = serialize(tables).length;
    const streamBytes = serialize(data.streams).length;
    return {
      bytes: bytes.length,
      count: n,
      per: "continuation",
      tableBytes,
      streamBytes,
      note: `continuation tables ${(tableBytes / n).toFixed(0)} B, requests in flight ${(streamBytes / n).toFixed(0)} B per continuation`,
    };
  };
  switch (variant) {
    case "snapshot": {
      let bytes: Uint8Array = new Uint8Array();
      return {
        kind: "runnable",
        units: n,
        run: () => (bytes = system.snapshot()),
        check: (written) => finish(Systems.test().restore(written as Uint8Array, [app])),
        long: true,
        iterationLatency: true,
        info: () => info(bytes),
      };
    }
    case "restore": {
      const bytes = system.snapshot();
      return {
        kind: "runnable",
        units: n,
        run: () => Systems.test().restore(bytes, [app]),
        check: (restored) => finish(restored as TestSystem),
        long: true,
        iterationLatency: true,
        info: () => ({ bytes: bytes.length, count: n, per: "continuation" }),
      };
    }
    default:
      throw new Error(`snapshot-parked: unknown variant ${variant}`);
  }
}

/** Keys set in a delta's per-key changes. */
function keysInDelta(data: SnapshotData): number {
  let n = 0;
  for (const w of Object.values(data.workflows)) for (const r of w.runners) for (const m of (r as RunnerDelta).changes.set.values()) n += m.size;
  return n;
}

function delta(variant: string, quick: boolean): Runnable {
  if (variant !== "delta" && variant !== "full") throw new Error(`snapshot-delta: unknown variant ${variant}`);
  const n = quick ? KEYS / 10 : KEYS;
  const app = keysApp(n, n + ATOM * DELTA_ATOMS);
  const system = Systems.test({ seed: 1 });
  system.launch(app);
  // Workflows step before generators: atom by atom, nothing is left unread in between.
  while (system.stats.events < n) system.step();
  const base = system.snapshot(); // the full snapshot the first delta extends
  let bytes = base;
  /** Steps until the counting workflow has processed one more atom (1,000 keys written). */
  const setup = (): void => {
    const { atoms, events } = system.stats;
    while (system.stats.atoms === atoms) {
      if (!system.canStep()) throw new Error("snapshot-delta: the source ran out of atoms; raise DELTA_ATOMS");
      system.step();
    }
    if (system.stats.events - events !== ATOM) throw new Error(`snapshot-delta: an atom of ${system.stats.events - events} events, expected ${ATOM}`);
  };
  const take = variant === "delta" ? () => system.snapshot({ delta: true }) : () => system.snapshot();
  return {
    kind: "runnable",
    units: 1,
    setup,
    run: () => (bytes = take()),
    // The memory pass's snapshot (after the first million numbers and one atom), restored with
    // the chain it needs.
    check: (written) => stateOf(Systems.test().restore(variant === "delta" ? [base, written as Uint8Array] : (written as Uint8Array), [app])),
    long: variant === "full",
    iterationLatency: true,
    info: () => {
      const written = variant === "delta" ? keysInDelta(decodeSnapshot(bytes)) : ATOM;
      return { bytes: bytes.length, count: written, per: "written key", note: `${written} of ${n} keys written since the previous snapshot` };
    },
  };
}

export async function snapshot(workload: "keys" | "parked" | "delta", variant: string, quick: boolean): Promise<Runnable> {
  switch (workload) {
    case "keys":
      return keys(variant, quick);
    case "parked":
      return parked(variant, quick);
    case "delta":
      return delta(variant, quick);
  }
}
