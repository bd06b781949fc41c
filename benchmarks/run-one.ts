/**
 * Measures one variant of one group in this process (started by `main.ts`, one process per
 * variant; for `paired` groups, the compiler workloads, all variants at once with `*`):
 *
 *   node --expose-gc --import tsx benchmarks/run-one.ts <group> <variant|*> [--quick] [--out <file>]
 *
 * 1. loads the variant (data, applications, compiled modules) outside any measurement;
 * 2. memory pass: one iteration, first thing after loading, with peak RSS and peak heap
 *    (`lib/memory.ts`);
 * 3. checksum of the computation (the memory pass's result, or the variant's `check`);
 * 4. timing with tinybench: warmup, then iterations until both a time budget and a minimum
 *    number of samples are reached; the rate comes from the median iteration time. A variant's
 *    `setup` runs untimed before every iteration (and before the memory pass).
 *
 * Writes the `VariantResult`s (a JSON array) to `--out` (or stdout).
 */
import { writeFileSync } from "node:fs";
import { Bench, type Statistics } from "tinybench";
import { quantile, sorted } from "./lib/latency.js";
import { measureMemory } from "./lib/memory.js";
import type { FileResult, FileRunnable, GroupSpec, MemoryResult, Runnable, VariantResult, VariantSpec } from "./lib/types.js";
import { group as findGroup } from "./workloads/index.js";

interface Settings {
  readonly warmup?: boolean;
  readonly time: number;
  readonly warmupTime: number;
  readonly iterations: number;
  readonly warmupIterations: number;
}

/** Whole-iteration workloads: ~2 s per variant. */
const RUN: Settings = { time: 1500, warmupTime: 400, iterations: 5, warmupIterations: 2 };
const RUN_QUICK: Settings = { time: 200, warmupTime: 50, iterations: 3, warmupIterations: 1 };
/**
 * Whole-iteration workloads whose iterations take ~0.3–4 s (`Runnable.long`: snapshots,
 * restores and codec runs over large states): no warmup phase, since the memory pass and the
 * checksum have already run the same code over the same data (an iteration loops a million
 * times, long enough for the JIT); then samples until 1 s and at least 3. Their spread is
 * small next to the iteration; more samples would only make the suite long.
 */
const LONG: Settings = { warmup: false, time: 1000, warmupTime: 0, iterations: 3, warmupIterations: 0 };
/** Per-file compiler workloads: ~100 ms per file, after a warmup over all files. */
const FILE: Settings = { time: 80, warmupTime: 20, iterations: 10, warmupIterations: 3 };
const FILE_QUICK: Settings = { time: 5, warmupTime: 2, iterations: 3, warmupIterations: 1 };

function stats(bench: Bench, name: string): Statistics {
  const task = bench.getTask(name);
  const result = task?.result;
  if (result === undefined) throw new Error(`tinybench: no task ${name}`);
  if (result.state === "errored") throw result.error;
  if (result.state !== "completed") throw new Error(`tinybench: task ${name} ended ${result.state}`);
  return result.latency;
}

function checksum(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value) ?? "undefined";
}

async function runnable(g: GroupSpec, v: VariantSpec, r: Runnable, quick: boolean): Promise<VariantResult> {
  r.setup?.();
  const { result, memory } = await measureMemory(() => r.run());
  const sum = checksum(r.check ? await r.check(result) : result);
  const settings = quick ? RUN_QUICK : r.long ? LONG : RUN;
  const bench = new Bench({ ...settings, throws: true });
  const setup = r.setup?.bind(r);
  bench.add(v.id, () => r.run(), {
    beforeAll(mode) {
      if (mode === "run") r.latencies?.reset();
    },
    ...(setup ? { beforeEach: () => setup() } : {}),
  });
  await bench.run();
  const it = stats(bench, v.id);
  const latency = r.latencies
    ? (() => {
        const values = sorted(r.latencies.values());
        return { p50: quantile(values, 0.5), p99: quantile(values, 0.99), count: values.length };
      })()
    : r.perUnitLatency
      ? { p50: it.p50 / r.units, p99: it.p99 / r.units, count: it.samplesCount }
      : r.iterationLatency
        ? { p50: it.p50, p99: it.p99, count: it.samplesCount }
        : undefined;
  const info = r.info?.();
  return {
    group: g.id,
    variant: v.id,
    label: v.label,
    baseline: v.baseline,
    unit: g.unit,
    rate: r.units / (it.p50 / 1000),
    iteration: { p50: it.p50, mad: it.mad, rme: it.rme, samples: it.samplesCount },
    ...(latency ? { latency } : {}),
    memory,
    checksum: sum,
    ...(info ? { info } : {}),
  };
}

/**
 * Compiler workloads: every variant of the group in this one process (the group is `paired`),
 * interleaved file by file (file 1 with each variant, then file 2, ...), so that the variants
 * share the warmed-up TypeScript and its program, and a slow spell of the machine hits them
 * alike. Memory passes run one variant after the other, each after a full GC.
 */
async function files(g: GroupSpec, variants: readonly { v: VariantSpec; r: FileRunnable }[], quick: boolean): Promise<VariantResult[]> {
  const passes: { machines: number[]; memory: MemoryResult }[] = [];
  for (const { r } of variants) {
    const { result, memory } = await measureMemory(() => r.files.map((f) => f.run()));
    passes.push({ machines: result, memory });
  }
  // TypeScript's own code takes hundreds of compiles to reach steady speed: warm it up over all
  // the files first, so that the first files measured are not the ones that pay for it
  // (tinybench's warmup is per file).
  const until = performance.now() + (quick ? 200 : 2000);
  for (let pass = 0; pass < 2 || performance.now() < until; pass++) for (const { r } of variants) for (const f of r.files) f.run();
  const settings = quick ? FILE_QUICK : FILE;
  const bench = new Bench({ ...settings, throws: true });
  const self = new Map<string, number[]>();
  const names = variants[0]!.r.files.map((f) => f.name);
  for (const [i, name] of names.entries()) {
    for (const { v, r } of variants) {
      const f = r.files[i]!;
      if (f.name !== name) throw new Error(`${g.id}: the variants compile different files`);
      const times: number[] = [];
      self.set(`${v.id}:${name}`, times);
      bench.add(`${v.id}:${name}`, () => void f.run(), {
        afterEach(mode) {
          if (mode === "run" && f.selfTime) times.push(f.selfTime());
        },
      });
    }
  }
  await bench.run();
  return variants.map(({ v, r }, at) => {
    const perFile: FileResult[] = r.files.map((f, i) => {
      const s = stats(bench, `${v.id}:${f.name}`);
      const own = sorted(self.get(`${v.id}:${f.name}`)!);
      return { name: f.name, p50: s.p50, samples: s.samplesCount, ...(own.length > 0 ? { self: quantile(own, 0.5) } : {}), machines: passes[at]!.machines[i]! };
    });
    const medians = sorted(perFile.map((f) => f.p50));
    const mean = perFile.reduce((a, f) => a + f.p50, 0) / perFile.length;
    const rmes = sorted(r.files.map((f) => stats(bench, `${v.id}:${f.name}`).rme));
    return {
      group: g.id,
      variant: v.id,
      label: v.label,
      baseline: v.baseline,
      unit: g.unit,
      rate: 1000 / mean,
      iteration: { p50: mean, mad: NaN, rme: quantile(rmes, 0.5), samples: Math.min(...perFile.map((f) => f.samples)) },
      latency: { p50: quantile(medians, 0.5), p99: quantile(medians, 0.99), count: perFile.length },
      memory: passes[at]!.memory,
      checksum: `${r.files.length} files`,
      files: perFile,
      ...(r.info ? { info: r.info } : {}),
    };
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const outAt = args.indexOf("--out");
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  const [groupId, variantId] = args.filter((a, i) => !a.startsWith("--") && (outAt < 0 || i !== outAt + 1));
  if (groupId === undefined || variantId === undefined) {
    throw new Error("usage: run-one.ts <group> <variant|*> [--quick] [--out <file>]");
  }
  const g = findGroup(groupId);
  const chosen = variantId === "*" ? g.variants : g.variants.filter((x) => x.id === variantId);
  if (chosen.length === 0) throw new Error(`group ${g.id} has no variant ${variantId}; known: ${g.variants.map((x) => x.id).join(", ")}, or *`);
  const loaded = [];
  for (const v of chosen) loaded.push({ v, r: await g.load(v.id, { quick }) });
  let result: VariantResult[];
  if (loaded.every((x) => x.r.kind === "files")) result = await files(g, loaded as { v: VariantSpec; r: FileRunnable }[], quick);
  else if (loaded.length === 1 && loaded[0]!.r.kind === "runnable") result = [await runnable(g, loaded[0]!.v, loaded[0]!.r, quick)];
  else throw new Error(`${g.id}: variants of whole-iteration workloads run one per process; name one variant`);
  const json = JSON.stringify(result);
  if (out !== undefined) writeFileSync(out, json);
  else process.stdout.write(json + "\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
