/**
 * Peak memory of one iteration of a variant, in its own child process (`run-one.ts` runs the
 * memory pass before any timed iteration, so the heap is not yet grown by earlier samples).
 *
 * - Peak RSS: on Linux the kernel's high-water mark `VmHWM`, reset just before the iteration by
 *   writing `5` to `/proc/self/clear_refs`; elsewhere `process.resourceUsage().maxRSS` (the peak
 *   of the whole process, so it includes start-up). RSS includes Node, tsx and the loaded code.
 * - Peak heap used: V8's used heap size just before every GC during the iteration (heap use only
 *   grows between collections, so its maxima are there) and at the end, from `v8.GCProfiler`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import v8 from "node:v8";
import type { MemoryResult } from "./types.js";

const MiB = 1024 * 1024;

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run the benchmarks with node --expose-gc (npm run bench does)");
  gc();
  gc();
}

function hwm(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    return m === null ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}

function resetHwm(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` once and reports its peak memory with its result. */
export async function measureMemory<T>(fn: () => T | Promise<T>): Promise<{ result: T; memory: MemoryResult }> {
  collect();
  const idle = process.memoryUsage();
  const useHwm = resetHwm() && hwm() !== undefined;
  const profiler = new v8.GCProfiler();
  profiler.start();
  const result = await fn();
  const end = process.memoryUsage();
  const profile = profiler.stop();
  let peakHeap = end.heapUsed;
  for (const s of profile?.statistics ?? []) peakHeap = Math.max(peakHeap, s.beforeGC.heapStatistics.usedHeapSize);
  const peakRss = useHwm ? hwm()! : process.resourceUsage().maxRSS / 1024;
  return {
    result,
    memory: {
      peakRss: Math.max(peakRss, end.rss / MiB),
      idleRss: idle.rss / MiB,
      peakHeap: peakHeap / MiB,
      idleHeap: idle.heapUsed / MiB,
      rssSource: useHwm ? "VmHWM" : "maxRSS",
    },
  };
}
