/**
 * One process of the cluster benchmark (`benchmarks/cluster.ts`): a runtime of a cluster, or a
 * raw JetStream publisher or consumer of the same atoms. Prints `start <ms> <rss MB>` when its
 * measured work begins and `done <ms> <count> <peak rss MB>` when it ends (wall clock, `Date.now()`).
 *
 *   producer <nats> <dir> <events> [tag]
 *                                    runtime "producer<tag>": /src<tag>/workflows/out/stream, atoms
 *                                    of 1,000 numbers, once runtime "consumer<tag>" runs /sink<tag>
 *   consumer <nats> <dir> <events> [tag] [first|again]
 *                                    runtime "consumer<tag>": /sink<tag> reads it into a count per
 *                                    key (x mod 1,000); `first` prints `half <ms>` once half the
 *                                    events are committed; `again` restores /sink<tag> from <dir>
 *                                    (the first was killed) and prints `restored <ms> <restore ms>`
 *                                    and `resumed <ms>` (its first event committed after it)
 *   replier <nats> <dir> [tag]       runtime "replier<tag>": /counter<tag>/portals/bump, a count per key
 *   asker <nats> <dir> <requests> [timed]
 *                                    runtime "asker": asks /counter/portals/bump for every number,
 *                                    1,000 per atom; `timed`: runtime "asker-timed" asks
 *                                    /counter-timed/portals/bump likewise and prints `latency <p50>
 *                                    <p99>` (ms from each request to the reply that resumed it)
 *   paced-asker <nats> <dir> <requests> <ms>
 *                                    runtime "asker-paced": /asks-paced asks /counter-paced/portals/bump one
 *                                    request at a time, one every <ms> (sent to an ingestion
 *                                    generator), and prints its `latency` likewise
 *   keyed-producer <nats> <dir> <events> <readers> <tag>
 *                                    runtime "keyed<tag>": /keyed<tag>/workflows/out/stream, atoms of
 *                                    1,000 numbers keyed by x mod 1,000, once <readers> runtimes read it
 *   keyed-count <nats> <dir> <events> <partition> <tag>
 *                                    runtime "count<tag>-<i>" (partition "<i>/<n>"; "-": not
 *                                    partitioned): /kcount<tag> counts per key what it gets of the
 *                                    keyed stream, and is done once it counted every event of its
 *                                    partition (each run its own tag: names stay taken in a cluster)
 *   raw-producer <nats> <events>     the producer's atoms, encoded once by the events' codec (the
 *                                    runtimes', docs/cluster.md), published with ids (64 in flight)
 *   raw-consumer <nats> <events>     an ordered consumer decoding them and counting per key
 *   latency-producer <nats> <dir> <events> <ms>
 *                                    runtime "lproducer": sends its clock (ms) as one event every
 *                                    <ms> through /lsrc/workflows/out/stream, once "lconsumer" reads it
 *   latency-consumer <nats> <dir> <events>
 *                                    runtime "lconsumer": each event's age when its workflow runs
 *                                    it; prints `latency <p50> <p99>` once <events> are committed
 *   raw-latency-producer <nats> <events> <ms>, raw-latency-consumer <nats> <events>
 *                                    the same through raw JetStream (one message each, published at once)
 */
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { PortalsApp, Sinks, Systems } from "portals-ts";
import { joinCluster, type ClusterLink } from "portals-ts/cluster";
import { createCodec } from "../../runtime/state/codec.js";
import { partitionOf } from "../../runtime/core/partition.js";
import { CHECKPOINT_INTERVAL_MS } from "./settings.js";

const [role, nats, third, fourth, fifth, sixth] = process.argv.slice(2) as [string, string, string, string | undefined, string | undefined, string | undefined];
const ATOM = 1000;
/** Publishes in flight at once of the raw publisher: as many as a runtime's export sends at once (`cluster/stream-export.ts`). */
const IN_FLIGHT = 64;
/** The events' codec, for the raw publisher and consumer: what the runtimes encode atoms with. */
const codec = createCodec();
// Ended by the benchmark once the pair is done: exit normally (a --cpu-prof profile is written then).
process.on("SIGTERM", () => process.exit(0));
const say = (line: string): void => void process.stdout.write(`${line} ${Math.round(process.resourceUsage().maxRSS / 1024)}\n`);

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 5));
}

/** Ends the process on a send or publish that failed: the run would otherwise wait for events that never come. */
function fail(thrown: unknown): never {
  console.error(`${role}:`, thrown);
  process.exit(1);
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes of one machine. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The median and the 99th percentile of `ms`, in milliseconds with one decimal: `<p50> <p99>`. */
function percentiles(ms: readonly number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number): string => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  return `${at(0.5)} ${at(0.99)}`;
}

/** A raw reader of `subject` in JetStream stream `stream`, once its publisher has made the stream: the connection and the consumer. */
async function rawReader(stream: string, subject: string) {
  const nc = await connect({ servers: nats, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  while (!(await jsm.streams.info(stream).then(() => true, () => false))) await new Promise((r) => setTimeout(r, 20));
  return { nc, consumer: await jetstream(nc).consumers.get(stream, { filter_subjects: subject }) };
}

async function live(runtime: string, dataDir: string) {
  const link: ClusterLink = await joinCluster({ servers: nats, runtime });
  return { link, system: Systems.live({ dataDir, link, log: () => {}, checkpointIntervalMs: CHECKPOINT_INTERVAL_MS }) };
}

if (role === "producer") {
  const [events, tag] = [Number(fourth), fifth ?? ""];
  const { link, system } = await live(`producer${tag}`, third);
  system.launch(
    PortalsApp(`src${tag}`, (app) => {
      const feed = app.sequencers.random<number>({ name: "feed" });
      app.workflows<number, number>("out").source(feed.stream).map((x) => x).sink();
    }),
  );
  // A new reader starts at the stream's end (docs/semantics.md, rule 7): wait for it, then feed
  // the numbers into the sequencer at full speed.
  await until(() => link.runtimeOf(`/sink${tag}`) === `consumer${tag}`);
  await new Promise((r) => setTimeout(r, 200));
  say(`start ${Date.now()}`);
  system.launch(PortalsApp(`gen${tag}`, (app) => app.connections.connect(app.generators.fromRange(0, events, ATOM).stream, app.registry.sequencers.get<number>(`/src${tag}/sequencers/feed`))));
} else if (role === "consumer") {
  const [events, tag, mode] = [Number(fourth), fifth ?? "", sixth];
  const { link, system } = await live(`consumer${tag}`, third);
  await until(() => link.runtimeOf(`/src${tag}`) === `producer${tag}`);
  // One event per atom reaches the sink: the count's progress, without a sink as large as the stream.
  const marks = Sinks.memory<number>();
  const app = PortalsApp(`sink${tag}`, (app) =>
    void app
      .workflows<number, number>("count")
      .source(app.registry.streams.get<number>(`/src${tag}/workflows/out/stream`))
      .key((x) => x % 1000)
      .map((x, ctx) => {
        const n = ctx.perKey("n", 0);
        n.set(n.get() + 1);
        return x;
      })
      .filter((x) => x % ATOM === ATOM - 1)
      .sink(marks),
  );
  if (mode === "again") {
    const begun = performance.now();
    system.restoreLatest([app]);
    say(`restored ${Date.now()} ${Math.round(performance.now() - begun)}`);
    await until(() => marks.committed.length > 0);
    say(`resumed ${Date.now()}`);
  } else {
    system.launch(app);
    if (mode === "first") {
      await until(() => (marks.committed.at(-1) ?? 0) >= events / 2);
      say(`half ${Date.now()}`);
    }
  }
  await until(() => marks.committed.at(-1) === events - 1);
  say(`done ${Date.now()} ${events}`);
} else if (role === "replier") {
  const tag = fourth ?? "";
  const { system } = await live(`replier${tag}`, third);
  system.launch(
    PortalsApp(`counter${tag}`, (app) => {
      const bump = app.portal<number, number>("bump", { key: (x) => x % 1000 });
      app.workflows<never, never>("count").source(app.generators.empty<never>().stream).replier(bump, () => {}, (x, ctx) => {
        const n = ctx.perKey("n", 0);
        n.set(n.get() + 1);
        ctx.reply(n.get());
      }).sink();
    }),
  );
} else if (role === "asker" || role === "paced-asker") {
  const paced = role === "paced-asker";
  const requests = Number(fourth);
  // Timing every request costs the throughput run a tenth of its rate: only the other runs time.
  const timed = paced || fifth === "timed";
  const tag = paced ? "-paced" : timed ? "-timed" : "";
  const { link, system } = await live(`asker${tag}`, third);
  await until(() => link.runtimeOf(`/counter${tag}`) === `replier${tag}`);
  const last = Sinks.memory<number>();
  /** Milliseconds from each request to the reply that resumed it. */
  const waits: number[] = [];
  system.launch(
    PortalsApp(`asks${tag}`, (app) => {
      const bump = app.registry.portals.get<number, number>(`/counter${tag}/portals/bump`);
      const flow = app.workflows<number, number>("ask").source(paced ? app.generators.http<number>("in").stream : app.generators.fromRange(0, requests, ATOM).stream);
      flow
        .asker(
          bump,
          timed
            ? async (x, ctx) => {
                const asked = nowMs();
                await bump.request(x);
                waits.push(nowMs() - asked);
                if (x === requests - 1) ctx.emit(x);
              }
            : async (x, ctx) => {
                await bump.request(x);
                if (x === requests - 1) ctx.emit(x);
              },
        )
        .sink(last);
    }),
  );
  say(`start ${Date.now()}`);
  // One request at a time, every <ms>: the round trip without a queue in front of it.
  if (paced) for (let x = 0; x < requests; x++, await new Promise((r) => setTimeout(r, Number(fifth)))) system.send(`/asks${tag}/generators/in`, [x]).catch(fail);
  await until(() => last.committed.length === 1);
  if (timed) say(`latency ${percentiles(waits)}`);
  say(`done ${Date.now()} ${requests}`);
} else if (role === "keyed-producer") {
  const [events, readers, tag] = [Number(fourth), Number(fifth), sixth!];
  const { link, system } = await live(`keyed${tag}`, third);
  system.launch(
    PortalsApp(`keyed${tag}`, (app) => {
      const feed = app.sequencers.random<number>({ name: "feed" });
      app.workflows<number, number>("out").source(feed.stream).key((x) => x % 1000).map((x) => x).sink();
    }),
  );
  const reading = (): number => (link.runtimeOf(`/kcount${tag}`) !== undefined ? 1 : link.partitionsOf(`/kcount${tag}`).filter((r) => r !== undefined).length);
  await until(() => reading() === readers);
  await new Promise((r) => setTimeout(r, 200));
  say(`start ${Date.now()}`);
  system.launch(PortalsApp(`kgen${tag}`, (app) => app.connections.connect(app.generators.fromRange(0, events, ATOM).stream, app.registry.sequencers.get<number>(`/keyed${tag}/sequencers/feed`))));
} else if (role === "keyed-count") {
  const [events, tag] = [Number(fourth), sixth!];
  const partition = fifth === "-" ? undefined : (fifth!.split("/").map(Number) as [number, number]);
  const { link, system } = await live(partition === undefined ? `count${tag}` : `count${tag}-${partition[0]}`, third);
  await until(() => link.runtimeOf(`/keyed${tag}`) === `keyed${tag}`);
  // How many events this partition gets: done once it committed them all.
  const mine = partition === undefined ? events : Array.from({ length: events }, (_, x) => x).filter((x) => partitionOf(x % 1000, partition[1]) === partition[0]).length;
  const sink = Sinks.memory<number>();
  const app = PortalsApp(`kcount${tag}`, (app) =>
    void app
      .workflows<number, number>("count")
      .source(app.registry.streams.get<number>(`/keyed${tag}/workflows/out/stream`))
      .map((x, ctx) => {
        const n = ctx.perKey("n", 0);
        n.set(n.get() + 1);
        return x;
      })
      .sink(sink),
  );
  // The counter's CPU from its launch on (before it, the process started and compiled: most of a
  // second's CPU, which made a 1-second run look like 170% of a core).
  const before = process.cpuUsage();
  await system.launchClaimed(partition === undefined ? app : app.asPartition(partition[0], partition[1]));
  await until(() => sink.committed.length >= mine);
  const used = process.cpuUsage(before);
  say(`done ${Date.now()} ${sink.committed.length} ${Math.round((used.user + used.system) / 1000)}`);
} else if (role === "raw-producer") {
  const events = Number(third);
  // As the runtimes connect (docs/cluster.md): without the errors nats.js makes for every publish in case it fails.
  const nc = await connect({ servers: nats, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "RAW", subjects: ["raw.>"] });
  const js = jetstream(nc);
  // The consumer starts at the stream's first message: give it time to be reading.
  await new Promise((r) => setTimeout(r, 500));
  say(`start ${Date.now()}`);
  const inFlight = new Set<Promise<unknown>>();
  for (let a = 0; a * ATOM < events; a++) {
    const values: number[] = [];
    for (let i = a * ATOM; i < Math.min(events, (a + 1) * ATOM); i++) values.push(i);
    const p = js.publish("raw.atoms.p", codec.encode({ keys: values.map(() => 0), values, error: undefined, seal: false, portal: false }, `atom ${a}`), { msgID: `p:${a}` });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await nc.close();
} else if (role === "raw-consumer") {
  const events = Number(third);
  const { nc, consumer } = await rawReader("RAW", "raw.atoms.*");
  const counts = new Map<number, number>();
  let seen = 0;
  for await (const m of await consumer.consume({ expires: 2000, max_messages: 64 })) {
    const atom = codec.decode(m.data) as { values: number[] };
    for (const x of atom.values) counts.set(x % 1000, (counts.get(x % 1000) ?? 0) + 1);
    seen += atom.values.length;
    if (seen >= events) break;
  }
  say(`done ${Date.now()} ${seen}`);
  await nc.close();
} else if (role === "latency-producer") {
  const [events, periodMs] = [Number(fourth), Number(fifth)];
  const { link, system } = await live("lproducer", third);
  system.launch(PortalsApp("lsrc", (app) => void app.workflows<number, number>("out").source(app.generators.http<number>("in").stream).map((t) => t).sink()));
  await until(() => link.runtimeOf("/lsink") === "lconsumer");
  await new Promise((r) => setTimeout(r, 200));
  say(`start ${Date.now()}`);
  for (let i = 0; i < events; i++, await new Promise((r) => setTimeout(r, periodMs))) system.send("/lsrc/generators/in", [nowMs()]).catch(fail);
} else if (role === "latency-consumer") {
  const events = Number(fourth);
  const { link, system } = await live("lconsumer", third);
  await until(() => link.runtimeOf("/lsrc") === "lproducer");
  const waits = Sinks.memory<number>();
  system.launch(PortalsApp("lsink", (app) => void app.workflows<number, number>("age").source(app.registry.streams.get<number>("/lsrc/workflows/out/stream")).map((t) => nowMs() - t).sink(waits)));
  await until(() => waits.committed.length >= events);
  say(`latency ${percentiles(waits.committed)}`);
  say(`done ${Date.now()} ${events}`);
} else if (role === "raw-latency-producer") {
  const [events, periodMs] = [Number(third), Number(fourth)];
  const nc = await connect({ servers: nats, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "RAWL", subjects: ["rawl.>"] });
  const js = jetstream(nc);
  await new Promise((r) => setTimeout(r, 500));
  say(`start ${Date.now()}`);
  const acks: Promise<unknown>[] = [];
  for (let i = 0; i < events; i++, await new Promise((r) => setTimeout(r, periodMs))) {
    acks.push(js.publish("rawl.atoms", codec.encode({ keys: [0], values: [nowMs()], error: undefined, seal: false, portal: false }, `atom ${i}`), { msgID: `l:${i}` }).catch(fail));
  }
  await Promise.all(acks);
  await nc.close();
} else if (role === "raw-latency-consumer") {
  const events = Number(third);
  const { nc, consumer } = await rawReader("RAWL", "rawl.atoms");
  const waits: number[] = [];
  for await (const m of await consumer.consume({ expires: 2000, max_messages: 64 })) {
    waits.push(nowMs() - (codec.decode(m.data) as { values: number[] }).values[0]!);
    if (waits.length >= events) break;
  }
  say(`latency ${percentiles(waits)}`);
  say(`done ${Date.now()} ${events}`);
  await nc.close();
}
