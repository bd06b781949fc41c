/**
 * The two ends of a forwarded tail (`runtime/cluster/tail-forward.ts`, docs/cluster.md, "What
 * works") on a real nats-server with a small `max_payload`: batches cut to it, in order; an
 * event that cannot travel breaks the tail with the reason; a forwarder that stopped stops the
 * owner's tail at its next batch. forwarded-tail.test.ts runs them between two servers.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { joinTails, TailReceiver, TailSender, type TailPart } from "../../../runtime/cluster/tail-forward.js";
import { killAllNats, startNatsConfig, type NatsProcess } from "../../support/nats.js";

/** The server's limit per message: the sender keeps 1,024 bytes of it for the envelope. */
const MAX_PAYLOAD = 4096;
let nats: NatsProcess;
let owner: NatsConnection;
let forwarder: NatsConnection;

beforeAll(async () => {
  nats = await startNatsConfig(`listen: "127.0.0.1:-1"\nmax_payload: ${MAX_PAYLOAD}\n`);
  [owner, forwarder] = await Promise.all([connect({ servers: nats.url }), connect({ servers: nats.url })]);
});

afterAll(async () => {
  await Promise.all([owner?.close(), forwarder?.close()]);
  await nats?.stop();
  killAllNats();
});

/**
 * A receiver listening on the forwarder's connection and a sender to it on the owner's, with what
 * each saw; once the server has the subscription (as it has when a forwarder asks the owner over
 * the same connection), or the sender's first batch would find nobody.
 */
async function pair() {
  const seen: unknown[] = [];
  const broken: string[] = [];
  let ended = false;
  const receiver = new TailReceiver("own", (events, end) => (seen.push(...events), (ended ||= end)), (reason) => broken.push(reason));
  receiver.listen(forwarder);
  await forwarder.flush();
  const stopped: string[] = [];
  const sender = new TailSender(owner, receiver.inbox, "own", () => stopped.push("sender"));
  sender.stopTail = () => stopped.push("tail");
  return { receiver, sender, seen, broken, stopped, ended: () => ended };
}

test("events pass in order, cut into batches under max_payload, then the end; both ends stop", async () => {
  const { sender, seen, broken, stopped, ended } = await pair();
  // 300 events of about 40 bytes as JSON: three batches at least under 3,072 bytes.
  const events = Array.from({ length: 300 }, (_, i) => ({ n: i, text: "x".repeat(24), big: BigInt(i) }));
  sender.listener(events.slice(0, 120), false);
  sender.listener(events.slice(120), true);
  await expect.poll(ended, { timeout: 15_000, interval: 10 }).toBe(true);
  expect(seen).toEqual(events.map((e) => ({ n: e.n, text: e.text, big: String(e.big) })));
  expect(broken).toEqual([]);
  expect(stopped).toEqual(["tail", "sender"]);
});

test("batches are cut by UTF-8 bytes, as max_payload counts them: events of 3-byte characters pass, in order", async () => {
  const { sender, seen, broken, ended } = await pair();
  // 40 events of 300 characters, 900 bytes each as UTF-8: cut by characters, a batch of 3 would be 2,700 bytes over the limit.
  const events = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(3, "0")}${"€".repeat(297)}`);
  sender.listener(events, true);
  await expect.poll(ended, { timeout: 15_000, interval: 10 }).toBe(true);
  expect(seen).toEqual(events);
  expect(broken).toEqual([]);
});

test("an event larger than a message breaks the tail, naming the runtime to tail it on; what came before it arrives", async () => {
  const { sender, seen, broken, stopped } = await pair();
  sender.listener([1, "y".repeat(MAX_PAYLOAD), 3], false);
  await expect.poll(() => broken.length, { timeout: 15_000, interval: 10 }).toBe(1);
  expect(broken[0]).toMatch(/^runtime own stopped the tail: an event of the stream takes 4098 bytes as JSON, more than the cluster's NATS server takes in one message \(max_payload 4096\): tail it on runtime own, which runs its application$/);
  expect(seen).toEqual([1]);
  expect(stopped).toEqual(["tail", "sender"]);
});

test("an event JSON cannot hold (a cycle, which the codec keeps) breaks the tail, saying so, after the events before it", async () => {
  const { sender, seen, broken, stopped } = await pair();
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  sender.listener([1, cyclic, 3], false);
  await expect.poll(() => broken.length, { timeout: 15_000, interval: 10 }).toBe(1);
  expect(broken[0]).toBe("runtime own stopped the tail: an event of the stream cannot be written as JSON (Converting circular structure to JSON)");
  expect(seen).toEqual([1]);
  expect(stopped).toEqual(["tail", "sender"]);
});

test("a forwarder that stopped (its client went away) stops the owner's tail at the next batch: nobody answers it", async () => {
  const { receiver, sender, seen, stopped } = await pair();
  sender.listener([1], false);
  await expect.poll(() => seen.length, { timeout: 15_000, interval: 10 }).toBe(1);
  receiver.stop();
  // Once the server has the unsubscription, as it has when a forwarder's client went away a moment before (else the batch waits out its 10 s).
  await forwarder.flush();
  sender.listener([2], false);
  await expect.poll(() => stopped, { timeout: 15_000, interval: 10 }).toEqual(["tail", "sender"]);
  expect(seen).toEqual([1]);
});

describe("joinTails: the partitions' tails as one", () => {
  /** A part driven by the test: its listener and broken, and whether it was stopped. */
  function part(begin: "ok" | Error = "ok") {
    const p = { listener: undefined as ((events: readonly unknown[], end: boolean) => void) | undefined, broken: undefined as ((reason: string) => void) | undefined, stopped: false };
    const start: TailPart = (listener, broken) => {
      p.listener = listener;
      p.broken = broken;
      return begin === "ok" ? Promise.resolve(() => void (p.stopped = true)) : Promise.reject(begin);
    };
    return { p, start };
  }

  test("events pass as each part sends them; the end comes once every part has ended", async () => {
    const [a, b] = [part(), part()];
    const seen: unknown[] = [];
    await joinTails([a.start, b.start], (events, end) => seen.push(...events, ...(end ? ["end"] : [])), () => {});
    a.p.listener!([1, 2], false);
    b.p.listener!([10], true);
    a.p.listener!([3], false);
    expect(seen).toEqual([1, 2, 10, 3]);
    a.p.listener!([], true);
    expect(seen).toEqual([1, 2, 10, 3, "end"]);
  });

  test("a part that breaks stops the others and breaks the whole, once", async () => {
    const [a, b] = [part(), part()];
    const broken: string[] = [];
    await joinTails([a.start, b.start], () => {}, (reason) => broken.push(reason));
    a.p.broken!("a is gone");
    b.p.broken!("b too");
    expect(broken).toEqual(["a is gone"]);
    expect([a.p.stopped, b.p.stopped]).toEqual([true, true]);
  });

  test("a part that fails to begin rejects with its error, and the parts that began are stopped", async () => {
    const [a, b] = [part(), part(new Error("not found on w1"))];
    await expect(joinTails([a.start, b.start], () => {}, () => {})).rejects.toThrow("not found on w1");
    expect(a.p.stopped).toBe(true);
  });
});
