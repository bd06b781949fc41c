/**
 * `npm run bench -- --only cluster` (docs/cluster.md): runtimes of a cluster as separate
 * processes on one nats-server (all on this machine's cores), against raw JetStream in the same
 * run:
 *
 *   - remote stream: events/s from runtime "producer" to runtime "consumer" (atoms of 1,000
 *     numbers; the consumer counts per key and commits), against a raw publisher of the same
 *     atoms (encoded once, ids, 64 in flight, as many as an export sends at once) and an ordered consumer decoding and counting them
 *     (the limit); the ratio (target ≥ 0.8×);
 *   - remote portal: requests/s of an asker on one runtime awaiting a keyed replier on another,
 *     1,000 requests per atom (target ≥ 100,000/s); in a second run the p50 and p99 of the round
 *     trips (each queued behind the others; timing them costs a tenth of the rate), and the same
 *     of requests sent one at a time;
 *   - latency: an event's age when a workflow on another runtime runs it, one event at a time,
 *     against raw JetStream publish and consume: what the commit rule adds (target: about one
 *     checkpoint interval at most);
 *   - keyed count: a count per key (x mod 1,000) of a remote keyed stream in one runtime, and as
 *     2 partitions in 2 runtimes (docs/cluster.md, "Partitioned applications"), with the CPU each
 *     counter used;
 *   - recovery: the consumer SIGKILLed halfway and restarted on its data directory (restore time,
 *     kill to the first event committed after it, and the run's events/s);
 *   - peak RSS of each process.
 *
 * Needs the build (`npm run build`) and nats-server. `--quick`: fewer events.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHECKPOINT_INTERVAL_MS } from "./cluster/settings.js";
import { ROOT } from "./lib/compile.js";

const quick = process.argv.includes("--quick");
/**
 * Events per run: about a second for the remote stream. At 2,000,000 (half a second) the start
 * of the processes, JIT compilation included, was most of what set the runtimes apart from the
 * raw pair (benchmarks/README.md, "Encoded once").
 */
const EVENTS = quick ? 400_000 : 4_000_000;
const REQUESTS = quick ? 20_000 : 200_000;
/** Requests, and events, sent one at a time for the latencies, and the milliseconds between two. */
const PACED = quick ? 100 : 500;
const PERIOD_MS = 5;
const REGISTER = join(ROOT, "dist/compiler-cjs/compiler/hosts/register.js");
const RUNTIME = join(ROOT, "benchmarks/cluster/runtime.ts");

interface Child {
  readonly child: ChildProcess;
  /** Resolves with the fields of the first line starting with `word`. */
  line(word: "start" | "done" | "half" | "restored" | "resumed" | "latency"): Promise<number[]>;
}

function run(args: readonly string[]): Child {
  const child = spawn(process.execPath, ["--import", REGISTER, RUNTIME, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return {
    child,
    line: (word) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${args[0]}: no "${word}" within 300 s\n${out}${err}`)), 300_000);
        const check = (): void => {
          const m = new RegExp(`^${word} (.*)$`, "m").exec(out);
          if (m !== null) {
            clearTimeout(timer);
            resolve(m[1]!.split(" ").map(Number));
          }
        };
        child.stdout!.on("data", check);
        child.on("exit", (code) => code !== 0 && code !== null && reject(new Error(`${args[0]} exited with ${code}\n${out}${err}`)));
        check();
      }),
  };
}

async function natsServer(): Promise<{ url: string; stop(): void }> {
  const store = mkdtempSync(join(tmpdir(), "portals-bench-nats-"));
  const child = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", "-1", "-sd", store], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const read = (d: Buffer): void => {
      output += d.toString();
      const m = /Listening for client connections on [\d.]+:(\d+)/.exec(output);
      if (m !== null) resolve(Number(m[1]));
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.on("error", (e) => reject(new Error(`cannot start nats-server (${e.message}); install it: bash scripts/nats-server.sh`)));
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: () => {
      child.kill("SIGKILL");
      rmSync(store, { recursive: true, force: true });
    },
  };
}

const dirs: string[] = [];
const dataDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), "portals-bench-cluster-"));
  dirs.push(d);
  return d;
};

/**
 * Runs `first` and `second` together; the rate is `count` over `start` (of `timed`) to `done` (of
 * `finisher`). With `latency`, the finisher also prints the median and 99th percentile of what
 * it timed (ms), as `latency <p50> <p99>`.
 */
async function pair(first: readonly string[], second: readonly string[], timed: 0 | 1, finisher: 0 | 1, latency = false): Promise<{ perSecond: number; seconds: number; rss: number[]; p50: number; p99: number }> {
  const children = [run(first), run(second)];
  try {
    const [start] = await children[timed]!.line("start");
    const [done, count, rss] = await children[finisher]!.line("done");
    const seconds = (done! - start!) / 1000;
    const [p50, p99] = latency ? await children[finisher]!.line("latency") : [NaN, NaN];
    const other = children[1 - finisher]!;
    other.child.kill("SIGTERM");
    return { perSecond: count! / seconds, seconds, rss: [rss!], p50: p50!, p99: p99! };
  } finally {
    for (const c of children) c.child.kill("SIGKILL");
  }
}

/**
 * Runs `specs` together; the rate is the events of every finisher over `start` (of `timed`) to
 * the last finisher's `done`. A finisher's `done` line may carry the CPU milliseconds it used from its launch after the
 * count (its share of the 2 cores, said in the table).
 */
async function group(specs: readonly (readonly string[])[], timed: number, finishers: readonly number[]): Promise<{ perSecond: number; seconds: number; rss: number[]; cpu: number[] }> {
  const children = specs.map(run);
  try {
    const [start] = await children[timed]!.line("start");
    const dones = await Promise.all(finishers.map((f) => children[f]!.line("done")));
    const seconds = (Math.max(...dones.map((d) => d[0]!)) - start!) / 1000;
    const count = dones.reduce((sum, d) => sum + d[1]!, 0);
    return { perSecond: count / seconds, seconds, rss: dones.map((d) => d.at(-1)!), cpu: dones.map((d) => d[2]! / 1000) };
  } finally {
    for (const c of children) c.child.kill("SIGKILL");
  }
}

/**
 * Recovery after SIGKILL: the consumer of the remote stream killed once half the events are
 * committed, and started again on its data directory while the producer goes on. Returns the
 * restore's own time (reading and applying the snapshot chain), the time from the kill to the
 * first event committed after the restart (process start and compile included), and the events/s
 * of the whole run.
 */
async function recovery(events: number): Promise<{ restoreMs: number; resumedMs: number; perSecond: number }> {
  const dir = dataDir();
  const first = run(["consumer", nats.url, dir, String(events), "-r", "first"]);
  const producer = run(["producer", nats.url, dataDir(), String(events), "-r"]);
  let again: Child | undefined;
  try {
    const [start] = await producer.line("start");
    await first.line("half");
    first.child.kill("SIGKILL");
    const killed = Date.now();
    await new Promise((resolve) => first.child.once("exit", resolve));
    again = run(["consumer", nats.url, dir, String(events), "-r", "again"]);
    const [, restoreMs] = await again.line("restored");
    const [resumed] = await again.line("resumed");
    const [done] = await again.line("done");
    return { restoreMs: restoreMs!, resumedMs: resumed! - killed, perSecond: events / ((done! - start!) / 1000) };
  } finally {
    for (const c of [first, producer, again]) c?.child.kill("SIGKILL");
  }
}

const nats = await natsServer();
try {
  const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
  process.stderr.write("raw JetStream…\n");
  const raw = await pair(["raw-consumer", nats.url, String(EVENTS)], ["raw-producer", nats.url, String(EVENTS)], 1, 0);
  process.stderr.write("remote stream…\n");
  const remote = await pair(["consumer", nats.url, dataDir(), String(EVENTS)], ["producer", nats.url, dataDir(), String(EVENTS)], 1, 0);
  process.stderr.write("remote portal…\n");
  const portal = await pair(["replier", nats.url, dataDir()], ["asker", nats.url, dataDir(), String(REQUESTS)], 1, 1);
  process.stderr.write("remote portal, every round trip timed…\n");
  const timed = await pair(["replier", nats.url, dataDir(), "-timed"], ["asker", nats.url, dataDir(), String(REQUESTS), "timed"], 1, 1, true);
  process.stderr.write("remote portal, one request at a time…\n");
  const paced = await pair(["replier", nats.url, dataDir(), "-paced"], ["paced-asker", nats.url, dataDir(), String(PACED), String(PERIOD_MS)], 1, 1, true);
  process.stderr.write("latency of a remote stream, raw and exactly once…\n");
  const rawAge = await pair(["raw-latency-consumer", nats.url, String(PACED)], ["raw-latency-producer", nats.url, String(PACED), String(PERIOD_MS)], 1, 0, true);
  const age = await pair(["latency-consumer", nats.url, dataDir(), String(PACED)], ["latency-producer", nats.url, dataDir(), String(PACED), String(PERIOD_MS)], 1, 0, true);
  process.stderr.write("keyed count, 1 process…\n");
  const one = await group([["keyed-count", nats.url, dataDir(), String(EVENTS), "-", "1"], ["keyed-producer", nats.url, dataDir(), String(EVENTS), "1", "1"]], 1, [0]);
  process.stderr.write("keyed count, 2 partitions…\n");
  const two = await group(
    [["keyed-count", nats.url, dataDir(), String(EVENTS), "0/2", "2"], ["keyed-count", nats.url, dataDir(), String(EVENTS), "1/2", "2"], ["keyed-producer", nats.url, dataDir(), String(EVENTS), "2", "2"]],
    2,
    [0, 1],
  );
  process.stderr.write("recovery after SIGKILL…\n");
  const recovered = await recovery(EVENTS);
  console.log(`| measure | rate | seconds | ratio | target |`);
  console.log(`|---|---|---|---|---|`);
  console.log(`| raw JetStream, ${fmt(EVENTS)} events in atoms of 1,000 (publish with ids, ordered consumer, decode, count) | ${fmt(raw.perSecond)} events/s | ${raw.seconds.toFixed(2)} | 1 | |`);
  console.log(`| remote stream between two runtimes (exactly once: publish after checkpoint, position in snapshot) | ${fmt(remote.perSecond)} events/s | ${remote.seconds.toFixed(2)} | ${(remote.perSecond / raw.perSecond).toFixed(2)}× | ≥ 0.8× |`);
  console.log(`| remote portal, ${fmt(REQUESTS)} requests, 1,000 per atom | ${fmt(portal.perSecond)} requests/s | ${portal.seconds.toFixed(2)} | | ≥ 100,000/s |`);
  console.log(`| the same, every round trip timed: p50 ${timed.p50} ms, p99 ${timed.p99} ms (each queued behind the others) | ${fmt(timed.perSecond)} requests/s | ${timed.seconds.toFixed(2)} | | |`);
  console.log(`| remote portal, ${fmt(PACED)} requests one at a time, one every ${PERIOD_MS} ms: round trip p50 ${paced.p50} ms, p99 ${paced.p99} ms (two checkpoints in it) | | | | |`);
  console.log(`| an event's age when a remote runtime's workflow runs it, one event every ${PERIOD_MS} ms: p50 ${age.p50} ms, p99 ${age.p99} ms (raw JetStream: p50 ${rawAge.p50} ms, p99 ${rawAge.p99} ms); the commit rule adds ${(age.p50 - rawAge.p50).toFixed(1)} ms at p50, ${(age.p99 - rawAge.p99).toFixed(1)} ms at p99 | | | | ≤ about one checkpoint interval (${CHECKPOINT_INTERVAL_MS} ms) |`);
  const cpu = (g: { cpu: number[]; seconds: number }): string => g.cpu.map((c) => `${Math.round((100 * c) / g.seconds)}%`).join(" + ");
  console.log(`| keyed count of a remote stream, 1 process (CPU of the counter: ${cpu(one)} of one core) | ${fmt(one.perSecond)} events/s | ${one.seconds.toFixed(2)} | 1 | |`);
  console.log(`| keyed count as 2 partitions in 2 processes (CPU: ${cpu(two)}) | ${fmt(two.perSecond)} events/s | ${two.seconds.toFixed(2)} | ${(two.perSecond / one.perSecond).toFixed(2)}× | > 1× where the broker does not bound it |`);
  console.log(`| remote stream with its consumer SIGKILLed at half and restarted: restore ${fmt(recovered.restoreMs)} ms, kill to first event committed after it ${fmt(recovered.resumedMs)} ms (process start included) | ${fmt(recovered.perSecond)} events/s | | ${(recovered.perSecond / remote.perSecond).toFixed(2)}× | |`);
  console.log(`\npeak RSS (MB): raw consumer ${raw.rss[0]}, runtime consumer ${remote.rss[0]}, asker ${portal.rss[0]}`);
} finally {
  nats.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
