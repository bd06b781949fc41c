/**
 * Workload 13: memory per parked continuation (the target: at most 200 bytes plus the
 * continuation's locals, on the heap).
 *
 * - `portals`: the application of workload 8 (`snapshot-ops.ts`, compiled by the project's
 *   transformer): an asker whose async operator awaits `double.request(x)` for each of the
 *   100,000 events of one atom, stepped until all 100,000 continuations are parked and their
 *   requests wait, unread, in the portal's stream (the replier has not run).
 * - `native` (baseline): the same with native async functions: 100,000 calls of
 *   `async (x) => emit(await request(x) + 1)` suspended on pending promises, whose resolvers a
 *   `Map` keeps by request id, with the requests `{ id, payload }` queued in an array (the
 *   requests in flight).
 *
 * One iteration parks the 100,000 (a fresh system, launched and stepped; or 100,000 native
 * calls), so the rate is continuations parked per second. The memory, measured once in `load`,
 * outside the timing: V8 heap used after a forced full GC with everything launched and nothing
 * parked, and again with all 100,000 parked; the difference divided by 100,000 is the row's
 * bytes per continuation (`info`: bytes, count, per; the bytes table of `lib/report.ts`).
 *
 * The breakdown by object type comes from two heap snapshots around the parking (ids are stable
 * between snapshots of one process, so the objects new in the second are those the parking
 * allocated and kept). New objects are split by owner: what the continuation tables hold
 * (`TaskRunner.parked` if the runtime has it, then `TaskRunner.byRequest`: invocations, frames,
 * locals, call info, and the tables' hash tables), and the rest (requests in flight in the
 * streams, the source atom if kept, ...); within each part, by type and by the field that holds
 * them. A part with no objects (a table the runtime no longer has) is left out. In the suite the breakdown runs on 10,000 continuations (a heap snapshot of 100,000
 * takes most of a minute), after the timing (a process that took a heap snapshot has slower
 * GCs from then on); the note of the row gives its parts per continuation. For the full
 * table, run this module directly:
 *
 *   node --expose-gc --import tsx benchmarks/workloads/parked-memory.ts [--n 100000] [--variant portals|native]
 *
 * which prints the breakdown as markdown and writes it to `.cache/bench/parked-memory.json`.
 * (Hash tables of `Map`s grow in powers of two, so their share per continuation depends on n.)
 *
 * Checksums: both variants resume what they parked (replies `2x`) and sum the emitted `2x + 1`,
 * which must be `n²`.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { Systems, type Application, type TestSystem } from "portals-ts";
import { importCompiled, ROOT } from "../lib/compile.js";
import { collect, field, heapUsedAfterGc, label, newSince, objectsNamed, reachable, readHeapSnapshot, retainerPath, retainers, summarize, groupTable, type HeapGraph, type HeapGroup } from "../lib/heap.js";
import type { Runnable } from "../lib/types.js";
import type * as Ops from "./snapshot-ops.js";

/** Continuations parked at once. */
export const PARKED = 100_000;
/** Continuations of the breakdown run inside the suite (heap snapshots of 100,000 are slow). */
export const BREAKDOWN = 10_000;

/** One way of parking continuations: set up (nothing parked yet), then park `n`. */
interface Parker {
  /** Launches what parks; nothing is parked yet. */
  setup(): void;
  /** Parks the continuations; returns how many are parked. */
  park(): number;
  /** Resumes everything parked (replies `2x`); the sum of the emitted values. */
  finish(): Promise<number> | number;
  /** Heap roots of the parts of the breakdown: `[constructor, field, part]`, in priority order. */
  readonly roots: readonly (readonly [string, string, string])[];
}

async function portalsParker(n: number): Promise<Parker> {
  const { parkedApp } = await importCompiled<typeof Ops>("benchmarks/workloads/snapshot-ops.ts");
  const sum = { value: 0 };
  const app: Application = parkedApp(n, sum);
  let system: TestSystem | undefined;
  return {
    setup: () => {
      system?.shutdown();
      system = Systems.test({ seed: 1 });
      system.launch(app);
    },
    park: () => {
      const s = system!;
      while (s.parkedContinuations < n && s.canStep()) s.step();
      return s.parkedContinuations;
    },
    finish: () => {
      sum.value = 0;
      system!.stepUntilComplete();
      return sum.value;
    },
    roots: [
      // Both, in case the runtime keeps a table by invocation id and an index by request id;
      // whichever exists first in this list gets the invocations.
      ["TaskRunner", "parked", "continuation table (TaskRunner.parked)"],
      ["TaskRunner", "byRequest", "continuations by request id (TaskRunner.byRequest)"],
    ],
  };
}

/** The native baseline's state: resolvers of pending requests and the queued requests. */
class NativeRequests {
  /** Resolvers of the pending requests, by request id (the native continuation table). */
  pending = new Map<number, (reply: number) => void>();
  /** Requests in flight, not yet served. */
  queue: { id: number; payload: number }[] = [];
  nextId = 1;
  sum = 0;
}

function nativeParker(n: number): Parker {
  let state = new NativeRequests();
  const request = (payload: number): Promise<number> =>
    new Promise<number>((resolve) => {
      const id = state.nextId++;
      state.pending.set(id, resolve);
      state.queue.push({ id, payload });
    });
  const asker = async (x: number): Promise<void> => {
    const doubled = await request(x);
    state.sum += doubled + 1;
  };
  return {
    setup: () => void (state = new NativeRequests()),
    park: () => {
      for (let x = 0; x < n; x++) void asker(x);
      return state.pending.size;
    },
    finish: async () => {
      const s = state;
      for (const { id, payload } of s.queue) {
        s.pending.get(id)!(payload * 2);
        s.pending.delete(id);
      }
      s.queue = [];
      await new Promise<void>((resolve) => setImmediate(resolve)); // all reactions have run
      return s.sum;
    },
    roots: [
      ["NativeRequests", "pending", "resolvers (NativeRequests.pending) and what they hold"],
      ["NativeRequests", "queue", "requests in flight (NativeRequests.queue)"],
    ],
  };
}

/** Heap used after GC, set up and then with `n` parked: bytes in all and per continuation. */
async function heapPerContinuation(parker: Parker, n: number): Promise<{ bytes: number; perContinuation: number }> {
  parker.setup();
  const before = heapUsedAfterGc();
  const parked = parker.park();
  if (parked !== n) throw new Error(`parked-memory: ${parked} continuations parked, expected ${n}`);
  const after = heapUsedAfterGc();
  await parker.finish();
  return { bytes: after - before, perContinuation: (after - before) / n };
}

/** One part of the breakdown: new objects held by one owner, by type and by holding field. */
export interface BreakdownPart {
  readonly part: string;
  readonly bytes: number;
  readonly count: number;
  /** By type (constructor name, or V8's kind of internal object). */
  readonly types: readonly HeapGroup[];
  /** By type and the two fields that hold it (`label ← holder.field ← holder.field`). */
  readonly roles: readonly HeapGroup[];
}

/** What parking `n` continuations leaves on the heap, by owner, type and holding field. */
export interface Breakdown {
  readonly n: number;
  /** Self sizes of all objects new after the parking, in bytes. */
  readonly bytes: number;
  readonly parts: readonly BreakdownPart[];
}

/** `label ← holder.field ← holder.field` of a node, element indexes written `[i]`. */
function role(g: HeapGraph, reverse: ReturnType<typeof retainers>, n: number): string {
  const path = retainerPath(g, reverse, n, 2).map((step) => step.replace(/\[\d+\]$/, "[i]").replace(/\.\d+$/, "[i]"));
  return [label(g, n), ...path].join(" ← ");
}

function group(keys: Iterable<[string, number]>): HeapGroup[] {
  const m = new Map<string, { count: number; bytes: number }>();
  for (const [k, size] of keys) {
    const s = m.get(k);
    if (s === undefined) m.set(k, { count: 1, bytes: size });
    else {
      s.count++;
      s.bytes += size;
    }
  }
  return [...m].map(([l, s]) => ({ label: l, ...s })).sort((a, b) => b.bytes - a.bytes || a.label.localeCompare(b.label));
}

/**
 * Heap snapshots before and after parking `n` continuations with `parker`; the objects new in
 * the second, split into the parts of `parker.roots` (in order: an object reachable from two
 * roots counts in the first) and the rest.
 */
export function breakdown(parker: Parker, n: number): Breakdown {
  const dir = join(tmpdir(), `portals-parked-memory-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const first = join(dir, "before.heapsnapshot");
  const second = join(dir, "after.heapsnapshot");
  try {
    parker.setup();
    collect();
    v8.writeHeapSnapshot(first);
    const parked = parker.park();
    if (parked !== n) throw new Error(`parked-memory: ${parked} continuations parked, expected ${n}`);
    collect();
    v8.writeHeapSnapshot(second);
    // Read only after both are written, so that the analysis is not in the second snapshot.
    let fresh: Set<number>;
    let g: HeapGraph;
    {
      const before = readHeapSnapshot(first);
      g = readHeapSnapshot(second);
      fresh = newSince(before, g);
    }
    const reverse = retainers(g);
    const parts: BreakdownPart[] = [];
    const taken = new Set<number>();
    const partOf = (name: string, nodes: Set<number>): void => {
      for (const x of nodes) taken.add(x);
      const types = summarize(g, nodes);
      parts.push({
        part: name,
        bytes: types.reduce((a, t) => a + t.bytes, 0),
        count: nodes.size,
        types,
        roles: group([...nodes].map((x) => [role(g, reverse, x), g.size[x]!] as [string, number])),
      });
    };
    for (const [holder, name, part] of parker.roots) {
      const roots = objectsNamed(g, holder).flatMap((h) => field(g, h, name));
      partOf(part, reachable(g, roots, fresh, taken));
    }
    partOf("the rest (requests in flight, atoms, ...)", new Set([...fresh].filter((x) => !taken.has(x))));
    return { n, bytes: parts.reduce((a, p) => a + p.bytes, 0), parts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The breakdown as markdown: parts per continuation, then each part by holding field. */
export function breakdownMarkdown(b: Breakdown, limit = 12): string {
  const per = (x: number): string => (x / b.n).toFixed(1);
  const lines = [
    `New objects after parking ${b.n.toLocaleString("en-US")} continuations: ${per(b.bytes)} B per continuation (self sizes from the heap snapshots)`,
    "",
    "| part | B per continuation | objects per continuation |",
    "|---|--:|--:|",
    ...b.parts.filter((p) => p.count > 0).map((p) => `| ${p.part} | ${per(p.bytes)} | ${(p.count / b.n).toFixed(2)} |`),
  ];
  for (const p of b.parts) {
    if (p.count === 0) continue;
    lines.push("", `${p.part}, by type and holding field:`, "", groupTable(p.roles, { count: b.n, unit: "continuation" }, limit));
  }
  return lines.join("\n");
}

/** Short form for the bytes table's note: each part per continuation and its three largest types. */
function note(heap: { perContinuation: number }, b: Breakdown): string {
  const parts = b.parts
    .filter((p) => p.bytes / b.n >= 0.5)
    .map((p) => {
      const top = p.types
        .slice(0, 3)
        .map((t) => `${t.label} ${t.count >= b.n / 2 ? `${(t.count / b.n).toFixed(t.count % b.n === 0 ? 0 : 2)}× ` : ""}${(t.bytes / b.n).toFixed(0)} B`)
        .join(", ");
      return `${p.part}: ${(p.bytes / b.n).toFixed(0)} B (${top})`;
    })
    .join("; ");
  return `${heap.perContinuation.toFixed(0)} B per continuation (heap used after GC); by heap snapshot of ${b.n.toLocaleString("en-US")}: ${parts}`;
}

/** Loads one variant of workload 13. */
export async function parkedMemory(variant: string, quick: boolean): Promise<Runnable> {
  const n = quick ? PARKED / 10 : PARKED;
  const make = async (count: number): Promise<Parker> => {
    switch (variant) {
      case "portals":
        return portalsParker(count);
      case "native":
        return nativeParker(count);
      default:
        throw new Error(`parked-memory: unknown variant ${variant}`);
    }
  };
  const parker = await make(n);
  const heap = await heapPerContinuation(parker, n);
  // The breakdown's heap snapshots run last (`info` is read after the timing): once a process has
  // taken a heap snapshot, V8 tracks object moves for good, which slows every later GC.
  const small = quick ? BREAKDOWN / 10 : BREAKDOWN;
  const other = await make(small);
  return {
    kind: "runnable",
    units: n,
    setup: () => parker.setup(),
    run: () => parker.park(),
    check: async (parked) => {
      const sum = await parker.finish();
      if (sum !== n * n) throw new Error(`parked-memory: resumed, the continuations emit values summing to ${sum}, expected ${n * n}`);
      return `${String(parked)} continuations parked; resumed, they emit values summing to ${sum}`;
    },
    long: true,
    iterationLatency: true,
    info: () => ({ bytes: heap.bytes, count: n, per: "continuation", note: note(heap, breakdown(other, small)) }),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const n = Number(at("--n") ?? PARKED);
  const variants = at("--variant") === undefined ? ["portals", "native"] : [at("--variant")!];
  const out: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, n };
  for (const variant of variants) {
    const make = async (): Promise<Parker> => (variant === "portals" ? portalsParker(n) : variant === "native" ? nativeParker(n) : Promise.reject(new Error(`unknown variant ${variant}`)));
    const heap = await heapPerContinuation(await make(), n);
    const b = breakdown(await make(), n);
    process.stdout.write(`## ${variant}: ${heap.perContinuation.toFixed(1)} B per parked continuation (heap used after GC, ${n.toLocaleString("en-US")} parked)\n\n${breakdownMarkdown(b)}\n\n`);
    out[variant] = { heap, breakdown: b };
  }
  const file = join(ROOT, ".cache/bench/parked-memory.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
  process.stdout.write(`written to ${file}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
