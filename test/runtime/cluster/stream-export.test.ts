/**
 * What an export does with atoms no other runtime reads (docs/cluster.md, "Exports on
 * interest"): it holds them a while for a reader being deployed, then drops them (on time, also
 * on a runtime with nothing else to do), and drops none while the cluster cannot be reached. The export here has no server: its connection never
 * connects, so nothing is published and the stream shows what the export still holds.
 */
import { connect, createServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, test, vi } from "vitest";
import { atom } from "../../../runtime/engine/atom.js";
import { applyStreamDelta, AtomicStream, type StreamState } from "../../../runtime/engine/stream.js";
import { createCodec, Encoded } from "../../../runtime/state/codec.js";
import { Systems } from "../../../runtime/index.js";
import { decodeSnapshot, encodeSnapshot } from "../../../runtime/system/snapshot.js";
import { StreamExport, UNREAD_HOLD_EVENTS, UNREAD_HOLD_MS } from "../../../runtime/cluster/stream-export.js";
import type { ClusterConnection } from "../../../runtime/cluster/nats.js";
import type { Fence } from "../../../runtime/cluster/identity.js";

/** An export of a new stream on a connection that never connects, `reachable` or not; another runtime reads the stream while `reader.reads`. */
function unreadExport(reachable: boolean, codec = createCodec()) {
  const stream = new AtomicStream("/shop/workflows/orders/stream");
  const connection = {
    reachable,
    atomStream: () => new Promise<string>(() => {}),
    onReconnect: () => () => {},
    onDisconnect: () => () => {},
    ready: () => new Promise(() => {}),
  } as unknown as { reachable: boolean } & ClusterConnection;
  const reader = { reads: false, asked: 0 };
  const exported = new StreamExport(stream, "rt-a", connection, {} as Fence, () => codec, () => {}, () => void reader.asked++, () => reader.reads);
  /** Appends an atom of `values`, and a checkpoint that covers it is stored. */
  const checkpointedAtom = (values: number[]): void => {
    stream.append(atom(values.map(() => 0), values, undefined, false, false));
    exported.release(exported.take());
  };
  const checkpointed = (...values: number[]): void => checkpointedAtom(values);
  const valuesOf = (state: StreamState): number[] => state.atoms.flatMap((a) => a.values as number[]);
  /** The atoms the export holds: what a snapshot taken while the cluster cannot be reached would hold. */
  const held = (): number[] => {
    const was = connection.reachable;
    connection.reachable = false;
    const state = stream.save();
    connection.reachable = was;
    return valuesOf(state);
  };
  return { stream, exported, checkpointed, checkpointedAtom, held, reader, valuesOf };
}

afterEach(() => {
  vi.useRealTimers();
});

/** Fake timeouts and clock; `setImmediate` stays real, since the export drops held atoms in the loop's check phase. */
function useFakeClock(): void {
  vi.useFakeTimers({ now: 1_000_000, toFake: ["setTimeout", "clearTimeout", "Date"] });
}

/** `ms` pass, and the event loop's turn reaches its check phase, where the export drops what is due. */
async function pass(ms: number): Promise<void> {
  vi.advanceTimersByTime(ms);
  await new Promise((resolve) => setImmediate(resolve));
}

describe("an export of a stream no other runtime reads", () => {
  test("holds its atoms for a reader to come, and drops those older than the hold", async () => {
    useFakeClock();
    const { exported, checkpointed, held } = unreadExport(true);
    checkpointed(1, 2);
    await pass(UNREAD_HOLD_MS / 2);
    checkpointed(3);
    // Nobody reads it: no checkpoint is asked for on its account.
    checkpointed(4);
    expect(exported.waiting).toBe(false);
    expect(held()).toEqual([1, 2, 3, 4]);
    await pass(UNREAD_HOLD_MS / 2);
    checkpointed(5);
    expect(held()).toEqual([3, 4, 5]);
    await pass(UNREAD_HOLD_MS);
    checkpointed(6);
    expect(held()).toEqual([6]);
  });

  test("drops them when they are due on an idle runtime too, with no checkpoint to come (a late reader starts after them)", async () => {
    useFakeClock();
    const { checkpointed, held } = unreadExport(true);
    checkpointed(1);
    checkpointed(2);
    await pass(UNREAD_HOLD_MS - 1);
    expect(held()).toEqual([1, 2]);
    await pass(1);
    expect(held()).toEqual([]);
  });

  test("drops nothing while the cluster cannot be reached: a reader may have come that it has not heard of", async () => {
    useFakeClock();
    const { checkpointed, held } = unreadExport(false);
    checkpointed(1);
    await pass(10 * UNREAD_HOLD_MS);
    checkpointed(2);
    expect(held()).toEqual([1, 2]);
  });

  test("holds at most UNREAD_HOLD_EVENTS events, the latest, reachable or not (an atom without events counts as one)", async () => {
    useFakeClock();
    for (const reachable of [true, false]) {
      const { stream, checkpointed, checkpointedAtom, held } = unreadExport(reachable);
      const big = Array.from({ length: UNREAD_HOLD_EVENTS - 3 }, (_, i) => i);
      checkpointed(-1);
      checkpointedAtom(big);
      checkpointed(-2);
      checkpointedAtom([]);
      // -1, the big atom, -2 and an atom without events: UNREAD_HOLD_EVENTS exactly, all held.
      /** A million values compared by their count and ends (a deep compare of them all takes seconds). */
      const ends = (values: number[]) => [values.length, ...values.slice(0, 2), ...values.slice(-2)];
      expect(ends(held())).toEqual(ends([-1, ...big, -2]));
      // One more, and the oldest goes: the atom without events counted as one.
      checkpointed(-3);
      expect(ends(held())).toEqual(ends([...big, -2, -3]));
      // A larger atom than the bound is dropped whole as soon as it is appended.
      checkpointedAtom(Array.from({ length: UNREAD_HOLD_EVENTS + 1 }, () => 7));
      expect(held()).toEqual([]);
      await pass(0);
    }
  });

  test("holds the bound between checkpoints too: atoms appended while none is taken go as they come, the oldest first", () => {
    // Found by a fresh user: a generator of 60,000,000 numbers nobody read yet ran the runtime out of memory between two checkpoints.
    const { stream, held } = unreadExport(true);
    for (let i = 0; i < 2000; i++) {
      const values = Array.from({ length: 1000 }, (_, j) => i * 1000 + j);
      stream.append(atom(values.map(() => 0), values, undefined, false, false));
    }
    const kept = held();
    // The latest 1,048 atoms of 1,000: as many events as fit under UNREAD_HOLD_EVENTS (1,048,576).
    expect([kept.length, kept[0], kept.at(-1)]).toEqual([1_048_000, 952_000, 1_999_999]);
  });

  test("on a loop busy past the hold, hears of a reader that came meanwhile before it drops the atoms that reader could read", async () => {
    // Real time and I/O: the news of the reader is a message on a socket, there before the hold
    // runs out but read only once the loop is free again, as a directory update would be.
    const { checkpointed, held, reader, exported } = unreadExport(true);
    const server = createServer((socket) => socket.on("data", () => {
      reader.reads = true;
      exported.heard();
    }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
    try {
      await new Promise((resolve) => client.once("connect", resolve));
      checkpointed(1, 2);
      await new Promise((resolve) => setTimeout(resolve, 10));
      client.write("a reader came");
      const busyUntil = Date.now() + UNREAD_HOLD_MS + 100;
      while (Date.now() < busyUntil); // a long synchronous checkpoint, say
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect({ heard: reader.reads, asked: reader.asked, held: held() }).toEqual({ heard: true, asked: 1, held: [1, 2] });
    } finally {
      client.destroy();
      server.close();
    }
  });

  test("is saved as having read the atoms it holds: they make no checkpoint larger, and a crash drops them as the hold would", () => {
    useFakeClock();
    const { stream, checkpointed, held, valuesOf } = unreadExport(true);
    checkpointed(1, 2);
    checkpointed(3);
    expect(held()).toEqual([1, 2, 3]);
    const saved = stream.save();
    expect({ atoms: valuesOf(saved), cursors: saved.cursors }).toEqual({ atoms: [], cursors: [{ position: 2, portalPending: 0 }] });
  });

  test("when a reader comes, asks for a checkpoint, which holds the held atoms again, and publishes them only once it is stored", () => {
    useFakeClock();
    const { stream, exported, checkpointed, reader, valuesOf } = unreadExport(true);
    checkpointed(1);
    const chain = stream.save(); // a full snapshot without the held atom
    checkpointed(2);
    reader.reads = true;
    exported.heard();
    expect({ waiting: exported.waiting, asked: reader.asked, expendable: exported.expendable() }).toEqual({ waiting: true, asked: 1, expendable: false });
    // Nothing is published before that checkpoint: the export is not pumping, so it could still be saved as expendable were the reader to leave.
    reader.reads = false;
    expect(exported.expendable()).toBe(true);
    reader.reads = true;
    const end = exported.take();
    const delta = stream.save(true);
    expect({ atoms: valuesOf(delta), first: delta.first, end }).toEqual({ atoms: [1, 2], first: 0, end: 2 });
    // The chain restores them: the delta writes again what the snapshot before it left out.
    const restored = applyStreamDelta(chain, delta);
    expect({ atoms: valuesOf(restored), cursors: restored.cursors }).toEqual({ atoms: [1, 2], cursors: [{ position: 0, portalPending: 0 }] });
    exported.release(end);
    expect({ waiting: exported.waiting, expendable: exported.expendable() }).toEqual({ waiting: false, expendable: false });
  });
});

describe("atoms encoded once for a checkpoint and their messages (docs/snapshots.md, \"Codec\")", () => {
  /** A snapshot of an empty test system with `streams` in it, written and read back by `codec`. */
  const throughSnapshot = (codec: ReturnType<typeof createCodec>, streams: Record<string, StreamState>) => {
    const system = Systems.test({ seed: 1, log: () => {} });
    const data = decodeSnapshot(system.snapshot(), codec);
    system.shutdown();
    return decodeSnapshot(encodeSnapshot({ ...data, streams }, codec), codec).streams;
  };

  test("a checkpoint taken while another runtime reads the stream encodes the atoms it holds, and the snapshot copies those bytes", () => {
    const codec = createCodec();
    const { stream, exported, reader, valuesOf } = unreadExport(true, codec);
    reader.reads = true;
    const atoms = [1, 2, 3].map((v) => atom([0], [v], undefined, false, false));
    for (const a of atoms) stream.append(a);
    expect(atoms.map((a) => codec.written(a) instanceof Encoded)).toEqual([false, false, false]);
    expect(exported.take()).toBe(3);
    expect(atoms.map((a) => codec.written(a) instanceof Encoded)).toEqual([true, true, true]);
    // What the snapshot writes is the bytes made at the checkpoint (a change after it, which the engine never makes, would not show).
    atoms[0]!.values[0] = 10;
    const back = throughSnapshot(codec, { [stream.path]: stream.save() })[stream.path]!;
    expect(valuesOf(back)).toEqual([1, 2, 3]);
    expect(back.atoms[2]).toEqual({ keys: [0], values: [3], error: undefined, seal: false, portal: false });
  });

  test("atoms nobody reads are not encoded: they are held a while, then dropped", () => {
    const codec = createCodec();
    const { stream, exported } = unreadExport(true, codec);
    const held = atom([0], [1], undefined, false, false);
    stream.append(held);
    exported.take();
    expect(codec.written(held)).toBe(held);
  });

  test("an atom that cannot be encoded is left to the checkpoint, which names it", () => {
    const codec = createCodec();
    const { stream, exported, reader } = unreadExport(true, codec);
    reader.reads = true;
    const good = atom([0], [1], undefined, false, false);
    stream.append(good);
    stream.append(atom([0], [Symbol("x")], undefined, false, false));
    expect(exported.take()).toBe(2);
    expect(codec.written(good)).toBeInstanceOf(Encoded);
    expect(() => throughSnapshot(codec, { [stream.path]: stream.save() })).toThrow('cannot store a symbol at snapshot.streams["/shop/workflows/orders/stream"].atoms[1].values[0]');
  });
});

test("an export that finds its runtime's subject ahead of its stream (another data directory published as this runtime) stops for good, saying why, and still counts the atoms it holds", async () => {
  // A fresh user's trial found such an export only in the log: /healthz and its metric said nothing.
  const stream = new AtomicStream("/shop/workflows/orders/stream");
  const published = { seq: 9, header: { get: (h: string) => (h === "Portals-Atom" ? "7" : undefined) } };
  const connection = {
    reachable: true,
    atomStream: async () => "PT_x",
    onReconnect: () => () => {},
    onDisconnect: () => () => {},
    ready: async () => ({ nc: { info: { max_payload: 1 << 20 } }, jsm: { streams: { getMessage: async () => published } } }),
  } as unknown as ClusterConnection;
  const fence = { lost: undefined, verify: async () => {} } as unknown as Fence;
  const lines: string[] = [];
  const exported = new StreamExport(stream, "rt-a", connection, fence, () => createCodec(), (line) => void lines.push(line), () => {});
  expect([exported.failure, exported.unpublished]).toEqual([undefined, 0]);
  stream.append(atom([0], [1], undefined, false, false));
  exported.release(exported.take());
  await vi.waitFor(() => expect(exported.failure).toBeDefined(), { timeout: 5000 });
  const why = "runtime rt-a published atom 7 of stream /shop/workflows/orders/stream, but this data directory's stream has only 1 atoms";
  expect(exported.failure).toMatch(new RegExp(`^${why}`));
  expect(exported.unpublished).toBe(1);
  expect(lines).toEqual([expect.stringMatching(new RegExp(`^the export of stream /shop/workflows/orders/stream to the cluster stopped: ${why}`))]);
});
