/**
 * Every measured group, in the order of the table. A group's variants are loaded lazily in the
 * child process that measures them, so the orchestrator imports none of the workloads.
 * To add a workload: a module in this folder that returns a `Runnable` (or `FileRunnable`) per
 * variant, and a group here.
 */
import type { GroupSpec, VariantSpec } from "../lib/types.js";

const portals = (label: string): VariantSpec => ({ id: "portals", label, baseline: false });
const baseline = (id: string, label: string): VariantSpec => ({ id, label, baseline: true });

const chainGroup = (length: number): GroupSpec => ({
  id: `chain-${length}`,
  workload: 1,
  title: `stateless chain map→filter→map, ${length} tasks`,
  unit: "events/s",
  variants: [portals("portals workflow"), baseline("loop", "hand-written loop"), baseline("rxjs", "RxJS pipe")],
  load: async (variant, options) => (await import("./chain.js")).chain(length, variant, options.quick),
});

const portalGroup = (keys: number): GroupSpec => ({
  id: `portal-${keys}`,
  workload: 4,
  title: `portal round trips, ${keys.toLocaleString("en-US")} key${keys === 1 ? "" : "s"}`,
  unit: "requests/s",
  latency: "request → reply",
  variants: [portals("compiled asker → replier"), baseline("native", "native promises")],
  load: async (variant, options) => (await import("./portal.js")).portal(keys, variant, options.quick),
});

const snapshotGroup = (id: "keys" | "parked", workload: number, title: string, unit: string): GroupSpec => ({
  id: `snapshot-${id}`,
  workload,
  title,
  unit,
  latency: "per snapshot or restore",
  variants: [
    { id: "snapshot", label: "system.snapshot()", baseline: false },
    { id: "restore", label: "Systems.test().restore(bytes, [app])", baseline: false },
  ],
  load: async (variant, options) => (await import("./snapshot.js")).snapshot(id, variant, options.quick),
});

const codecGroup = (value: "map" | "mix", direction: "encode" | "decode"): GroupSpec => ({
  id: `snapshot-codec-${value}-${direction}`,
  workload: 10,
  title: `codec ${direction}, ${value === "map" ? "Map of 1,000,000 small objects" : "50,000 records with Map/Set/Date"}`,
  unit: value === "map" ? "entries/s" : "records/s",
  latency: `per ${direction} of the whole value`,
  variants: [
    { id: "codec", label: direction === "encode" ? "codec.encode (check or walk + msgpackr)" : "codec.decode (msgpackr + walk)", baseline: false },
    baseline("v8", direction === "encode" ? "v8.serialize" : "v8.deserialize"),
    baseline("json", direction === "encode" ? "JSON.stringify" : "JSON.parse"),
  ],
  load: async (variant, options) => (await import("./codec.js")).codecWorkload(value, direction, variant, options.quick),
});

/** Workload 12: the keyed count at 10^`exponent` keys, every atom size in one child. */
const scalingGroup = (exponent: number): GroupSpec => ({
  id: `scaling-1e${exponent}`,
  workload: 12,
  title: `keyed count at 10^${exponent} keys, atoms of 1 to 65,536 (one pass over the five)`,
  unit: "events/s",
  variants: [portals("portals workflow"), baseline("loop", "hand-written Map loop")],
  load: async (variant, options) => (await import("./scaling.js")).scaling(10 ** exponent, variant, options.quick),
});

export const GROUPS: readonly GroupSpec[] = [
  chainGroup(3),
  chainGroup(32),
  {
    id: "keyed",
    workload: 2,
    title: "keyed count, key(x % 1000) + per-key counter",
    unit: "events/s",
    variants: [portals("portals workflow"), baseline("loop", "hand-written loop + Map"), baseline("rxjs", "RxJS groupBy/scan")],
    load: async (variant, options) => (await import("./keyed.js")).keyed(variant, options.quick),
  },
  {
    id: "word-count",
    workload: 3,
    title: "word count, Moby-Dick",
    unit: "words/s",
    variants: [portals("examples/word-count"), baseline("map", "direct Map count")],
    load: async (variant) => (await import("./word-count.js")).wordCount(variant),
  },
  portalGroup(1),
  portalGroup(128),
  portalGroup(10_000),
  {
    id: "resume",
    workload: 5,
    title: "continuation resume",
    unit: "resumes/s",
    latency: "per resume",
    variants: [
      { id: "machine", label: "compiled machine (Invocation)", baseline: false },
      baseline("native", "native async/await"),
    ],
    load: async (variant) => (await import("./resume.js")).resume(variant),
  },
  {
    id: "transform-transpile",
    workload: 6,
    title: "transform, syntax only (transpileModule)",
    unit: "files/s",
    latency: "ms per file",
    paired: true,
    variants: [portals("with portals transformer"), baseline("plain", "without transformer")],
    load: async (variant) => (await import("./transform.js")).transform("transpile", variant),
  },
  {
    id: "transform-program",
    workload: 6,
    title: "transform, type-checked (ts.Program emit)",
    unit: "files/s",
    latency: "ms per file",
    paired: true,
    variants: [portals("with portals transformer"), baseline("plain", "without transformer")],
    load: async (variant) => (await import("./transform.js")).transform("program", variant),
  },
  snapshotGroup("keys", 7, "snapshot/restore, 1,000,000 keys of per-key counters", "keys/s"),
  snapshotGroup("parked", 8, "snapshot/restore, 100,000 parked continuations", "continuations/s"),
  {
    id: "snapshot-delta",
    workload: 9,
    title: "snapshot after an atom writing 1,000 of 1,000,000 keys",
    unit: "snapshots/s",
    latency: "per snapshot",
    variants: [
      { id: "delta", label: "snapshot({ delta: true })", baseline: false },
      baseline("full", "full snapshot()"),
    ],
    load: async (variant, options) => (await import("./snapshot.js")).snapshot("delta", variant, options.quick),
  },
  codecGroup("map", "encode"),
  codecGroup("map", "decode"),
  codecGroup("mix", "encode"),
  codecGroup("mix", "decode"),
  {
    id: "cart",
    workload: 11,
    title: "shopping cart end to end, recorded trace (110,000 events)",
    unit: "events/s",
    variants: [portals("examples/shopping-cart"), baseline("maps", "hand-written Maps, reading the trace"), baseline("parsed", "hand-written Maps, trace parsed before")],
    load: async (variant) => (await import("./cart.js")).cartWorkload(variant),
  },
  scalingGroup(3),
  scalingGroup(4),
  scalingGroup(5),
  scalingGroup(6),
  scalingGroup(7),
  {
    id: "parked-memory",
    workload: 13,
    title: "memory of 100,000 parked continuations (heap after GC)",
    unit: "continuations/s",
    latency: "per parking of all",
    variants: [
      { id: "portals", label: "compiled asker, parked in the engine", baseline: false },
      baseline("native", "native async functions on pending promises"),
    ],
    load: async (variant, options) => (await import("./parked-memory.js")).parkedMemory(variant, options.quick),
  },
];

/** The group with `id`. */
export function group(id: string): GroupSpec {
  const g = GROUPS.find((x) => x.id === id);
  if (g === undefined) throw new Error(`unknown benchmark group ${id}; known: ${GROUPS.map((x) => x.id).join(", ")}`);
  return g;
}
