/**
 * The segment store (docs/snapshots.md, "Segment store"): one segment file per chain, a record
 * per snapshot, appended with O_DSYNC; snapshots saved together while a write is in flight go
 * out in one write and resolve in order; a torn last record (a crash mid-write) is left out and
 * cut before the next append, and the snapshot before it is restored.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { PortalsApp, SegmentStore, Sinks, Systems, type Application, type MemorySink } from "portals-ts";
import { createCodec } from "../../../runtime/state/codec.js";
import { decodeSnapshot } from "../../../runtime/system/snapshot.js";

const temp = (): string => mkdtempSync(join(tmpdir(), "portals-segments-"));
const decoded = (store: SegmentStore, id: string) => decodeSnapshot(store.load(id), createCodec());

/** Sums 0..n-1 in one task's state and emits the running sum. */
function summer(n: number, sink: MemorySink<number>): Application {
  return PortalsApp("summer", (app) => {
    app
      .workflows<number, number>("sum")
      .source(app.generators.fromRange(0, n, 1).stream)
      .processor<number>((x, ctx) => {
        const sum = ctx.state.get<number>("sum") ?? 0;
        ctx.state.set("sum", sum + x);
        ctx.emit(sum + x);
      })
      .sink(sink)
      .freeze();
  });
}

/** `count` snapshots of a run of `summer`, one after each step, every `fullEvery`-th full. */
function snapshotsOf(count: number, fullEvery: number): Uint8Array[] {
  const bytes: Uint8Array[] = [];
  const store = { save: (b: Uint8Array) => void bytes.push(b), newest: () => [], load: () => new Uint8Array(), close: () => {} };
  const system = Systems.test({ log: () => {}, snapshots: { store, fullEvery } });
  system.launch(summer(100, Sinks.memory<number>()));
  while (bytes.length < count) {
    system.step();
    system.checkpoint();
  }
  return bytes;
}

test("one segment file per chain, a record per snapshot, ids in the order taken", () => {
  const dir = temp();
  const store = new SegmentStore(dir, { keep: 2 });
  const snapshots = snapshotsOf(8, 3);
  for (const s of snapshots.slice(0, 5)) store.save(s);
  expect(readdirSync(dir).sort()).toEqual(["segment-000000000001.ptseg", "segment-000000000002.ptseg"]);
  expect(statSync(join(dir, "segment-000000000001.ptseg")).mode & 0o777).toBe(0o600);
  expect(store.newest()).toEqual(["000000000002-000000001", "000000000002-000000000", "000000000001-000000002", "000000000001-000000001", "000000000001-000000000"]);
  expect(store.newest().map((id) => decoded(store, id).sequence)).toEqual([5, 4, 3, 2, 1]);
  expect(Buffer.from(store.load("000000000001-000000002"))).toEqual(Buffer.from(snapshots[2]!));
  // A third chain drops the first (keep: 2).
  for (const s of snapshots.slice(5)) store.save(s);
  expect(readdirSync(dir).sort()).toEqual(["segment-000000000002.ptseg", "segment-000000000003.ptseg"]);
  store.close();
  // A store opened on the directory reads what was written.
  expect(new SegmentStore(dir).newest().length).toBe(snapshots.length - 3);
});

test("snapshots saved while a write is in flight resolve in order, and a full one starts a new segment", async () => {
  const dir = temp();
  const store = new SegmentStore(dir);
  const snapshots = snapshotsOf(7, 4);
  const order: number[] = [];
  const saved = Promise.all(snapshots.map((s, i) => store.saveAsync(s).then(() => order.push(i))));
  expect(() => store.save(snapshots[0]!)).toThrow(`the segment store in ${dir} is writing snapshots saved with saveAsync; wait for them before save`);
  await saved;
  expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect(readdirSync(dir).sort()).toEqual(["segment-000000000001.ptseg", "segment-000000000002.ptseg"]);
  expect(store.newest().map((id) => decoded(store, id).sequence)).toEqual([7, 6, 5, 4, 3, 2, 1]);
  store.close();
});

test("a torn last record is left out, cut before the next append, and the snapshot before it is restored", () => {
  const dir = temp();
  const sink = Sinks.memory<number>();
  const first = Systems.test({ log: () => {}, snapshots: { store: new SegmentStore(dir), every: 1, fullEvery: 100 } });
  first.launch(summer(10, sink));
  first.stepUntilComplete(6);
  const file = join(dir, "segment-000000000001.ptseg");
  const whole = statSync(file).size;
  // A crash while the 7th snapshot was written: its length and part of its bytes are there.
  const seventh = snapshotsOf(7, 100)[6]!;
  const length = Buffer.alloc(4);
  length.writeUInt32LE(seventh.length);
  appendFileSync(file, Buffer.concat([length, seventh.subarray(0, 20)]));

  const store = new SegmentStore(dir);
  expect(store.newest().length).toBe(6);
  const again = Systems.test({ log: () => {}, snapshots: { store, every: 1, fullEvery: 100 } });
  expect(again.restoreLatest([summer(10, sink)])).toBe("000000000001-000000005");
  again.stepUntilComplete();
  expect(sink.committed).toEqual([0, 1, 3, 6, 10, 15, 21, 28, 36, 45]);
  // The torn bytes were cut before the first append: the records follow each other.
  expect(new SegmentStore(dir).newest()).toEqual(store.newest());
  expect(store.newest().length).toBeGreaterThan(7);
  expect(readFileSync(file).subarray(whole, whole + 4).readUInt32LE(0)).toBe(new SegmentStore(dir).load("000000000001-000000006").length);
});

test("a damaged record (bytes that fail the checksum) is skipped for the one before it", () => {
  const dir = temp();
  const store = new SegmentStore(dir);
  const snapshots = snapshotsOf(3, 100);
  for (const s of snapshots) store.save(s);
  store.close();
  const file = join(dir, "segment-000000000001.ptseg");
  truncateSync(file, statSync(file).size - 1);
  appendFileSync(file, Buffer.of(0x55));
  const warnings: string[] = [];
  const sink = Sinks.memory<number>();
  const again = Systems.test({ log: (line, meta) => void (meta.level === "warn" && warnings.push(line)), snapshots: { store: new SegmentStore(dir) } });
  expect(again.restoreLatest([summer(3, sink)])).toBe("000000000001-000000001");
  expect(warnings).toEqual(["snapshot 000000000001-000000002 cannot be used (the snapshot is truncated or damaged (checksum mismatch)); trying the one before"]);
});

test("bad saves are refused with what is wrong and write nothing", async () => {
  const dir = temp();
  const store = new SegmentStore(dir);
  const [full, delta] = snapshotsOf(2, 100);
  expect(() => store.save(delta!)).toThrow(`a delta snapshot needs a full one before it in ${dir}`);
  expect(() => store.save(Uint8Array.of(1, 2, 3))).toThrow("not a portals snapshot (3 bytes without the PTSNAP header)");
  await expect(store.saveAsync(Uint8Array.of(1, 2, 3))).rejects.toThrow("not a portals snapshot");
  expect(readdirSync(dir)).toEqual([]);
  store.save(full!);
  // A write that cannot start (its directory is gone) fails its save, and the store takes the next.
  const gone = temp();
  const lost = new SegmentStore(gone);
  rmSync(gone, { recursive: true });
  await expect(lost.saveAsync(full!)).rejects.toThrow("ENOENT");
  expect(() => lost.save(full!)).toThrow("ENOENT");
  store.close();
  expect(() => store.save(delta!)).toThrow(`the segment store in ${dir} is closed`);
  expect(() => new SegmentStore("/proc/portals-test/segments")).toThrow("snapshot directory /proc/portals-test/segments cannot be used (ENOENT: no such file or directory, mkdir '/proc/portals-test')");
});
