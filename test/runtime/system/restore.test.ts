/**
 * Snapshot and restore in process (docs/snapshots.md, "Exactly-once"). For each
 * example, one run takes snapshots at 50 seeded-random steps (many while continuations are
 * parked and requests are in flight), every fifth a full snapshot and the others deltas; each
 * is restored, with its chain, into a fresh system (another seed: the snapshot brings its own)
 * and run to completion. The lines logged before the snapshot plus those after the restore
 * must be exactly the lines of the run, and the final state must be the same, byte for byte
 * (apart from the snapshot's sequence number).
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, test } from "vitest";
import { PortalsApp, Sinks, SnapshotError, Systems, Tasks, VSM, type Application, type VsmBehavior } from "portals-ts";
import bankSaga from "../../../examples/bank-saga/app.js";
import countdown from "../../../examples/countdown/app.js";
import pingPong from "../../../examples/ping-pong/app.js";
import previousValue from "../../../examples/previous-value/app.js";
import { shoppingCart } from "../../../examples/shopping-cart/applications.js";
import { recordedTrace } from "../../../examples/shopping-cart/files.js";
import wordCount from "../../../examples/word-count/app.js";
import { createCodec } from "../../../runtime/state/codec.js";
import { frameSnapshot } from "../../../runtime/state/snapshot-format.js";
import { decodeSnapshot as decodeWith, resolveChain, type SnapshotData } from "../../../runtime/system/snapshot.js";
import type { RunnerDelta } from "../../../runtime/engine/tasks/task-runner.js";

/** The apps of these tests register no data classes: the framework's codec reads their snapshots. */
const codec = createCodec();
const decodeSnapshot = (bytes: Uint8Array) => decodeWith(bytes, codec);

const SEED = 3;
const STOPS = 50;

interface Point {
  readonly step: number;
  readonly lines: number;
  readonly parked: number;
  /** The full snapshot and deltas to restore this point. */
  readonly chain: Uint8Array[];
}

/** The state in snapshot bytes without the sequence number (which counts the snapshots taken). */
function state(bytes: Uint8Array): Buffer {
  return Buffer.from(codec.encode({ ...decodeSnapshot(bytes), sequence: 0 }));
}

/** One run with snapshots at `STOPS` random steps; its lines, snapshots and final state. */
function recorded(apps: readonly Application[]): { lines: string[]; points: Point[]; final: Uint8Array } {
  const lines: string[] = [];
  const probe = Systems.test({ seed: SEED, log: () => {} });
  for (const app of apps) probe.launch(app);
  const total = probe.stepUntilComplete();
  const rng = xoroshiro128plus(42);
  const steps = new Set<number>();
  while (steps.size < Math.min(STOPS, total - 1)) steps.add(uniformInt(rng, 1, total - 1));
  const system = Systems.test({ seed: SEED, log: (line) => lines.push(line) });
  for (const app of apps) system.launch(app);
  const points: Point[] = [];
  let at = 0;
  let chain: Uint8Array[] = [];
  for (const [i, step] of [...steps].sort((a, b) => a - b).entries()) {
    at += system.stepUntilComplete(step - at);
    const full = i % 5 === 0;
    const bytes = system.snapshot({ delta: !full });
    chain = full ? [bytes] : [...chain, bytes];
    points.push({ step, lines: lines.length, parked: system.parkedContinuations, chain });
  }
  system.stepUntilComplete();
  return { lines, points, final: system.snapshot() };
}

function resumed(chain: Uint8Array | Uint8Array[], apps: readonly Application[]): { lines: string[]; final: Uint8Array } {
  const lines: string[] = [];
  const system = Systems.test({ seed: 999, log: (line) => lines.push(line) }).restore(chain, apps);
  system.stepUntilComplete();
  return { lines, final: system.snapshot() };
}

const examples: [string, readonly Application[], number][] = [
  ["ping-pong", [pingPong], 10],
  ["previous-value", [previousValue], 20],
  ["countdown", [countdown], 10],
  ["bank-saga", [bankSaga], 20],
  ["word-count", [wordCount], 0],
  ["shopping-cart", shoppingCart(recordedTrace(), Sinks.memory()), 20],
];

describe.each(examples)("%s", (_name, apps, minParked) => {
  const run = recorded(apps);

  test(`restored from ${STOPS} random steps: the same lines and the same final state`, { timeout: 180_000 }, () => {
    for (const point of run.points) {
      const after = resumed(point.chain, apps);
      expect([...run.lines.slice(0, point.lines), ...after.lines], `restored at step ${point.step}`).toEqual(run.lines);
      expect(state(after.final).equals(state(run.final)), `final state, restored at step ${point.step}`).toBe(true);
    }
    expect(run.points.filter((p) => p.parked > 0).length).toBeGreaterThanOrEqual(minParked);
  });
});

test("restoring the same snapshot twice resumes each parked continuation once in each system", () => {
  const run = recorded([pingPong]);
  const point = run.points.find((p) => p.parked >= 3)!;
  const once = resumed(point.chain, [pingPong]);
  const twice = resumed(point.chain, [pingPong]);
  expect(once.lines).toEqual(run.lines.slice(point.lines));
  expect(twice.lines).toEqual(once.lines);
  expect(new Set(once.lines).size).toBe(once.lines.length);
});

test("state handles an init factory made at launch see the restored state (a restore takes a fresh task's maps over, not those handles)", () => {
  const lines = (into: string[]) => (line: string) => void into.push(line);
  const counter = () =>
    PortalsApp("counter", (app) => {
      app
        .workflows<number, never>("count")
        .source(app.generators.fromArrayOfArrays([[1, 2, 1], [2, 1, 1], [3, 2]]).stream)
        .key((x) => x)
        .init<never>((ctx) => {
          const seen = ctx.perKey("seen", 0);
          return Tasks.processor<number, never>((x, c) => {
            seen.set(seen.get() + 1);
            c.log.info(`${x} seen ${seen.get()}`);
          });
        })
        .sink()
        .freeze();
    });
  const whole: string[] = [];
  const alone = Systems.test({ log: lines(whole) });
  alone.launch(counter());
  alone.stepUntilComplete();
  expect(whole).toEqual(["1 seen 1", "2 seen 1", "1 seen 2", "2 seen 2", "1 seen 3", "1 seen 4", "3 seen 1", "2 seen 3"]);
  for (let at = 1; at < 12; at++) {
    const before: string[] = [];
    const first = Systems.test({ log: lines(before) });
    first.launch(counter());
    for (let i = 0; i < at && first.canStep(); i++) first.step();
    const after: string[] = [];
    const restored = Systems.test({ log: lines(after) });
    restored.restore(first.snapshot(), [counter()]);
    restored.stepUntilComplete();
    expect([...before, ...after]).toEqual(whole);
  }
});

test("a snapshot taken while an asker waits inside a for loop resumes at the right iteration with the right accumulator", () => {
  const app = PortalsApp("loop", (a) => {
    const square = a.portal<number, number>("square");
    a.workflows<never, never>("server")
      .source(a.generators.empty<never>().stream)
      .replier(square, () => {}, (x, ctx) => ctx.reply(x * x))
      .sink()
      .freeze();
    a.workflows<number, never>("sum")
      .source(a.generators.signal(5).stream)
      .asker(square, async (n, ctx) => {
        let total = 0;
        for (let i = 1; i <= n; i++) {
          total += await square.request(i);
          ctx.log.info(`i=${i} total=${total}`);
        }
        ctx.log.info(`sum of squares ${total}`);
      })
      .sink()
      .freeze();
  });
  const run = recorded([app]);
  const waiting = run.points.filter((p) => p.parked === 1);
  expect(waiting.length).toBeGreaterThanOrEqual(5);
  for (const point of waiting) {
    // The state at that point: the chain resolved (a delta holds the continuations of the keys that changed only).
    const frame = resolveChain(point.chain.map(decodeSnapshot)).workflows["/loop/workflows/sum"]!.runners[0]!.parked[0]!.frames[0]!;
    const done = run.lines.slice(0, point.lines).length;
    // Waiting for the reply of iteration i = done + 1, with the total of the iterations before.
    expect(frame.locals.i).toBe(done + 1);
    expect(frame.locals.total).toBe((done * (done + 1) * (2 * done + 1)) / 6);
    expect(resumed(point.chain, [app]).lines).toEqual(run.lines.slice(point.lines));
  }
  expect(run.lines.at(-1)).toBe("sum of squares 55");
});

describe("bad snapshots are refused with a clear error and nothing restored", () => {
  const good = recorded([countdown]).points[0]!.chain[0]!;
  const refused = (bytes: Uint8Array | Uint8Array[], apps: readonly Application[] = [countdown]): SnapshotError => {
    const system = Systems.test({ log: () => {} });
    let error: unknown;
    try {
      system.restore(bytes, apps);
    } catch (e) {
      error = e;
    }
    expect(system.applications).toEqual([]);
    expect(error).toBeInstanceOf(SnapshotError);
    return error as SnapshotError;
  };

  test("truncated", () => {
    expect(refused(good.subarray(0, good.length - 10)).message).toBe("the snapshot is truncated or damaged (checksum mismatch)");
    expect(refused(good.subarray(0, 20)).message).toBe("not a portals snapshot (20 bytes without the PTSNAP header)");
  });

  test("one bit flipped", () => {
    const flipped = Uint8Array.from(good);
    flipped[flipped.length - 7]! ^= 0x10;
    expect(refused(flipped).message).toBe("the snapshot is truncated or damaged (checksum mismatch)");
  });

  test("another format version", () => {
    const other = Uint8Array.from(good);
    other[7] = 9;
    expect(refused(other).message).toBe("snapshot format version 9; this runtime reads versions 4, 5, 6 and 7");
  });

  test("a chain of format 4, whose deltas hold every parked continuation of a task, restores as it did", () => {
    const run = recorded([bankSaga]);
    const point = run.points.filter((p) => p.chain.length >= 4 && p.parked > 0).at(-1)!;
    const decoded = point.chain.map(decodeSnapshot);
    // What format 4 wrote: each delta's runners with the whole continuation table, and no parkedEnded.
    const format4 = decoded.map((snapshot, i) => {
      if (snapshot.kind === "full") return snapshot;
      const whole = resolveChain(decoded.slice(0, i + 1).map((d) => structuredClone(d)));
      const workflows = Object.fromEntries(
        Object.entries(snapshot.workflows).map(([path, w]) => [path, { ...w, runners: w.runners.map((r, j) => ({ ...without(r as RunnerDelta), parked: whole.workflows[path]!.runners[j]!.parked })) }]),
      );
      return { ...snapshot, workflows } as SnapshotData;
    });
    // Format 4 wrote continuation tables as records (as 5 did; 6 writes them by column).
    const bytes = format4.map((d) => {
      const framed = frameSnapshot(d, codec.encode({ ...d, manifest: { ...d.manifest, format: 4 } }));
      framed[7] = 4; // the version's low byte (the checksum covers the payload only)
      return framed;
    });
    expect(decoded.some((d) => d.kind === "delta" && Object.values(d.workflows).some((w) => w.runners.some((r) => (r as RunnerDelta).parked.length < point.parked)))).toBe(true);
    expect(resumed(bytes, [bankSaga]).lines).toEqual(run.lines.slice(point.lines));
  });

  test("another application's snapshot, or an application missing", () => {
    expect(refused(good, [pingPong]).message).toBe("the snapshot needs application /countdown; it was taken of the applications /countdown, in this launch order: restore it with those");
    expect(refused(good, [countdown, pingPong]).message).toBe("application /ping-pong is not in the snapshot (it has /countdown)");
  });

  test("a delta without its chain, or a chain out of order", () => {
    const points = recorded([countdown]).points;
    const [full, delta] = points[0]!.chain.length === 1 ? [points[0]!.chain[0]!, points[1]!.chain[1]!] : [undefined, undefined];
    expect(refused(delta!).message).toBe("a snapshot chain starts with a full snapshot");
    expect(refused([full!, points[2]!.chain[2]!]).message).toBe("snapshot 3 (delta) does not extend snapshot 1; give the chain in order");
  });

  test("a vsm task whose initial state is another one now (states are code, found by name)", () => {
    const toggles = (initial: VsmBehavior<number, number>) =>
      PortalsApp("toggles", (app) => {
        const clicks = app.generators.fromRange(0, 4, 2, { name: "clicks" });
        app.workflows<number, number>("toggle").source(clicks.stream).vsm(initial).sink().freeze();
      });
    const idle = VSM.processor<number, number>((x, ctx) => { ctx.emit(x); return VSM.same; }, { name: "restore-test/idle" });
    const busy = VSM.processor<number, number>((x, ctx) => { ctx.emit(-x); return VSM.same; }, { name: "restore-test/busy" });
    const system = Systems.test({ log: () => {} });
    system.launch(toggles(idle));
    system.step();
    const bytes = system.snapshot();
    expect(decodeSnapshot(bytes).manifest.vsm).toEqual({ "/toggles/workflows/toggle/vsm#1": "restore-test/idle" });
    expect(refused(bytes, [toggles(busy)]).message).toBe(
      "vsm task /toggles/workflows/toggle/vsm#1 changed since the snapshot (initial state restore-test/idle then, restore-test/busy now); " +
        "name its states with VSM.processor(onNext, { name }) to keep them across edits, restore with the code that took the snapshot, or start afresh",
    );
    expect(Systems.test({ log: () => {} }).restore(bytes, [toggles(idle)]).applications).toEqual(["/toggles"]);
  });

  test("into a system that already runs applications", () => {
    const system = Systems.test({ log: () => {} });
    system.launch(countdown);
    expect(() => system.restore(good, [countdown])).toThrow("restore(): this system already runs applications; restore into a fresh Systems.test()");
  });
});

test("state nested 5,000 levels deep is snapshotted and restored, and a function deep inside it is reported with its path", () => {
  const deep = (leaf: unknown): unknown => {
    let v = leaf;
    for (let i = 0; i < 5_000; i++) v = { v };
    return v;
  };
  const depth = (value: unknown): number => {
    let d = 0;
    for (let v = value as { v?: unknown }; typeof v === "object" && v !== null && "v" in v; v = v.v as { v?: unknown }) d++;
    return d;
  };
  const app = (leaf: () => unknown) =>
    PortalsApp("deep", (app) => {
      app
        .workflows<number, string>("w")
        .source(app.generators.fromArrayOfArrays([[1], [2]]).stream)
        .processor<string>((x, ctx) => {
          const tree = ctx.perKey<unknown>("tree", null);
          if (tree.get() === null) tree.set(deep(leaf()));
          ctx.emit(`${x}: depth ${depth(tree.get())}`);
        })
        .logger()
        .sink()
        .freeze();
    });
  const lines: string[] = [];
  const system = Systems.test({ log: (line) => void lines.push(line) });
  system.launch(app(() => "leaf"));
  system.stepUntilComplete(2);
  const restored: string[] = [];
  Systems.test({ log: (line) => void restored.push(line) })
    .restore(system.snapshot(), [app(() => "leaf")])
    .stepUntilComplete();
  expect([...lines, ...restored]).toEqual(["1: depth 5000", "2: depth 5000"]);

  const bad = Systems.test({ log: () => {} });
  bad.launch(app(() => () => "not data"));
  bad.stepUntilComplete(2);
  expect(() => bad.snapshot()).toThrow(new RegExp(`^cannot store a function at snapshot\\.workflows\\["/deep/workflows/w"\\]\\.runners\\[0\\]\\.perKey\\.get\\("tree"\\)\\.get\\(0\\)(\\.v){5000}: `));
});

/** A delta's runner without `parkedEnded`. */
function without({ parkedEnded: _keys, ...rest }: RunnerDelta): Omit<RunnerDelta, "parkedEnded"> {
  return rest;
}
