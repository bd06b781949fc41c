/**
 * Soak of the shopping cart (`npm run soak`): the four applications of examples/shopping-cart
 * run continuously in one `Systems.test` system on endless sources with a bounded key space,
 * for `--minutes` minutes (default 10), to see whether memory stays flat and throughput steady
 * as atoms finish by the million: with a bounded key space, memory must stay flat over a
 * 10-minute soak.
 *
 *   npm run soak                          # 10 minutes, a sample every 10 s
 *   npm run soak -- --minutes 1 --interval 5
 *   npm run soak -- --heap-diff           # also heap snapshots at half time and at the end, diffed
 *
 * The applications are the example's own (`inventory`, `cart` compiled by the project's
 * transformer as `lib/compile.ts` does for the benchmark modules, `orders`, `analytics`), with two
 * changes made on the built application models, not in their code: the generators that read the
 * recorded trace files (`/cart/generators/ops`, `/inventory/generators/restocks`) read endless
 * iterables instead, and the orders go to a sink that only counts them (a file or memory sink
 * would grow by itself). The endless sources are the example's trace generator
 * (`examples/shopping-cart/generate.ts`, `generateTrace`) called again and again with the next
 * seed: 2,000 users and 1,000 items (Zipf popularity) as in the recorded trace, rounds of 100,000
 * cart operations; restocks in rounds of 10,000. Cart atoms have 100 operations (as in the
 * example), restock atoms 10, so that the scheduler, which steps ready generators alike, keeps
 * the trace's ratio of one restock per ten cart operations.
 *
 * Every `--interval` seconds (default 10) a sample: source events read so far (cart operations
 * + restocks), events/s over the interval (stepping time only; the sampling's forced GC is not
 * counted), atoms processed by workflows (`system.stats.atoms`, portal atoms included), workflow
 * events, heap used after a forced full GC, RSS, parked continuations, orders committed. At the
 * end: a markdown table of the samples and a verdict line (heap slope in MB per minute, linear
 * regression over the second half of the samples; throughput in the first and the last minute).
 * The samples go to `.cache/bench/soak.json` (or `--out`).
 *
 * With `--heap-diff`, heap snapshots are written at the first sample past half time and after
 * the last one (`.cache/bench/soak-{mid,end}.heapsnapshot`); the objects allocated in between
 * and still alive are summarised by type, with the chain of fields that retains a sample of the
 * largest groups (what grows, and where it is held).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import v8 from "node:v8";
import { Command, InvalidArgumentError } from "commander";
import { Systems, type Application, type Sink, type SinkWriter } from "portals-ts";
import { generateTrace, TRACE } from "../examples/shopping-cart/generate.js";
import type { CartOp, NumberedOrder, Restock } from "../examples/shopping-cart/model.js";
import { compiledPath, compileModules, ROOT } from "./lib/compile.js";
import { collect, groupTable, newSince, readHeapSnapshot, retainerPath, retainers, summarize, label } from "./lib/heap.js";

const MiB = 1024 * 1024;
const CART_SOURCE = "examples/shopping-cart/cart.ts";
/** Cart operations per round of the endless cart source. */
const CART_ROUND = 100_000;
/** Restocks per round of the endless restock source. */
const RESTOCK_ROUND = 10_000;

/** One sample of the soak. */
export interface SoakSample {
  /** Seconds of the run at the sample (wall time since the first step). */
  readonly t: number;
  /** Source events read so far (cart operations + restocks). */
  readonly events: number;
  /** Source events per second of stepping time since the previous sample. */
  readonly rate: number;
  /**
   * Source events per second of this process's CPU time (user + system, all threads, so GC
   * helper threads count too) since the previous sample: the throughput other processes
   * competing for the cores do not change much.
   */
  readonly cpuRate: number;
  /** CPU seconds (user + system) of this process spent between samples so far, sampling excluded. */
  readonly cpuSeconds: number;
  /** One-minute load average of the machine at the sample. */
  readonly load: number;
  /** Steps taken so far. */
  readonly steps: number;
  /** Atoms processed by workflows so far (portal request/reply atoms included). */
  readonly atoms: number;
  /** Events processed by workflows so far (portal requests and replies included). */
  readonly workflowEvents: number;
  /** V8 heap used after a forced full GC, MiB. */
  readonly heapMB: number;
  /** Resident set size, MiB. */
  readonly rssMB: number;
  /** Continuations parked at the sample. */
  readonly parked: number;
  /** Orders committed to the counting sink so far. */
  readonly orders: number;
}

interface Options {
  readonly minutes: number;
  readonly interval: number;
  readonly seed: number;
  readonly out: string;
  readonly heapDiff: boolean;
}

/** An endless iterable that concatenates `round(0)`, `round(1)`, ... and counts what it yields. */
class Endless<T> implements Iterable<T> {
  read = 0;
  constructor(private readonly round: (n: number) => readonly T[]) {}
  *[Symbol.iterator](): Iterator<T> {
    for (let n = 0; ; n++) {
      for (const x of this.round(n)) {
        this.read++;
        yield x;
      }
    }
  }
}

/** A sink that counts committed events and keeps none. */
function countingSink<T>(): Sink<T> & { readonly committed: () => number } {
  let committed = 0;
  return {
    kind: "sink",
    description: "counter",
    committed: () => committed,
    open: (): SinkWriter => {
      let staged = 0;
      return {
        stage: (events) => void (staged += events.length),
        save: () => ({ committed, staged: [] }),
        commit: () => {
          committed += staged;
          staged = 0;
        },
        reset: () => {
          committed = 0;
          staged = 0;
        },
        recover: (state) => void (committed = state.committed),
        close: () => {},
      };
    },
  };
}

/** Slope (per x unit) of the least-squares line through the points. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
}

/**
 * Source events per wall second and per CPU second of this process between the samples nearest
 * to `from` and `to` seconds.
 */
function rateBetween(samples: readonly SoakSample[], from: number, to: number): { wall: number; cpu: number } {
  const near = (t: number): SoakSample => samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best));
  const a = near(from);
  const b = near(to);
  return { wall: (b.events - a.events) / (b.t - a.t), cpu: (b.events - a.events) / (b.cpuSeconds - a.cpuSeconds) };
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** The samples as a markdown table. */
export function soakTable(samples: readonly SoakSample[]): string {
  const head =
    "| t (s) | source events | events/s | events/CPU-s | load | atoms | workflow events | heap after GC (MB) | RSS (MB) | parked | orders |\n|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|";
  const rows = samples.map(
    (s) =>
      `| ${fmt(s.t, 0)} | ${fmt(s.events, 0)} | ${s.t === 0 ? "—" : fmt(s.rate, 0)} | ${s.t === 0 ? "—" : fmt(s.cpuRate, 0)} | ${fmt(s.load, 2)} | ${fmt(s.atoms, 0)} | ${fmt(s.workflowEvents, 0)} | ${fmt(s.heapMB, 2)} | ${fmt(s.rssMB, 1)} | ${s.parked} | ${fmt(s.orders, 0)} |`,
  );
  return [head, ...rows].join("\n");
}

/** The verdict: heap slope over the second half, throughput in the first and the last minute. */
export function soakVerdict(samples: readonly SoakSample[]): {
  line: string;
  heapSlope: number;
  firstMinute: { wall: number; cpu: number };
  lastMinute: { wall: number; cpu: number };
} {
  const end = samples[samples.length - 1]!.t;
  const half = samples.filter((s) => s.t >= end / 2);
  const heapSlope = slope(half.map((s) => [s.t / 60, s.heapMB] as const));
  const firstMinute = rateBetween(samples, 0, Math.min(60, end));
  const lastMinute = rateBetween(samples, Math.max(0, end - 60), end);
  const grows = heapSlope * (end / 60) > 1; // more than 1 MB over the run's length at that slope
  const line =
    `verdict: heap ${grows ? "GROWS" : "flat"}: slope ${heapSlope >= 0 ? "+" : ""}${fmt(heapSlope, 3)} MB/min over the second half (${half.length} samples, ` +
    `${fmt(half[0]!.heapMB, 2)} → ${fmt(half[half.length - 1]!.heapMB, 2)} MB); throughput ${fmt(firstMinute.wall, 0)} events/s in the first minute, ` +
    `${fmt(lastMinute.wall, 0)} in the last (${fmt(lastMinute.wall / firstMinute.wall, 2)}×); per CPU second of the process ${fmt(firstMinute.cpu, 0)} and ` +
    `${fmt(lastMinute.cpu, 0)} (${fmt(lastMinute.cpu / firstMinute.cpu, 2)}×); ${fmt(samples[samples.length - 1]!.atoms, 0)} atoms finished`;
  return { line, heapSlope, firstMinute, lastMinute };
}

/** Objects allocated between two heap snapshots and alive at the second, by type, with retainers. */
function heapDiff(midFile: string, endFile: string): string {
  const mid = readHeapSnapshot(midFile);
  const end = readHeapSnapshot(endFile);
  const fresh = newSince(mid, end);
  const groups = summarize(end, fresh);
  const total = groups.reduce((a, g) => a + g.bytes, 0);
  const reverse = retainers(end);
  const lines = [`objects allocated between the snapshots and alive at the end: ${fresh.size} objects, ${fmt(total / MiB, 2)} MB`, "", groupTable(groups, undefined, 25), ""];
  for (const g of groups.slice(0, 6)) {
    const sample = [...fresh].filter((n) => label(end, n) === g.label).slice(0, 3);
    for (const n of sample) lines.push(`- ${g.label} (${end.size[n]} B) ← ${retainerPath(end, reverse, n).join(" ← ")}`);
  }
  return lines.join("\n");
}

async function soak(o: Options): Promise<void> {
  const sources = await loadCart();
  const system = Systems.test({
    seed: o.seed,
    log: (line, meta) => {
      if (meta.level === "info") return;
      problems++;
      if (problems <= 5) process.stderr.write(`[${meta.level}] ${line}\n`);
    },
  });
  let problems = 0;
  for (const app of sources.apps) system.launch(app);
  const samples: SoakSample[] = [];
  const midFile = join(ROOT, ".cache/bench/soak-mid.heapsnapshot");
  const endFile = join(ROOT, ".cache/bench/soak-end.heapsnapshot");
  let midTaken = false;
  let stepping = 0; // ms of stepping since the previous sample
  let previousEvents = 0;
  let previousCpu = process.cpuUsage();
  let cpuSeconds = 0;
  const sample = (t: number): SoakSample => {
    const cpu = process.cpuUsage(previousCpu); // before the forced GC, which is not stepping
    previousCpu = process.cpuUsage();
    if (t > 0) cpuSeconds += (cpu.user + cpu.system) / 1e6;
    collect();
    const mem = process.memoryUsage();
    const stats = system.stats;
    const events = sources.cart.read + sources.restocks.read;
    const s: SoakSample = {
      t,
      events,
      rate: stepping > 0 ? (events - previousEvents) / (stepping / 1000) : 0,
      cpuRate: stepping > 0 ? (events - previousEvents) / ((cpu.user + cpu.system) / 1e6) : 0,
      cpuSeconds,
      load: loadavg()[0]!,
      steps: stats.steps,
      atoms: stats.atoms,
      workflowEvents: stats.events,
      heapMB: mem.heapUsed / MiB,
      rssMB: mem.rss / MiB,
      parked: system.parkedContinuations,
      orders: sources.orders.committed(),
    };
    previousEvents = events;
    stepping = 0;
    samples.push(s);
    process.stderr.write(
      `soak ${fmt(t, 0)} s: ${fmt(s.events, 0)} events, ${fmt(s.rate, 0)}/s (${fmt(s.cpuRate, 0)}/CPU-s, load ${fmt(s.load, 2)}), ${fmt(s.atoms, 0)} atoms, heap ${fmt(s.heapMB, 2)} MB, RSS ${fmt(s.rssMB, 1)} MB, parked ${s.parked}\n`,
    );
    return s;
  };
  sample(0);
  const total = o.minutes * 60_000;
  const start = performance.now();
  let next = o.interval * 1000;
  for (;;) {
    const began = performance.now();
    let now = began;
    while (now - start < next) {
      for (let i = 0; i < 512; i++) system.step();
      now = performance.now();
    }
    stepping += now - began;
    const elapsed = now - start;
    sample(elapsed / 1000);
    if (o.heapDiff && !midTaken && elapsed >= total / 2) {
      mkdirSync(dirname(midFile), { recursive: true });
      writeHeapSnapshotAfterGc(midFile);
      midTaken = true;
    }
    if (elapsed >= total - 1) break;
    next = Math.min(total, next + o.interval * 1000);
  }
  const verdict = soakVerdict(samples);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    options: o,
    trace: { users: TRACE.users, items: TRACE.items, skew: TRACE.skew, cartRound: CART_ROUND, restockRound: RESTOCK_ROUND },
    problems,
    verdict,
    samples,
  };
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, JSON.stringify(result, null, 2) + "\n");
  process.stdout.write(`Soak of the shopping cart, ${o.minutes} min, a sample every ${o.interval} s (seed ${o.seed}; ${problems} warning/error lines logged)\n\n`);
  process.stdout.write(soakTable(samples) + "\n\n" + verdict.line + "\n");
  process.stdout.write(`samples written to ${o.out}\n`);
  if (o.heapDiff && midTaken) {
    writeHeapSnapshotAfterGc(endFile);
    process.stdout.write("\n" + heapDiff(midFile, endFile) + "\n");
  }
  system.shutdown();
}

function writeHeapSnapshotAfterGc(file: string): void {
  collect();
  v8.writeHeapSnapshot(file);
}

/** The example's four applications with endless sources, the sources' counters and the order counter. */
async function loadCart(): Promise<{ apps: Application[]; cart: Endless<CartOp>; restocks: Endless<Restock>; orders: ReturnType<typeof countingSink<NumberedOrder>> }> {
  await compileModules([CART_SOURCE]);
  const { cartApp } = (await import(pathToFileURL(compiledPath(CART_SOURCE)).href)) as typeof import("../examples/shopping-cart/cart.js");
  const { inventoryApp } = await import("../examples/shopping-cart/inventory.js");
  const analyticsApp = (await import("../examples/shopping-cart/analytics.js")).default;
  const { ordersApp } = await import("../examples/shopping-cart/orders.js");
  const cart = new Endless<CartOp>((n) => generateTrace({ ...TRACE, seed: TRACE.seed + 1 + n, cartOps: CART_ROUND, restocks: 0 }).cart);
  const restocks = new Endless<Restock>((n) => generateTrace({ ...TRACE, seed: TRACE.seed + 1_000_001 + n, cartOps: 0, restocks: RESTOCK_ROUND }).restocks);
  const orders = countingSink<NumberedOrder>();
  const apps = [
    inventoryApp((app, options) => app.generators.fromIterable(restocks, { ...options, atomSize: 10 })),
    cartApp((app, options) => app.generators.fromIterable(cart, options)),
    ordersApp(orders),
    analyticsApp,
  ];
  return { apps, cart, restocks, orders };
}

function positive(name: string, integer: boolean) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isSafeInteger(n))) throw new InvalidArgumentError(`${name} must be a positive ${integer ? "integer" : "number"}`);
    return n;
  };
}

const program = new Command("soak")
  .description("soak of the shopping cart on endless sources with a bounded key space: memory and throughput over time")
  .option("--minutes <n>", "length of the run in minutes", positive("--minutes", false), 10)
  .option("--interval <s>", "seconds between samples", positive("--interval", false), 10)
  .option("--seed <n>", "seed of the system", (v) => Number.parseInt(v, 10), 1)
  .option("--out <file>", "where the samples go (JSON)", join(ROOT, ".cache/bench/soak.json"))
  .option("--heap-diff", "heap snapshots at half time and at the end, and what was allocated in between and is still alive", false)
  .action(async (o: Options) => soak(o));

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
