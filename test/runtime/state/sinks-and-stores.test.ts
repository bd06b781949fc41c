/**
 * Transactional sinks and snapshot stores (docs/snapshots.md): output is committed with the snapshot
 * that covers it, so a crash between any two steps, restored from the newest snapshot, gives
 * exactly the output of a run without the crash; stores keep the newest snapshots, write them
 * atomically, and a damaged one is skipped with a warning for the one before.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { DirectoryStore, PortalsApp, SegmentStore, Sinks, SqliteStore, Systems, type Application, type MemorySink, type SnapshotStore } from "portals-ts";
import { createCodec } from "../../../runtime/state/codec.js";
import { decodeSnapshot as decodeWith } from "../../../runtime/system/snapshot.js";

/** The apps of these tests register no data classes: the framework's codec reads their snapshots. */
const decodeSnapshot = (bytes: Uint8Array) => decodeWith(bytes, createCodec());

const temp = (): string => mkdtempSync(join(tmpdir(), "portals-test-"));
const snapshotKind = (bytes: Uint8Array): string => decodeSnapshot(bytes).kind;

/** Doubles numbers through a portal and writes `n:2n` lines to `sink`. */
function doubler(sink: ReturnType<typeof Sinks.file<string>> | MemorySink<string>): Application {
  return PortalsApp("doubler", (app) => {
    const double = app.portal<number, number>("double");
    app
      .workflows<never, never>("server")
      .source(app.generators.empty<never>().stream)
      .replier(double, () => {}, (x, ctx) => ctx.reply(x * 2))
      .sink()
      .freeze();
    app
      .workflows<number, string>("client")
      .source(app.generators.fromRange(0, 40, 4).stream)
      .asker(double, async (x, ctx) => {
        ctx.emit(`${x}:${await double.request(x)}`);
      })
      .sink(sink)
      .freeze();
  });
}

const expected = Array.from({ length: 40 }, (_, x) => `${x}:${2 * x}`);

describe("Sinks.memory and Sinks.file", () => {
  test("commit(count) makes the first count staged events visible and keeps the rest staged", () => {
    const memory = Sinks.memory<number>();
    const file = join(mkdtempSync(join(tmpdir(), "portals-commit-")), "out.jsonl");
    for (const writer of [memory.open(), Sinks.file<number>(file).open()]) {
      writer.reset();
      writer.stage([1, 2]);
      writer.stage([3]);
      writer.commit(2);
      expect(writer.save().staged.length).toBe(1);
      writer.commit();
      expect(writer.save().staged).toEqual([]);
      writer.close();
    }
    expect(memory.committed).toEqual([1, 2, 3]);
    expect(readFileSync(file, "utf8")).toBe("1\n2\n3\n");
  });

  test("without snapshots, output is committed after every step", () => {
    const sink = Sinks.memory<string>();
    const system = Systems.test({ log: () => {} });
    system.launch(doubler(sink));
    system.stepUntilComplete();
    expect(sink.committed).toEqual(expected);
  });

  test("with snapshots, output is committed only with the snapshot that covers it", () => {
    const sink = Sinks.memory<string>();
    const store = new DirectoryStore(temp());
    const system = Systems.test({ log: () => {}, snapshots: { store } });
    system.launch(doubler(sink));
    system.stepUntilComplete(30);
    expect(sink.committed).toEqual([]);
    system.checkpoint();
    const committed = sink.committed.length;
    expect(committed).toBeGreaterThan(0);
    expect(sink.committed).toEqual(expected.slice(0, committed));
    system.stepUntilComplete();
    expect(sink.committed).toEqual(expected);
  });

  test("a crash at every step, restored from the newest snapshot, commits exactly the output of a run without it", () => {
    for (let crash = 1; crash < 60; crash += 3) {
      const dir = temp();
      const sink = Sinks.memory<string>();
      const first = Systems.test({ seed: 5, log: () => {}, snapshots: { store: new DirectoryStore(dir), every: 4 } });
      first.launch(doubler(sink));
      first.stepUntilComplete(crash);
      // The crash: the system is gone; staged output was never committed.
      const second = Systems.test({ seed: 5, log: () => {}, snapshots: { store: new DirectoryStore(dir), every: 4 } });
      const app = doubler(sink);
      if (second.restoreLatest([app]) === undefined) second.launch(app);
      second.stepUntilComplete();
      expect(sink.committed, `crash after ${crash} steps`).toEqual(expected);
    }
  });

  test("a damaged full snapshot makes its deltas unusable; the warnings name it, and nothing is restored", () => {
    const dir = temp();
    const first = Systems.test({ seed: 2, log: () => {}, snapshots: { store: new DirectoryStore(dir), every: 5 } });
    first.launch(doubler(Sinks.memory<string>()));
    first.stepUntilComplete(16);
    const full = "snapshot-000000000001-full.ptsnap";
    expect(readdirSync(dir).sort()).toEqual([full, "snapshot-000000000002-delta.ptsnap", "snapshot-000000000003-delta.ptsnap"]);
    writeFileSync(join(dir, full), readFileSync(join(dir, full)).subarray(0, 100));
    const warnings: string[] = [];
    const second = Systems.test({ seed: 2, log: (line, meta) => void (meta.level === "warn" && warnings.push(line)), snapshots: { store: new DirectoryStore(dir), every: 5 } });
    expect(second.restoreLatest([doubler(Sinks.memory<string>())])).toBeUndefined();
    const damaged = "the snapshot is truncated or damaged (checksum mismatch)";
    expect(warnings).toEqual([
      `snapshot snapshot-000000000003-delta.ptsnap cannot be used (it extends snapshot ${full}, which cannot be read: ${damaged}); trying the one before`,
      `snapshot snapshot-000000000002-delta.ptsnap cannot be used (it extends snapshot ${full}, which cannot be read: ${damaged}); trying the one before`,
      `snapshot ${full} cannot be used (${damaged}); trying the one before`,
    ]);
  });

  test("a file sink is cut back to the snapshot and written again on restore, exactly once", () => {
    const dir = temp();
    const path = join(dir, "out.jsonl");
    const store = new DirectoryStore(join(dir, "snapshots"));
    const first = Systems.test({ seed: 2, log: () => {}, snapshots: { store, every: 5 } });
    first.launch(doubler(Sinks.file<string>(path)));
    first.stepUntilComplete(33);
    first.shutdown();
    // Garbage after the committed part, as a torn write would leave.
    writeFileSync(path, readFileSync(path, "utf8") + '"torn wri');
    const second = Systems.test({ seed: 2, log: () => {}, snapshots: { store, every: 5 } });
    expect(second.restoreLatest([doubler(Sinks.file<string>(path))])).toBe("snapshot-000000000006-delta.ptsnap");
    second.stepUntilComplete();
    second.shutdown();
    expect(readFileSync(path, "utf8")).toBe(expected.map((l) => JSON.stringify(l) + "\n").join(""));
  });

  test("a fresh run empties the file; a sink target is given once per workflow", () => {
    const path = join(temp(), "out.jsonl");
    writeFileSync(path, "old\n");
    const system = Systems.test({ log: () => {} });
    system.launch(doubler(Sinks.file<string>(path)));
    system.stepUntilComplete();
    system.shutdown();
    expect(readFileSync(path, "utf8").split("\n")[0]).toBe('"0:0"');
    expect(() =>
      PortalsApp("two", (app) => {
        const flow = app.workflows<number, number>("w").source(app.generators.signal(1).stream);
        flow.map((x) => x).sink(Sinks.memory<number>());
        flow.map((x) => x + 1).sink(Sinks.memory<number>());
      }),
    ).toThrow("workflow /two/workflows/w already sends its output to memory; a workflow has one sink target");
  });
});

describe.each<[string, (dir: string) => SnapshotStore]>([
  ["DirectoryStore", (dir) => new DirectoryStore(join(dir, "snaps"), { keep: 2 })],
  ["SqliteStore", (dir) => new SqliteStore(join(dir, "snaps.db"), { keep: 2 })],
  ["SegmentStore", (dir) => new SegmentStore(join(dir, "segments"), { keep: 2 })],
])("%s", (_name, open) => {
  test("keeps the newest chains (a full snapshot and its deltas), newest first", () => {
    const store = open(temp());
    const system = Systems.test({ log: () => {}, snapshots: { store, fullEvery: 3 } });
    system.launch(doubler(Sinks.memory<string>()));
    for (let i = 0; i < 8; i++) {
      system.step();
      system.checkpoint();
    }
    // Snapshots 1 (full) 2 3, 4 (full) 5 6, 7 (full) 8: two chains kept.
    const kinds = store.newest().map((id) => snapshotKind(store.load(id)));
    expect(kinds).toEqual(["delta", "full", "delta", "delta", "full"]);
    store.close();
  });

  test("a damaged newest snapshot is skipped with a warning, and the one before is restored", () => {
    const store = open(temp());
    const warnings: string[] = [];
    const sink = Sinks.memory<string>();
    const system = Systems.test({ seed: 1, log: () => {}, snapshots: { store, every: 7 } });
    system.launch(doubler(sink));
    system.stepUntilComplete(30);
    const [newest, before] = store.newest();
    // Damage the newest snapshot by storing a truncated copy as an even newer one.
    store.save(store.load(newest!).subarray(0, 100));
    const again = Systems.test({ seed: 1, log: (line, meta) => void (meta.level === "warn" && warnings.push(line)), snapshots: { store, every: 7 } });
    expect(again.restoreLatest([doubler(sink)])).toBe(newest);
    expect(warnings).toEqual([`snapshot ${store.newest()[0]} cannot be used (the snapshot is truncated or damaged (checksum mismatch)); trying the one before`]);
    again.stepUntilComplete();
    expect(sink.committed).toEqual(expected);
    expect(before).toBeDefined();
    store.close();
  });
});

test("a directory store creates missing parent directories, and names a directory it cannot create", () => {
  const nested = join(temp(), "a", "b", "c");
  const store = new DirectoryStore(nested);
  const system = Systems.test({ log: () => {}, snapshots: { store } });
  system.launch(doubler(Sinks.memory<string>()));
  system.checkpoint();
  expect(readdirSync(nested)).toEqual(["snapshot-000000000001-full.ptsnap"]);
  // Node's recursive mkdirSync never returns for a path under /proc (Linux).
  expect(() => new DirectoryStore("/proc/portals-test/snapshots")).toThrow(
    "snapshot directory /proc/portals-test/snapshots cannot be created (ENOENT: no such file or directory, mkdir '/proc/portals-test')",
  );
});

test("a directory store writes through a temporary file and leaves only snapshots, named by kind", () => {
  const dir = temp();
  const store = new DirectoryStore(dir, { keep: 1 });
  const system = Systems.test({ log: () => {}, snapshots: { store, fullEvery: 2 } });
  system.launch(doubler(Sinks.memory<string>()));
  for (let i = 0; i < 5; i++) system.checkpoint();
  expect(readdirSync(dir).sort()).toEqual(["snapshot-000000000005-full.ptsnap"]);
  system.checkpoint();
  expect(readdirSync(dir).sort()).toEqual(["snapshot-000000000005-full.ptsnap", "snapshot-000000000006-delta.ptsnap"]);
  expect(() => store.save(Uint8Array.of(1, 2, 3))).toThrow("not a portals snapshot (3 bytes without the PTSNAP header)");
});

test("an intact snapshot these applications cannot decode (a data class renamed) is refused, not skipped for a fresh start", () => {
  class Money {
    constructor(readonly cents: number) {}
  }
  const wallet = (name: string) =>
    PortalsApp("wallet", (app) => {
      app.dataClass<Money>({ name, type: Money, encode: (m) => m.cents, decode: (c: number) => new Money(c) });
      app
        .workflows<number, number>("w")
        .source(app.generators.fromRange(0, 6, 2).stream)
        .processor<number>((x, ctx) => {
          ctx.state.set("last", new Money(x));
          ctx.emit(x);
        })
        .sink()
        .freeze();
    });
  const store = new DirectoryStore(temp());
  const first = Systems.test({ log: () => {}, snapshots: { store, every: 1 } });
  first.launch(wallet("shop.Money"));
  first.stepUntilComplete(4);
  const newest = store.newest()[0];
  const again = Systems.test({ log: () => {}, snapshots: { store } });
  expect(() => again.restoreLatest([wallet("shop.Cents")])).toThrow(
    `snapshot ${newest} is intact but cannot be decoded by these applications (codec: the bytes hold an instance of shop.Money, which is not registered in this process); ` +
      "restore with the code that wrote it (a class in the snapshot keeps its name: a registered class the name it was registered with, an error class of a compiled module its class name), or remove the snapshots to start afresh",
  );
  expect(Systems.test({ log: () => {}, snapshots: { store } }).restoreLatest([wallet("shop.Money")])).toBe(newest);
});

test("restoreLatest with an empty store starts nothing and says so", () => {
  const system = Systems.test({ log: () => {}, snapshots: { store: new DirectoryStore(temp()) } });
  expect(system.restoreLatest([doubler(Sinks.memory<string>())])).toBeUndefined();
  expect(system.applications).toEqual([]);
});

test("a delta after an atom that touched k keys holds those keys, not all of them", () => {
  const app = PortalsApp("big", (a) => {
    const keys = a.generators.fromArrayOfArrays([Array.from({ length: 50_000 }, (_, i) => i), [7, 8, 9]]);
    a.workflows<number, never>("count")
      .source(keys.stream)
      .key((k) => k)
      .processor<never>((_, ctx) => {
        const n = ctx.perKey("n", 0);
        n.set(n.get() + 1);
      })
      .sink()
      .freeze();
  });
  const system = Systems.test({ log: () => {} });
  system.launch(app);
  system.stepUntilComplete(2);
  const full = system.snapshot();
  system.stepUntilComplete(2);
  const delta = system.snapshot({ delta: true });
  // Every key in the full snapshot: 4 bytes each at least (in MessagePack, a key below 65,536 takes 3, its count 1).
  expect(full.length).toBeGreaterThan(4 * 50_000);
  expect(delta.length).toBeLessThan(2_000);
  const keys = decodeSnapshot(delta).workflows["/big/workflows/count"]!.runners[1]! as unknown as { changes: { set: Map<string, Map<number, number>> } };
  expect([...keys.changes.set.get("n")!]).toEqual([
    [7, 2],
    [8, 2],
    [9, 2],
  ]);
  const restored = Systems.test({ log: () => {} }).restore([full, delta], [app]);
  expect(decodeSnapshot(restored.snapshot()).workflows["/big/workflows/count"]!.runners[1]!).toEqual(decodeSnapshot(system.snapshot()).workflows["/big/workflows/count"]!.runners[1]!);
});
