/**
 * Partitioned applications (docs/cluster.md, "Partitioned applications"): one keyed application
 * launched as partition 0/2 on runtime w0 and 1/2 on runtime w1 of a real nats-server, reading
 * a keyed stream of runtime P; a reader on runtime R reads the partitions' output as one stream.
 * Each key's events, and so its state, are in one partition: the per-key sequences equal one
 * process's.
 */
import { describe, expect, test } from "vitest";
import { ApplicationError, PortalsApp, Sinks, type Application, type LiveSystem, type MemorySink } from "portals-ts";
import { partitionOf } from "../../../runtime/core/partition.js";
import { until, useCluster } from "../../support/cluster.js";

const { runtime, dataDir, known, knownPartitions, link } = useCluster();

/** Runtime P's application `name`: numbers sent over HTTP, keyed by x mod 7, on `/<name>/workflows/keyed/stream`. */
function numbers(name: string): Application {
  return PortalsApp(name, (app) => {
    app.workflows<number, number>("keyed").source(app.generators.http<number>("in").stream).key((x) => x % 7).map((x) => x).sink();
  });
}

/** The partitioned application `name`: a running sum per key of `from`, as `"<x>:<sum>"`, also into `sink`. */
function sums(name: string, from: string, sink: MemorySink<string>): Application {
  return PortalsApp(name, (app) => {
    app
      .workflows<number, string>("sum")
      .source(app.registry.streams.get<number>(from))
      .map((x, ctx) => {
        const sum = ctx.perKey("sum", 0);
        sum.set(sum.get() + x);
        return `${x}:${sum.get()}`;
      })
      .sink(sink);
  });
}

/** A reader of `from` (a stream of the partitioned application) into `sink`. */
function report(name: string, from: string, sink: MemorySink<string>): Application {
  return PortalsApp(name, (app) => void app.workflows<string, string>("copy").source(app.registry.streams.get<string>(from)).map((s) => s).sink(sink));
}

/** The lines of `0..n-1` per key (x mod 7), as one process writes them, grouped by key. */
function expectedByKey(n: number): Record<number, string[]> {
  const sums: number[] = [];
  const byKey: Record<number, string[]> = {};
  for (let x = 0; x < n; x++) {
    const k = x % 7;
    sums[k] = (sums[k] ?? 0) + x;
    (byKey[k] ??= []).push(`${x}:${sums[k]}`);
  }
  return byKey;
}

/** `lines` grouped by their number's key, each group in the order it came. */
function byKey(lines: readonly string[]): Record<number, string[]> {
  const groups: Record<number, string[]> = {};
  for (const line of lines) (groups[Number(line.split(":")[0]) % 7] ??= []).push(line);
  return groups;
}

/** Sends 0..n-1 in atoms of 5 to `/<app>/generators/in` on `system`. */
async function sendNumbers(system: LiveSystem, app: string, from: number, to: number): Promise<void> {
  for (let x = from; x < to; x += 5) await system.send(`/${app}/generators/in`, Array.from({ length: Math.min(5, to - x) }, (_, i) => x + i));
}

describe("a keyed application as two partitions on two runtimes", () => {
  test("each partition keeps the keys that hash to it, and a reader of both sees every key's events in order, once", async () => {
    const p = await runtime("pt-p1");
    const [w0, w1, r] = [await runtime("pt-w0"), await runtime("pt-w1"), await runtime("pt-r1")];
    p.launch(numbers("nums1"));
    await known(w0, "/nums1", "pt-p1");
    await known(w1, "/nums1", "pt-p1");
    const [s0, s1] = [Sinks.memory<string>(), Sinks.memory<string>()];
    await w0.launchClaimed(sums("sums1", "/nums1/workflows/keyed/stream", s0).asPartition(0, 2));
    await w1.launchClaimed(sums("sums1", "/nums1/workflows/keyed/stream", s1).asPartition(1, 2));
    await knownPartitions(r, "/sums1", ["pt-w0", "pt-w1"]);
    const all = Sinks.memory<string>();
    r.launch(report("report1", "/sums1/workflows/sum/stream", all));
    // Tails of the partitioned stream (docs/cluster.md, "What works"): on a runtime that runs no
    // partition, and on one that runs partition 0, every partition's events; with `here`, its own.
    const tailed = { r: [] as string[], w0: [] as string[], here: [] as string[] };
    const ends: string[] = [];
    const stops = [
      await r.openTail("/sums1/workflows/sum/stream", (events, end) => (tailed.r.push(...(events as string[])), end && ends.push("r"))),
      await w0.openTail("/sums1/workflows/sum/stream", (events) => tailed.w0.push(...(events as string[]))),
      await w0.openTail("/sums1/workflows/sum/stream", (events) => tailed.here.push(...(events as string[])), { here: true }),
    ];
    await sendNumbers(p, "nums1", 0, 70);
    await until("70 lines on the reader", () => all.committed.length === 70);
    expect(byKey(all.committed)).toEqual(expectedByKey(70));
    await until("70 lines on both tails", () => tailed.r.length === 70 && tailed.w0.length === 70);
    expect(byKey(tailed.r)).toEqual(expectedByKey(70));
    expect(byKey(tailed.w0)).toEqual(expectedByKey(70));
    expect(Object.keys(byKey(tailed.here)).map(Number).sort()).toEqual([1, 3, 5]);
    expect(ends).toEqual([]);
    for (const stop of stops) stop();
    // Keys 1, 3 and 5 hash to partition 0 of 2; 0, 2, 4 and 6 to partition 1.
    const keysOf = (sink: MemorySink<string>): number[] => [...new Set(sink.committed.map((l) => Number(l.split(":")[0]) % 7))].sort();
    expect({ w0: keysOf(s0), w1: keysOf(s1) }).toEqual({ w0: [1, 3, 5], w1: [0, 2, 4, 6] });
    expect([1, 3, 5].map((k) => partitionOf(k, 2))).toEqual([0, 0, 0]);
    expect(s0.committed.length + s1.committed.length).toBe(70);
  });

  test("a partition restarted from its data directory goes on with its keys' state, exactly once", async () => {
    const dir = dataDir();
    const p = await runtime("pt-p2");
    const w0 = await runtime("pt-w2-0", { dir });
    const w1 = await runtime("pt-w2-1");
    const r = await runtime("pt-r2");
    p.launch(numbers("nums2"));
    await known(w0, "/nums2", "pt-p2");
    await known(w1, "/nums2", "pt-p2");
    const from = "/nums2/workflows/keyed/stream";
    await w0.launchClaimed(sums("sums2", from, Sinks.memory()).asPartition(0, 2));
    await w1.launchClaimed(sums("sums2", from, Sinks.memory()).asPartition(1, 2));
    await knownPartitions(r, "/sums2", ["pt-w2-0", "pt-w2-1"]);
    const all = Sinks.memory<string>();
    r.launch(report("report2", "/sums2/workflows/sum/stream", all));
    await sendNumbers(p, "nums2", 0, 35);
    await until("35 lines", () => all.committed.length === 35);
    await w0.close();
    // Sent while partition 0 is away: its share waits on NATS.
    await sendNumbers(p, "nums2", 35, 70);
    const again = await runtime("pt-w2-0", { dir });
    // A key's state is in the snapshot of its partition: another partition or count is refused.
    expect(() => again.restoreLatest([sums("sums2", from, Sinks.memory()).asPartition(0, 3)])).toThrow(
      'application /sums2 was partition 0/2 in the snapshot and is partition 0/3 now; restore each partition\'s snapshot into the same partition of the same count (docs/cluster.md, "Partitioned applications")',
    );
    expect(again.restoreLatest([sums("sums2", from, Sinks.memory()).asPartition(0, 2)])).toBeDefined();
    await until("70 lines after the restart", () => all.committed.length === 70);
    expect(byKey(all.committed)).toEqual(expectedByKey(70));
  });

  test("partitions deployed at different times start at one point of their input: the first one's launch", async () => {
    const p = await runtime("pt-p4");
    const [w0, w1] = [await runtime("pt-w4-0"), await runtime("pt-w4-1")];
    p.launch(numbers("nums4"));
    await known(w0, "/nums4", "pt-p4");
    await known(w1, "/nums4", "pt-p4");
    const [s0, s1] = [Sinks.memory<string>(), Sinks.memory<string>()];
    const from = "/nums4/workflows/keyed/stream";
    await w0.launchClaimed(sums("sums4", from, s0).asPartition(0, 2));
    await sendNumbers(p, "nums4", 0, 14);
    // Keys 1, 3 and 5 (partition 0) of 0..13: six numbers, taken while partition 1 is not deployed.
    await until("partition 0's share", () => s0.committed.length === 6);
    await new Promise((r) => setTimeout(r, 300));
    await w1.launchClaimed(sums("sums4", from, s1).asPartition(1, 2));
    await until("partition 1's share of the same atoms", () => s1.committed.length === 8);
    expect(byKey([...s0.committed, ...s1.committed])).toEqual(expectedByKey(14));
  });

  test("launch errors: a partition that keys anew, has a generator or serves a portal; a reader before every partition is deployed; a partition in one process", async () => {
    const p = await runtime("pt-p3");
    const w0 = await runtime("pt-w3-0");
    const r = await runtime("pt-r3");
    p.launch(numbers("nums3"));
    await known(w0, "/nums3", "pt-p3");
    const rekeys = PortalsApp("rekeys", (app) => {
      app.workflows<number, number>("w").source(app.registry.streams.get<number>("/nums3/workflows/keyed/stream")).key((x) => x % 3).map((x) => x).sink();
      app.workflows<number, number>("g").source(app.generators.http<number>("in").stream).map((x) => x).sink();
    });
    const refused = await w0.launchClaimed(rekeys.asPartition(0, 2)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApplicationError);
    const problems = (refused as ApplicationError).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^generator \/rekeys\/generators\/in: as partition 0\/2, the application reads its events from streams of other applications/);
    expect(problems[1]).toMatch(/^task .* of \/rekeys\/workflows\/w keys its events anew: as partition 0\/2, .*key the events in the application that produces the stream/);
    // Its claim was given back: the name is free for an application that is not partitioned.
    w0.launch(PortalsApp("rekeys", (app) => void app.workflows<number, number>("w").source(app.generators.http<number>("in").stream).map((x) => x).sink()));

    await w0.launchClaimed(sums("sums3", "/nums3/workflows/keyed/stream", Sinks.memory()).asPartition(0, 3));
    await until("partition 0/3 known on r", () => link(r).partitionsOf("/sums3").join() === "pt-w3-0,,");
    expect(() => r.launch(report("report3", "/sums3/workflows/sum/stream", Sinks.memory()))).toThrow(
      "application /report3: /report3/workflows/copy needs stream /sums3/workflows/sum/stream of all 3 partitions of application /sums3, and partitions 1/3, 2/3 are not deployed yet (as this runtime heard); deploy them first",
    );
    // A tail shows every partition's events: not before they are all deployed.
    for (const on of [r, w0]) {
      // On the runtime of partition 0 too: its own events are not the stream's (a fresh user's trial got them alone).
      await expect(on.openTail("/sums3/workflows/sum/stream", () => {})).rejects.toThrow(
        "/sums3 runs as 3 partitions, and partitions 1/3, 2/3 are not deployed: a tail shows every partition's events; tail again once they are",
      );
    }
    // Another count for the same application, and the same partition on another runtime.
    await expect(r.launchClaimed(sums("sums3", "/nums3/workflows/keyed/stream", Sinks.memory()).asPartition(1, 2))).rejects.toThrow(/it runs as 3 partitions, and this is partition 1\/2; deploy partitions of 3/);
    await expect(r.launchClaimed(sums("sums3", "/nums3/workflows/keyed/stream", Sinks.memory()).asPartition(0, 3))).rejects.toThrow("application /sums3: partition 0/3 of it runs on runtime pt-w3-0; deploy another partition here, or this one elsewhere");
    await expect(r.launchClaimed(sums("sums3", "/nums3/workflows/keyed/stream", Sinks.memory()))).rejects.toThrow(/application \/sums3: it runs as 3 partitions \(0\/3 on pt-w3-0\); deploy it as a partition/);
    // A partition keeps its share of what it imports: a stream of this runtime would bring every event.
    await expect(r.launchClaimed([numbers("local3"), sums("sums3b", "/local3/workflows/keyed/stream", Sinks.memory()).asPartition(0, 2)])).rejects.toThrow(
      "/sums3b: /sums3b/workflows/sum needs stream /local3/workflows/keyed/stream, which runs on this runtime: as partition 0/2, the application takes its share of the streams of other runtimes only; run /local3 on another runtime",
    );
    // A runtime reads a stream of another runtime with one share of its keys: another partition
    // of the same count shares it; a reader of every key does not.
    await w0.launchClaimed(sums("sums3e", "/nums3/workflows/keyed/stream", Sinks.memory()).asPartition(0, 3));
    expect(() => w0.launch(sums("whole3", "/nums3/workflows/keyed/stream", Sinks.memory()))).toThrow(
      "application /whole3: /whole3/workflows/sum needs stream /nums3/workflows/keyed/stream, which this runtime already reads for partition 0/3 of another application; a runtime reads a stream of another with one share of its keys: launch this one, which takes every key, on another runtime",
    );
    // A partition refused after its claim gives the key back (a delete marker): the name is free for the next.
    const withGenerator = PortalsApp("again3", (app) => void app.workflows<number, number>("g").source(app.generators.http<number>("in").stream).map((x) => x).sink());
    await expect(r.launchClaimed(withGenerator.asPartition(1, 2))).rejects.toThrow(/generator \/again3\/generators\/in/);
    await r.launchClaimed(sums("again3", "/nums3/workflows/keyed/stream", Sinks.memory()).asPartition(0, 2));
    // Likewise when the producer was launched here before.
    r.launch(numbers("local3d"));
    await expect(r.launchClaimed(sums("sums3d", "/local3d/workflows/keyed/stream", Sinks.memory()).asPartition(1, 2))).rejects.toThrow(
      "application /sums3d: /sums3d/workflows/sum needs stream /local3d/workflows/keyed/stream, which runs on this runtime: as partition 1/2, the application takes its share of the streams of other runtimes only; run /local3d on another runtime",
    );
    // A reader launched beside a partition would read that partition only.
    await expect(r.launchClaimed([sums("sums3c", "/nums3/workflows/keyed/stream", Sinks.memory()).asPartition(0, 2), report("report3c", "/sums3c/workflows/sum/stream", Sinks.memory())])).rejects.toThrow(
      "/report3c: /report3c/workflows/copy needs stream /sums3c/workflows/sum/stream of every partition of application /sums3c, which is launched here as partition 0/2; read it on a runtime that runs none of its partitions",
    );
  });

  test("a partition is refused without a cluster, and asPartition names a bad index or count", async () => {
    const { Systems } = await import("portals-ts");
    const alone = Systems.live({ log: () => {} });
    try {
      const app = report("alone", "/x/workflows/w/stream", Sinks.memory());
      expect(() => alone.launch(PortalsApp("alone", (a) => void a.workflows<number, number>("w").source(a.generators.http<number>("in").stream).map((x) => x).sink()).asPartition(1, 2))).toThrow(
        /it is partition 1\/2, and a partitioned application runs in a cluster/,
      );
      expect(() => app.asPartition(2, 2)).toThrow("/alone.asPartition(2, 2): partition 2 of 2: give an index from 0 to 1");
      expect(() => app.asPartition(0, 0)).toThrow("/alone.asPartition(0, 0): a partition count is a whole number from 1 to 1024, got 0");
    } finally {
      await alone.close();
    }
  });
});
