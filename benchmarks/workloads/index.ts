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
];

/** The group with `id`. */
export function group(id: string): GroupSpec {
  const g = GROUPS.find((x) => x.id === id);
  if (g === undefined) throw new Error(`unknown benchmark group ${id}; known: ${GROUPS.map((x) => x.id).join(", ")}`);
  return g;
}
