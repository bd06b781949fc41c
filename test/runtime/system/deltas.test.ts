/**
 * Delta snapshots keep state changed in place (docs/snapshots.md, "Deltas"): a Set, Map or
 * array read with `get()` and changed without `set()`, also by a continuation that holds it
 * across an await. Every run takes a full snapshot after its first step and a delta after each
 * later one; each chain is restored into a fresh system and run to the end, and the lines before
 * the snapshot plus those after the restore must be the whole run's. A caught error of a class
 * of the compiled module comes back as that class (docs/snapshots.md, "Data").
 */
import { describe, expect, test } from "vitest";
import { PortalsApp, Systems, Tasks, type ApplicationBuilder } from "portals-ts";
import { snapshotHeader } from "../../../runtime/state/snapshot-format.js";
import { createCodec } from "../../../runtime/state/codec.js";
import { decodeSnapshot, resolveChain, type SnapshotData } from "../../../runtime/system/snapshot.js";
import type { RunnerDelta, RunnerState, TaskRunner } from "../../../runtime/engine/tasks/task-runner.js";
import { TaskDriver, testPortal } from "portals-ts/testing";

/** An error class of this module: the compiled asker's machine lists it, so a restore knows it. */
class LimitError extends Error {
  override name = "LimitError";
  max = 3;
}

function check(x: string): void {
  if (x.length > 3) throw new LimitError("too long");
}

/** Checks every restore point of `define`'s run; returns the whole run's lines. */
function restoredEverywhere(define: (app: ApplicationBuilder) => void): string[] {
  const app = () => PortalsApp("app", define);
  const lines: string[] = [];
  const system = Systems.test({ seed: 1, log: (line) => void lines.push(line) });
  system.launch(app());
  const points: { lines: number; chain: Uint8Array[] }[] = [];
  let chain: Uint8Array[] = [];
  while (system.canStep()) {
    system.step();
    chain = [...chain, system.snapshot({ delta: chain.length > 0 })];
    points.push({ lines: lines.length, chain });
  }
  expect(points.length).toBeGreaterThan(3);
  for (const point of points) {
    const after: string[] = [];
    Systems.test({ log: (line) => void after.push(line) })
      .restore(point.chain, [app()])
      .stepUntilComplete();
    expect([...lines.slice(0, point.lines), ...after], `restored from a chain of ${point.chain.length}`).toEqual(lines);
  }
  return lines;
}

describe("state changed in place survives a restore from a full snapshot and deltas", () => {
  test("a Set from ctx.state.get(), a Map and an array from perKey().get(), changed without set()", () => {
    const lines = restoredEverywhere((app) => {
      app
        .workflows<string, string>("w")
        .source(app.generators.fromArrayOfArrays([["a"], ["b"], ["c"], ["d"]]).stream)
        .key(() => "k")
        .processor<string>((x, ctx) => {
          let set = ctx.state.get<Set<string>>("set");
          if (set === undefined) ctx.state.set("set", (set = new Set()));
          set.add(x);
          const counts = ctx.perKey<Map<string, number> | null>("counts", null);
          if (counts.get() === null) counts.set(new Map());
          counts.get()!.set(x, set.size);
          const list = ctx.perKey<string[] | null>("list", null);
          if (list.get() === null) list.set([]);
          list.get()!.push(x.toUpperCase());
          ctx.emit(`${[...set].join("")} ${[...counts.get()!.values()].join("")} ${list.get()!.join("")}`);
        })
        .logger()
        .sink()
        .freeze();
    });
    expect(lines).toEqual(["a 1 A", "ab 12 AB", "abc 123 ABC", "abcd 1234 ABCD"]);
  });

  test("a continuation that reads a Set before an await and adds the reply to it after", () => {
    const lines = restoredEverywhere((app) => {
      const echo = app.portal<string, string>("echo");
      app.workflows<never, never>("server").source(app.generators.empty<never>().stream).replier(echo, () => {}, (x, ctx) => ctx.reply(x.toUpperCase())).sink().freeze();
      app
        .workflows<string, string>("w")
        .source(app.generators.fromArrayOfArrays([["a"], ["b"], ["c"]]).stream)
        .key(() => "k")
        .asker<string>(echo, async (x, ctx) => {
          let set = ctx.state.get<Set<string>>("set");
          if (set === undefined) ctx.state.set("set", (set = new Set()));
          const upper = await echo.request(x);
          set.add(upper);
          ctx.emit([...set].join(""));
        })
        .logger()
        .sink()
        .freeze();
    });
    expect(lines).toEqual(["A", "AB", "ABC"]);
  });

  test("a caught error of this module's class, held across an await, is restored as that class with its own properties", () => {
    const lines = restoredEverywhere((app) => {
      const limits = app.portal<string, number>("limits");
      app.workflows<never, never>("server").source(app.generators.empty<never>().stream).replier(limits, () => {}, (x, ctx) => ctx.reply(x.length)).sink().freeze();
      app
        .workflows<string, string>("w")
        .source(app.generators.fromArrayOfArrays([["ab"], ["abcd"]]).stream)
        .asker<string>(limits, async (x, ctx) => {
          try {
            check(x);
            ctx.emit(`${x} ok`);
          } catch (e) {
            const limit = await limits.request(x);
            const error = e as LimitError;
            ctx.emit(`${x}: ${error instanceof LimitError} ${error.name} ${error.max} ${error.message} (${limit})`);
          }
        })
        .logger()
        .sink()
        .freeze();
    });
    expect(lines).toEqual(["ab ok", "abcd: true LimitError 3 too long (4)"]);
  });

  test("an initial Map or Set is shared by every key and not stored: changing it in place throws, saying what to do", () => {
    const errors: string[] = [];
    const system = Systems.test({ log: (line, meta) => void (meta.level === "error" && errors.push(line)) });
    system.launch(
      PortalsApp("initial", (app) => {
        app
          .workflows<string, string>("w")
          .source(app.generators.fromArray(["a"]).stream)
          .processor<string>((x, ctx) => {
            ctx.perKey("seen", new Set<string>()).get().add(x);
          })
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    expect(errors).toEqual([
      "workflow /initial/workflows/w, task processor#1, key 0: add() on the initial value of a state entry: every key shares it and it is not stored, so it cannot change; " +
        "set a new collection instead, e.g. handle.set(new Set([...handle.get(), x]))",
    ]);
  });
});

describe("parked continuations in deltas", () => {
  /** Twenty keys, each asking twice in a row, so continuations park and resume at different steps. */
  const askTwice = (app: ApplicationBuilder): void => {
    const echo = app.portal<number, number>("echo");
    app.workflows<never, never>("server").source(app.generators.empty<never>().stream).replier(echo, () => {}, (x, ctx) => ctx.reply(x * 10)).sink().freeze();
    app
      .workflows<number, string>("w")
      .source(app.generators.fromArrayOfArrays([Array.from({ length: 10 }, (_, i) => i), Array.from({ length: 10 }, (_, i) => i + 10)]).stream)
      .key((x) => x % 20)
      .asker<string>(echo, async (x, ctx) => {
        const seen = ctx.state.get<number[]>("seen") ?? [];
        ctx.state.set("seen", seen);
        const first = await echo.request(x);
        seen.push(first);
        const second = await echo.request(first);
        seen.push(second);
        ctx.emit(`${x}: ${seen.join(" ")}`);
      })
      .logger()
      .sink()
      .freeze();
  };

  test("two parked continuations of one key holding its array: a delta that saves one saves the other, so both still share it", () => {
    // Replies come when the test says (TaskDriver), so one continuation parks and the other changes in the next delta.
    const echo = testPortal<string, string>("/t/portals/echo");
    const task = () =>
      Tasks.asker<string, string>(echo, async (x, ctx) => {
        let log = ctx.state.get<string[]>("log");
        if (log === undefined) ctx.state.set("log", (log = []));
        log.push(`${x}:${await echo.request(x)}`);
        ctx.emit(log.join(","));
      });
    const native = new TaskDriver(task());
    native.atom([{ key: "k", value: "a" }]);
    native.atom([{ key: "k", value: "b" }]);
    const expected = [native.reply(1, "A").events, native.reply(2, "B").events];
    expect(expected.flat().map((e) => e.value)).toEqual(["a:A", "a:A,b:B"]);

    const before = new TaskDriver(task());
    const codec = createCodec();
    before.atom([{ key: "k", value: "a" }]);
    const full = codec.encode(runnerOf(before).save());
    runnerOf(before).trackChanges();
    // "b" reads the array (its key's objects go in the delta); "a" is parked and unchanged.
    before.atom([{ key: "k", value: "b" }]);
    const delta = codec.encode(runnerOf(before).saveDelta());
    const chain = [full, delta].map((bytes, i) => ({ kind: i === 0 ? "full" : "delta", sequence: i + 1, streams: {}, workflows: { "/w": { runners: [codec.decode(bytes)] } } }) as unknown as SnapshotData);
    const after = new TaskDriver(task());
    runnerOf(after).load(resolveChain(chain).workflows["/w"]!.runners[0] as RunnerState);
    // The replier still has both requests.
    (after as unknown as { open: Map<number, unknown> }).open = new Map((before as unknown as { open: Map<number, unknown> }).open);
    expect([after.reply(1, "A").events, after.reply(2, "B").events]).toEqual(expected);
  });

  test("a delta holds the continuations that changed only (and those sharing their key's objects), and every chain restores to the whole run", () => {
    const lines = restoredEverywhere(askTwice);
    expect(lines.toSorted()).toEqual(Array.from({ length: 20 }, (_, x) => `${x}: ${x * 10} ${x * 100}`).toSorted());
    // The same run again, its deltas decoded: some carry fewer continuations than were parked.
    const system = Systems.test({ seed: 1, log: () => {} });
    system.launch(PortalsApp("app", askTwice));
    const chain: SnapshotData[] = [];
    const carried: { inDelta: number; parked: number }[] = [];
    while (system.canStep()) {
      system.step();
      chain.push(decodeSnapshot(system.snapshot({ delta: chain.length > 0 }), createCodec()));
      if (chain.length === 1) continue;
      const runners = (s: SnapshotData) => s.workflows["/app/workflows/w"]!.runners as RunnerDelta[];
      const whole = runners(resolveChain(chain.map((s) => structuredClone(s))));
      runners(chain.at(-1)!).forEach((r, i) => {
        expect(r.parkedEnded).toBeDefined();
        if (whole[i]!.parked.length > 0) carried.push({ inDelta: r.parked.length, parked: whole[i]!.parked.length });
      });
    }
    expect(carried.length).toBeGreaterThan(3);
    expect(carried.some((c) => c.inDelta < c.parked)).toBe(true);
  });
});

describe("a delta after a launch", () => {
  test("is a full snapshot, since the new application's tasks are not in the one before", () => {
    const counter = (name: string) =>
      PortalsApp(name, (app) => {
        app.workflows<number, number>("w").source(app.generators.fromRange(0, 4, 1).stream).map((x, ctx) => {
          const n = ctx.perKey("n", 0);
          n.set(n.get() + x);
          return n.get();
        }).logger(`${name} `).sink();
      });
    const lines: string[] = [];
    const system = Systems.test({ log: (line) => void lines.push(line) });
    system.launch(counter("a"));
    system.stepUntilComplete();
    system.snapshot();
    system.launch(counter("b"));
    system.stepUntilComplete(3);
    const delta = system.snapshot({ delta: true });
    expect(snapshotHeader(delta).kind).toBe("full");
    const before = lines.length;
    system.stepUntilComplete();
    const after: string[] = [];
    Systems.test({ log: (line) => void after.push(line) }).restore([delta], [counter("a"), counter("b")]).stepUntilComplete();
    expect(after).toEqual(lines.slice(before));
    expect(lines.filter((l) => l.startsWith("b "))).toEqual(["b 0", "b 1", "b 3", "b 6"]);
  });
});

test("deltaRatio: a full snapshot once the chain's deltas add up to the full one's size and to 4 MiB, counted on after a restore", () => {
  // Each event rewrites one 1 MiB string: each delta after an event is a little over 1 MiB, the full one too.
  const app = () =>
    PortalsApp("big", (a) => {
      a.workflows<number, never>("w")
        .source(a.generators.fromRange(0, 40, 1).stream)
        .processor<never>((x, ctx) => {
          ctx.state.set("blob", String(x % 10).repeat(1 << 20));
          ctx.log.info(`event ${x}`);
        })
        .sink()
        .freeze();
    });
  const saved: Uint8Array[] = [];
  const store = { save: (b: Uint8Array) => void saved.push(b), newest: () => saved.map((_, i) => String(i)).reverse(), load: (id: string) => saved[Number(id)]!, close: () => {} };
  const kinds = (): string => saved.map((b) => (snapshotHeader(b).kind === "full" ? "F" : "d")).join("");
  const lines: string[] = [];
  /** A checkpoint after each event: steps until the next event is logged. */
  const checkpointEachEvent = (system: ReturnType<typeof Systems.test>, n: number): void => {
    for (let i = 0; i < n; i++) {
      const before = lines.length;
      while (lines.length === before) system.step();
      system.checkpoint();
    }
  };
  const system = Systems.test({ log: (line) => void lines.push(line), snapshots: { store, deltaRatio: 1, fullEvery: 1000 } });
  system.launch(app());
  checkpointEachEvent(system, 12);
  // Four deltas of a little over 1 MiB pass 4 MiB: the next one is full.
  expect(kinds()).toBe("FddddFddddFd");
  const restored = Systems.test({ log: (line) => void lines.push(line), snapshots: { store, deltaRatio: 1, fullEvery: 1000 } });
  restored.restoreLatest([app()]);
  // The restored chain has one delta: three more, then a full one.
  checkpointEachEvent(restored, 4);
  expect(kinds()).toBe("FddddFddddFddddF");
  expect(() => Systems.test({ snapshots: { store, deltaRatio: 0 } })).toThrow("Systems.test({ snapshots: { deltaRatio: 0 } }): deltaRatio must be a positive number");
});

/** The task runner a driver runs (the engine's own, with save and load). */
function runnerOf(driver: TaskDriver<unknown, unknown>): TaskRunner {
  return (driver as unknown as { runner: TaskRunner }).runner;
}
