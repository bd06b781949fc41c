/**
 * A JetStream cluster of three losing a leader (docs/cluster.md, "Failures"): runtimes created
 * their streams and the directory with three replicas and know all three servers. While numbers
 * flow from runtime A's application to runtime B's, the node leading A's stream is killed with
 * SIGKILL, then started again; then the node leading the meta group (which places streams and
 * consumers) likewise. After each election the numbers flow on, and B's output equals the
 * uninterrupted run's, each number once, in order; and B still hears of A's new applications.
 */
import { expect, test } from "vitest";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { PortalsApp, Sinks } from "portals-ts";
import { DIRECTORY_BUCKET, jetStreamName } from "../../../runtime/cluster/subjects.js";
import { until, useCluster } from "../../support/cluster.js";

const { natsCluster, runtime, known } = useCluster({ nodes: 3 });

const STREAM = "/flow/workflows/double/stream";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("the node leading the producer's stream, then the meta leader, killed: after each election events flow on, none lost or repeated", async () => {
  const a = await runtime("lead-a");
  const b = await runtime("lead-b");
  a.launch(PortalsApp("flow", (app) => void app.workflows<number, number>("double").source(app.generators.http<number>("in").stream).map((x) => x * 2).sink()));
  await known(b, "/flow", "lead-a");
  const sink = Sinks.memory<number>();
  b.launch(PortalsApp("flow-reader", (app) => void app.workflows<number, number>("r").source(app.registry.streams.get<number>(STREAM)).map((x) => x + 1).sink(sink)));

  // Batches of 5 numbers, one every 50 ms.
  let sent = 0;
  const send = async (batches: number): Promise<void> => {
    for (const end = sent + batches; sent < end; sent++) {
      await a.send("/flow/generators/in", Array.from({ length: 5 }, (_, i) => sent * 5 + i));
      await sleep(50);
    }
  };
  await send(10);
  await until("the first outputs", () => sink.committed.length === 50, 15_000);

  // Short timeouts: a call during the election is not answered, the first after it is.
  const nc = await connect({ servers: natsCluster().servers.split(","), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const jsm = await jetstreamManager(nc, { timeout: 500 });
  const stream = jetStreamName(STREAM, "lead-a");
  try {
    expect((await jsm.streams.info(stream)).config.num_replicas).toBe(3);
    expect((await jsm.streams.info(`KV_${DIRECTORY_BUCKET}`)).config.num_replicas).toBe(3);
    const measured: string[] = [];
    for (const role of ["stream", "meta"] as const) {
      const victim = natsCluster().node(role === "stream" ? (await leaderOf(jsm, stream))! : (await natsCluster().metaLeader())!);
      const alsoMeta = role === "stream" && victim.name === (await natsCluster().metaLeader());
      await victim.kill();
      const killed = Date.now();
      const elected = (async () => {
        while (Date.now() - killed < 30_000) {
          const leader = await (role === "stream" ? leaderOf(jsm, stream) : natsCluster().metaLeader()).catch(() => undefined);
          if (leader !== undefined && leader !== victim.name) return Date.now() - killed;
          await sleep(100);
        }
        return Number.NaN;
      })();
      const expected = sink.committed.length + 5;
      await send(1);
      // Alone, 4–15 s (docs/cluster.md, "Failures"); once in CI, beside the rest of the suite on
      // the same 2 cores, more than 20 s when the stream's leader was also the meta leader.
      await until(`a number sent after the kill of ${victim.name} on B`, () => sink.committed.length >= expected, 45_000);
      measured.push(`${role} leader ${victim.name}${alsoMeta ? " (also the meta leader)" : ""} killed: elected after ${await elected} ms, flowing after ${Date.now() - killed} ms`);
      await send(10);
      await victim.restart();
      // The node caught up before the next is lost: two lost at once would leave no majority.
      await natsCluster().settled();
      await send(10);
    }
    await until("every output", () => sink.committed.length >= sent * 5, 20_000);
    await sleep(300); // a repeat would come after the last
    expect(sink.committed).toEqual(Array.from({ length: sent * 5 }, (_, x) => x * 2 + 1));
    // The directory's watch came through the elections too.
    a.launch(PortalsApp("after", (app) => void app.workflows<number, number>("w").source(app.generators.http<number>("in").stream).map((x) => x).sink()));
    await known(b, "/after", "lead-a");
    console.log(measured.join("\n"));
  } finally {
    await nc.close();
  }
}, 200_000);

/** The server leading JetStream stream `name`, as the cluster says now (`undefined` during an election). */
async function leaderOf(jsm: JetStreamManager, name: string): Promise<string | undefined> {
  return (await jsm.streams.info(name)).cluster?.leader;
}
