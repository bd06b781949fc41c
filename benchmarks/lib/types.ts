/**
 * The shapes shared by the benchmark orchestrator (`main.ts`), the per-variant child process
 * (`run-one.ts`) and the workloads (`workloads/*.ts`).
 *
 * A *group* is one measured situation (e.g. "stateless chain of 3 tasks"); its *variants* are
 * the portals implementation and the baselines that do the same computation. Every variant of
 * every group runs in its own child process, so JIT feedback, heap and peak RSS of one variant
 * never leak into another.
 */

/** One implementation of a group's computation. */
export interface VariantSpec {
  /** Short id, unique within the group (`portals`, `loop`, `rxjs`, ...). */
  readonly id: string;
  /** What the variant is, for the table. */
  readonly label: string;
  /** True for the baselines the portals variant is compared with. */
  readonly baseline: boolean;
}

/** A measured situation and its variants. */
export interface GroupSpec {
  /** Id, used on the command line (`--only`) and in the results. */
  readonly id: string;
  /** Workload number and a title. */
  readonly workload: number;
  readonly title: string;
  /** Unit of the rate column, e.g. `events/s`. */
  readonly unit: string;
  /** What the p50/p99 columns are for this group; absent when they do not apply. */
  readonly latency?: string;
  readonly variants: readonly VariantSpec[];
  /**
   * All variants are measured in one child process, interleaved (compiler workloads, whose
   * variants run the same TypeScript code and share its program); otherwise one process each.
   */
  readonly paired?: boolean;
  /** Loads one variant (in the child process). */
  load(variant: string, options: LoadOptions): Promise<Runnable | FileRunnable>;
}

/** Options the orchestrator hands to every child. */
export interface LoadOptions {
  /** Shorter measurements, for a smoke test of the suite (`npm run bench -- --quick`). */
  readonly quick: boolean;
}

/**
 * A variant ready to measure: `run` is one iteration (sync or async) that processes `units`
 * units (events, requests, resumes, words).
 */
export interface Runnable {
  readonly kind: "runnable";
  /** Units processed by one call of {@link run}. */
  readonly units: number;
  /** One iteration. Its return value is the checksum unless {@link check} is given. */
  run(): unknown;
  /**
   * A checksum of the computation, compared across the variants of the group (every variant
   * must compute the same thing). For variants whose measured `run` has no observable result
   * (an engine pipeline that ends in a sink), `check` runs the same pipeline plus a summing step.
   * It is given the result of the memory pass's iteration (bytes a snapshot wrote, a restored
   * system, a decoded value), so that it need not repeat a long iteration.
   */
  check?(result: unknown): unknown;
  /** Per-unit latencies (ms) recorded by the measured iterations (request → reply). */
  readonly latencies?: LatencySource;
  /** p50/p99 are per unit: the iteration time divided by {@link units} (resume overhead). */
  readonly perUnitLatency?: boolean;
  /**
   * Iterations take about a second or more (snapshots of large states): no warmup beyond the
   * memory pass and the checksum,
   * then samples until 1 s and at least 3 samples (see `run-one.ts`).
   */
  readonly long?: boolean;
  /** p50/p99 are those of the iteration time itself (one snapshot, one restore, one encode). */
  readonly iterationLatency?: boolean;
  /**
   * Untimed preparation before every iteration (tinybench's `beforeEach`) and before the memory
   * pass, e.g. stepping the atom whose writes the next incremental snapshot holds.
   */
  setup?(): void;
  /** Facts kept in the results after the timing (snapshot bytes, bytes per key, ...). */
  info?(): Record<string, number | string>;
}

/** Where recorded latencies live (see `lib/latency.ts`). */
export interface LatencySource {
  reset(): void;
  values(): Float64Array;
}

/** A variant measured per input file (compiler workloads). */
export interface FileRunnable {
  readonly kind: "files";
  readonly files: readonly FileTask[];
  /** One-off facts to keep in the results (program creation time, ...). */
  readonly info?: Record<string, number | string>;
}

/** One file of a {@link FileRunnable}. */
export interface FileTask {
  /** Path relative to the repository root. */
  readonly name: string;
  /** Compiles the file once; returns the number of machines the portals transformer emitted (0 for plain). */
  run(): number;
  /** Milliseconds spent inside the portals transformer by the last {@link run}, if measured. */
  readonly selfTime?: () => number;
}

/** What a child process reports for one variant. */
export interface VariantResult {
  readonly group: string;
  readonly variant: string;
  readonly label: string;
  readonly baseline: boolean;
  readonly unit: string;
  /** Units per second, from the median iteration time. */
  readonly rate: number;
  /** Median iteration time (ms) and its spread. */
  readonly iteration: { readonly p50: number; readonly mad: number; readonly rme: number; readonly samples: number };
  /** Latency p50/p99 in ms, when the group has latencies. */
  readonly latency?: { readonly p50: number; readonly p99: number; readonly count: number };
  readonly memory: MemoryResult;
  /** Checksum of the computation (must agree across the group's variants). */
  readonly checksum: string;
  /** Per-file results (compiler workloads). */
  readonly files?: readonly FileResult[];
  readonly info?: Record<string, number | string>;
  /** With `--rounds n`: the rates of every round (the reported one is the median). */
  readonly rounds?: readonly number[];
}

/** Memory of one run of a variant, in MiB. */
export interface MemoryResult {
  /** Peak resident set size of the child process during one iteration (includes Node and tsx). */
  readonly peakRss: number;
  /** Resident set size before that iteration. */
  readonly idleRss: number;
  /** Peak V8 heap used during that iteration (just before each GC, and at the end). */
  readonly peakHeap: number;
  /** Heap used before that iteration (after a full GC). */
  readonly idleHeap: number;
  /** How peak RSS was read: `VmHWM` (reset before the run) or `maxRSS` (whole process). */
  readonly rssSource: "VmHWM" | "maxRSS";
}

/** Per-file result of a compiler variant. */
export interface FileResult {
  readonly name: string;
  /** Median time of one compile of the file (ms). */
  readonly p50: number;
  readonly samples: number;
  /** Median time spent inside the portals transformer (ms), when measured. */
  readonly self?: number;
  /** Machines the portals transformer emitted for the file. */
  readonly machines: number;
}
