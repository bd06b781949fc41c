/**
 * What an export does with atoms no other runtime reads (docs/cluster.md, "Exports on
 * interest"): it holds them a while for a reader being deployed, then drops them (on time, also
 * on a runtime with nothing else to do), and drops none while the cluster cannot be reached. The export here has no server: its connection never
 * connects, so nothing is published and the stream shows what the export still holds.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { atom } from "../../../runtime/engine/atom.js";
import { AtomicStream } from "../../../runtime/engine/stream.js";
import { createCodec } from "../../../runtime/state/codec.js";
import { StreamExport, UNREAD_HOLD_MS } from "../../../runtime/cluster/stream-export.js";
import type { ClusterConnection } from "../../../runtime/cluster/nats.js";
import type { Fence } from "../../../runtime/cluster/identity.js";

/** An export of a new stream that nobody reads, on a connection that is `reachable` or not and never connects. */
function unreadExport(reachable: boolean) {
  const stream = new AtomicStream("/shop/workflows/orders/stream");
  const connection = {
    reachable,
    atomStream: () => new Promise<string>(() => {}),
    onReconnect: () => () => {},
    ready: () => new Promise(() => {}),
  } as unknown as ClusterConnection;
  const exported = new StreamExport(stream, "rt-a", connection, {} as Fence, createCodec, () => {}, () => {}, () => false);
  /** Appends an atom of `values`, and a checkpoint that covers it is stored. */
  const checkpointed = (...values: number[]): void => {
    stream.append(atom(values.map(() => 0), values, undefined, false, false));
    exported.release(exported.take());
  };
  const held = (): number[] => stream.save().atoms.flatMap((a) => a.values as number[]);
  return { exported, checkpointed, held };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("an export of a stream no other runtime reads", () => {
  test("holds its atoms for a reader to come, and drops those older than the hold", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { exported, checkpointed, held } = unreadExport(true);
    checkpointed(1, 2);
    vi.advanceTimersByTime(UNREAD_HOLD_MS / 2);
    checkpointed(3);
    // Nobody reads it: no checkpoint is asked for on its account.
    checkpointed(4);
    expect(exported.waiting).toBe(false);
    expect(held()).toEqual([1, 2, 3, 4]);
    vi.advanceTimersByTime(UNREAD_HOLD_MS / 2);
    checkpointed(5);
    expect(held()).toEqual([3, 4, 5]);
    vi.advanceTimersByTime(UNREAD_HOLD_MS);
    checkpointed(6);
    expect(held()).toEqual([6]);
  });

  test("drops them when they are due on an idle runtime too, with no checkpoint to come (a late reader starts after them)", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { checkpointed, held } = unreadExport(true);
    checkpointed(1);
    checkpointed(2);
    vi.advanceTimersByTime(UNREAD_HOLD_MS - 1);
    expect(held()).toEqual([1, 2]);
    vi.advanceTimersByTime(1);
    expect(held()).toEqual([]);
  });

  test("drops nothing while the cluster cannot be reached: a reader may have come that it has not heard of", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { checkpointed, held } = unreadExport(false);
    checkpointed(1);
    vi.advanceTimersByTime(10 * UNREAD_HOLD_MS);
    checkpointed(2);
    expect(held()).toEqual([1, 2]);
  });
});
