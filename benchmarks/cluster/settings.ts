/** Settings the cluster benchmark (`benchmarks/cluster.ts`) and its processes (`runtime.ts`) share. */

/**
 * Every runtime's checkpoint interval: a sink's output is committed by the next checkpoint, so
 * with the default (1 s) the last event of a run waited half a second on average, a third of
 * the run; a runtime that wants its output sooner sets a shorter interval, as here. It is also
 * the bound the commit rule's latency is held to (docs/cluster.md, "Costs, measured").
 */
export const CHECKPOINT_INTERVAL_MS = 100;
