/**
 * A growable buffer of latency samples (ms). The portal workloads record one sample per
 * request, from the line before `await portal.request(...)` to the line after it, in the
 * compiled asker and in the native baseline alike; `record` is a module-level function so
 * that the compiled operator reaches it after every resume.
 */
import type { LatencySource } from "./types.js";

const MAX = 1 << 22; // 4M samples (32 MiB) at most; later samples are dropped

export class LatencyRecorder implements LatencySource {
  private buffer = new Float64Array(1 << 16);
  private count = 0;

  record(ms: number): void {
    if (this.count === this.buffer.length) {
      if (this.count >= MAX) return;
      const bigger = new Float64Array(this.buffer.length * 2);
      bigger.set(this.buffer);
      this.buffer = bigger;
    }
    this.buffer[this.count++] = ms;
  }

  reset(): void {
    this.count = 0;
  }

  values(): Float64Array {
    return this.buffer.subarray(0, this.count);
  }
}

/** The recorder of the running child process (one variant per process). */
export const latencies = new LatencyRecorder();

/** Records one request → reply latency in ms. */
export function record(ms: number): void {
  latencies.record(ms);
}

/** The `q`-quantile (0..1) of `sorted` (ascending), by linear interpolation. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const at = (n - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** Sorted copy of `values`. */
export function sorted(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}
