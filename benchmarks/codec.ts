/**
 * `npm run bench -- --only codec`: the snapshot codec's encoding, chosen by this benchmark
 * (docs/snapshots.md, "Codec"). Each encoding encodes and decodes the same values, each in its
 * own child process (so heap and JIT state of one never reach another), against `node:v8` in
 * the same run:
 *
 *   - `v8` (baseline): `v8.serialize` / `v8.deserialize`, what the codec was built on until
 *     snapshot format 4 (Node only);
 *   - `msgpackr`: msgpackr's `Packr` with `structuredClone` (shared references, cycles, Map,
 *     Set, Date, RegExp, typed arrays, BigInt, undefined), alone;
 *   - `codec`: the portals codec (`runtime/state/codec.ts`): its check or careful walk, then
 *     msgpackr; what snapshots pay.
 *
 * Values (built the same in every child):
 *
 *   - `cart`: a real snapshot of the shopping cart example (`examples/shopping-cart`, its
 *     async asker compiled by the project's transformer), taken by `system.snapshot()` in the
 *     middle of its recorded trace, with continuations parked; the `SnapshotData` the codec
 *     encodes (decoded from those bytes);
 *   - `keyed`: a synthetic big keyed state, as a snapshot holds it: 500,000 string keys of a
 *     per-key entry, each `{ count, total, last }` (50,000 with `--quick`);
 *   - `records`: 50,000 records keyed by a string, each with a Date, a Set, a Map, an array, a
 *     string, a boolean and a null (workload 10's `mix`);
 *   - `atom`: one atom of 1,000 numbers made by the engine's `atom()`, what a checkpoint holds
 *     and a cluster's export publishes per message (docs/cluster.md), its arrays vouched dense.
 *
 * Per encoding and value: the bytes, the median time of one encode and of one decode (MB/s:
 * 10^6 bytes of that encoding per second; ops/s: whole values per second; × v8: v8's time
 * over this one, so above 1 is faster), the peak heap used during one encode and one decode
 * (`lib/memory.ts`), and whether the decoded value is `isDeepStrictEqual` to the original
 * (prototypes, -0, holes and class instances included). `--quick`: smaller values, shorter
 * measurements. Exit code 1 when a child fails or the codec does not give back what it was
 * given.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { deserialize, serialize } from "node:v8";
import { ROOT } from "./lib/compile.js";

const ENCODINGS = ["v8", "msgpackr", "codec"] as const;
type Encoding = (typeof ENCODINGS)[number];
const VALUES = ["cart", "keyed", "records", "atom"] as const;
type ValueName = (typeof VALUES)[number];

const DESCRIPTION: Record<ValueName, string> = {
  cart: "shopping cart snapshot, mid-trace, continuations parked",
  keyed: "keyed state, 500,000 keys of { count, total, last }",
  records: "50,000 records with Date, Set, Map",
  atom: "an atom of 1,000 numbers, as the engine makes it",
};

/** What a child reports. */
interface Measured {
  readonly value: ValueName;
  readonly encoding: Encoding;
  readonly bytes: number;
  /** Median ms of one encode and of one decode, and the samples taken. */
  readonly encode: number;
  readonly decode: number;
  readonly samples: [number, number];
  /** Peak heap used (MiB) during one encode and one decode, above the heap before it. */
  readonly heap: [number, number];
  readonly faithful: boolean;
}

const quick = process.argv.includes("--quick");

async function buildValue(name: ValueName): Promise<unknown> {
  if (name === "keyed") {
    const keys = quick ? 50_000 : 500_000;
    const perKey = new Map<string, { count: number; total: number; last: string }>();
    for (let i = 0; i < keys; i++) perKey.set(`user-${i}`, { count: (i % 97) + 1, total: i * 2.5, last: `item ${i % 1000}` });
    return { kind: "full", sequence: 12, workflows: { "/counter/workflows/count": { runners: [{ perKey: new Map([["totals", perKey]]), nextRequest: 0 }] } } };
  }
  if (name === "records") {
    const records = new Map<string, unknown>();
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < (quick ? 5_000 : 50_000); i++) {
      const tags = new Set(["user", i % 2 === 0 ? "even" : "odd", `group-${i % 7}`]);
      const scores = new Map([
        ["quality", i % 13],
        ["speed", i % 17],
      ]);
      records.set(`u${i}`, { id: i, name: `user ${i}`, at: new Date(t0 + i * 1000), tags, scores, history: [i, i + 1, i + 2], active: i % 3 === 0, note: null });
    }
    return records;
  }
  if (name === "atom") {
    const { atom } = await import("../runtime/engine/atom.js");
    const values = new Array<number>(1000);
    for (let i = 0; i < values.length; i++) values[i] = i;
    return atom(new Array<number>(1000).fill(0), values, undefined, false, false);
  }
  return cartSnapshot();
}

/** The shopping cart's applications, stepped into the middle of the trace, and their snapshot as the value the codec encodes. */
async function cartSnapshot(): Promise<unknown> {
  const [{ Systems, Sinks }, { importCompiled }, { inventoryApp }, { recordedTrace }, analytics, { ordersApp }, { createCodec }, { unframeSnapshot }] = await Promise.all([
    import("../runtime/index.js"),
    import("./lib/compile.js"),
    import("../examples/shopping-cart/inventory.js"),
    import("../examples/shopping-cart/files.js"),
    import("../examples/shopping-cart/analytics.js"),
    import("../examples/shopping-cart/orders.js"),
    import("../runtime/state/codec.js"),
    import("../runtime/state/snapshot-format.js"),
  ]);
  const { cartApp } = await importCompiled<typeof import("../examples/shopping-cart/cart.js")>("examples/shopping-cart/cart.ts");
  const trace = recordedTrace();
  const apps = [inventoryApp(trace.restocks), cartApp(trace.cart), ordersApp(Sinks.memory()), analytics.default];
  const system = Systems.test({ seed: 1, log: () => {} });
  system.launch(apps[0]!);
  system.stepUntilComplete();
  for (const app of apps.slice(1)) system.launch(app);
  // Into the trace, and on to a step with continuations parked (awaiting the inventory).
  system.stepUntilComplete(quick ? 500 : 3_000);
  while (system.parkedContinuations === 0 && system.canStep()) system.step();
  const bytes = system.snapshot();
  system.shutdown();
  return createCodec([], apps.flatMap((a) => a.model.portals)).decode(unframeSnapshot(bytes).payload);
}

async function coder(encoding: Encoding): Promise<{ encode(v: unknown): Uint8Array; decode(b: Uint8Array): unknown }> {
  switch (encoding) {
    case "v8":
      return { encode: serialize, decode: deserialize };
    case "msgpackr": {
      const { Packr } = await import("msgpackr");
      const packr = new Packr({ structuredClone: true });
      return { encode: (v) => packr.pack(v), decode: (b) => packr.unpack(b) };
    }
    case "codec": {
      const { createCodec } = await import("../runtime/state/codec.js");
      const codec = createCodec();
      return { encode: (v) => codec.encode(v, "snapshot"), decode: (b) => codec.decode(b) };
    }
  }
}

/** Median ms of `fn` over samples until `budget` ms and at least 3 samples (after one warm-up call). */
function median(fn: () => unknown, budget: number): [number, number] {
  fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || performance.now() - start < budget) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return [times[times.length >> 1]!, times.length];
}

/** Peak heap used (MiB) above the heap after a full GC, during one call of `fn`. */
async function peakHeap(fn: () => unknown): Promise<number> {
  const { measureMemory } = await import("./lib/memory.js");
  const { memory } = await measureMemory(fn);
  return memory.peakHeap - memory.idleHeap;
}

async function child(value: ValueName, encoding: Encoding): Promise<Measured> {
  const v = await buildValue(value);
  const c = await coder(encoding);
  const heapEncode = await peakHeap(() => c.encode(v));
  const bytes = c.encode(v);
  const heapDecode = await peakHeap(() => c.decode(bytes));
  const faithful = isDeepStrictEqual(c.decode(bytes), v);
  const budget = quick ? 300 : 2_000;
  const [encode, encodeSamples] = median(() => c.encode(v), budget);
  const [decode, decodeSamples] = median(() => c.decode(bytes), budget);
  return { value, encoding, bytes: bytes.length, encode, decode, samples: [encodeSamples, decodeSamples], heap: [heapEncode, heapDecode], faithful };
}

const f = (n: number, d = 0): string => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const ms = (n: number): string => (n < 1 ? `${f(n * 1000)} µs` : n < 10 ? `${f(n, 2)} ms` : n < 100 ? `${f(n, 1)} ms` : `${f(n)} ms`);
const size = (b: number): string => (b >= 1e6 ? `${f(b / 1e6, 2)} MB` : `${f(b / 1e3, 1)} kB`);
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
const rate = (n: number): string => (n >= 1000 ? `${f(n / 1000, 1)} k` : n >= 10 ? f(n) : f(n, 1));

function table(results: readonly Measured[]): string {
  const rows = [
    "| value | encoding | bytes | × v8 bytes | encode | MB/s | ops/s | × v8 speed | decode | MB/s | ops/s | × v8 speed | peak heap enc / dec | same value back |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
  ];
  for (const value of VALUES) {
    const base = results.find((r) => r.value === value && r.encoding === "v8");
    for (const r of results.filter((x) => x.value === value)) {
      const name = r.encoding === "v8" ? "node:v8 (baseline)" : r.encoding === "codec" ? "**portals codec (msgpackr)**" : `${r.encoding} (structuredClone)`;
      rows.push(
        `| ${DESCRIPTION[value]} | ${name} | ${size(r.bytes)} | ${base ? ratio(r.bytes, base.bytes) : "—"} | ${ms(r.encode)} | ${f(r.bytes / 1e3 / r.encode, 1)} | ${rate(1000 / r.encode)} | ` +
          `${base ? ratio(base.encode, r.encode) : "—"} | ${ms(r.decode)} | ${f(r.bytes / 1e3 / r.decode, 1)} | ${rate(1000 / r.decode)} | ${base ? ratio(base.decode, r.decode) : "—"} | ` +
          `${f(r.heap[0], 1)} / ${f(r.heap[1], 1)} MiB | ${r.faithful ? "yes" : "no"} |`,
      );
    }
  }
  return rows.join("\n");
}

async function main(): Promise<number> {
  const at = process.argv.indexOf("--child");
  if (at >= 0) {
    const result = await child(process.argv[at + 1] as ValueName, process.argv[at + 2] as Encoding);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  // The cart's asker is compiled once here, not by every child at once.
  const { compileModules } = await import("./lib/compile.js");
  await compileModules(["examples/shopping-cart/cart.ts"]);
  const results: Measured[] = [];
  const errors: string[] = [];
  for (const value of VALUES) {
    for (const encoding of ENCODINGS) {
      const t = performance.now();
      const args = ["--expose-gc", "--import", "tsx", join(ROOT, "benchmarks/codec.ts"), "--child", value, encoding, ...(quick ? ["--quick"] : [])];
      const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
      if (run.status !== 0) {
        errors.push(`${value} ${encoding}: the child process failed (exit ${run.status ?? run.signal})`);
        continue;
      }
      const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as Measured;
      if (encoding === "codec" && !result.faithful) errors.push(`${value}: the portals codec did not give back the value it encoded`);
      results.push(result);
      process.stderr.write(`${value} ${encoding}: ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    }
  }
  process.stdout.write(
    `\nSnapshot codec encodings, Node ${process.version}${quick ? ", --quick" : ""} (MB/s: 10^6 bytes of that encoding per second; ops/s: whole values per second; × v8 speed: v8's time / this time):\n\n${table(results)}\n`,
  );
  if (errors.length > 0) process.stdout.write(`\nErrors:\n${errors.map((e) => `- ${e}`).join("\n")}\n`);
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
