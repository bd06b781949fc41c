/**
 * docs/semantics.md, rules 1 to 7 and 11 (the dataflow), rule by rule: each `describe` is one
 * numbered rule, with its exact cases. Rules 8 and 9 are in semantics-portals.test.ts, rule 10
 * and the end of a workflow in semantics-failures.test.ts.
 */
import { describe, expect, test } from "vitest";
import { PortalsApp, Systems, type ApplicationBuilder } from "portals-ts";
import { collecting } from "../support/machines.js";
import { run } from "./run.js";

describe("rule 1: atoms reach a workflow as events then one boundary; hooks run per atom and once at the end", () => {
  test("identity with onNext -x, onAtomComplete 1, onComplete 2 over fromRange(0,128,8): 145 lines", () => {
    const lines = run((app) => {
      const g = app.generators.fromRange(0, 128, 8);
      app
        .workflows<number, number>("w")
        .source(g.stream)
        .identity()
        .withOnNext((x, ctx) => ctx.emit(-x))
        .withOnAtomComplete((ctx) => ctx.emit(1))
        .withOnComplete((ctx) => ctx.emit(2))
        .logger()
        .sink()
        .freeze();
    });
    const expected: string[] = [];
    for (let atom = 0; atom < 16; atom++) {
      for (let i = 0; i < 8; i++) expected.push(String(-(atom * 8 + i)));
      expected.push("1");
    }
    expected.push("2");
    expect(lines).toEqual(expected);
    expect(lines).toHaveLength(145);
  });

  test("onAtomComplete never runs for the seal atom, and downstream sees onComplete's events before its own end", () => {
    const lines = run((app) => {
      const g = app.generators.fromArrayOfArrays([[1, 2], [3]]);
      const first = app
        .workflows<number, number>("first")
        .source(g.stream)
        .identity()
        .withOnComplete((ctx) => ctx.emit(99))
        .sink()
        .freeze();
      app
        .workflows<number, number>("second")
        .source(first.stream)
        .logger("second ")
        .withOnAtomComplete((ctx) => ctx.log.info("atom"))
        .withOnComplete((ctx) => ctx.log.info("end"))
        .sink()
        .freeze();
    });
    expect(lines).toEqual(["second 1", "second 2", "atom", "second 3", "atom", "second 99", "end"]);
  });
});

describe("rule 2: inside a workflow a task finishes the whole atom before the next task sees it", () => {
  test("logger a, map, logger b: all a lines of an atom print before its b lines", () => {
    const lines = run((app) => {
      const g = app.generators.fromArrayOfArrays([[1, 2, 3], [4, 5]]);
      app.workflows<number, number>("w").source(g.stream).logger("a").map((x) => x * 10).logger("b").sink().freeze();
    });
    expect(lines).toEqual(["a1", "a2", "a3", "b10", "b20", "b30", "a4", "a5", "b40", "b50"]);
  });
});

describe("rule 3: keys travel with events; per-key state is per (task, key); per-task state is shared", () => {
  test("key(x % 16) then a per-key counter over fromRange(0,128,8): sixteen 1s, sixteen 2s, …, sixteen 8s", () => {
    const lines = run((app) => {
      const g = app.generators.fromRange(0, 128, 8);
      app
        .workflows<number, number>("w")
        .source(g.stream)
        .key((x) => x % 16)
        .processor<number>((_, ctx) => {
          const count = ctx.perKey("count", 0);
          count.set(count.get() + 1);
          ctx.emit(count.get());
        })
        .logger()
        .sink()
        .freeze();
    });
    expect(lines).toEqual(Array.from({ length: 128 }, (_, i) => String(Math.floor(i / 16) + 1)));
  });

  test("keys cross workflow boundaries and events without a key step have key 0", () => {
    const lines = run((app) => {
      const g = app.generators.fromArray(["a", "bb", "c"]);
      const keyed = app.workflows<string, string>("keyed").source(g.stream).key((s) => s.length).sink().freeze();
      app
        .workflows<string, string>("reader")
        .source(keyed.stream)
        .map((s, ctx) => `${s}@${ctx.key}`)
        .logger()
        .sink()
        .freeze();
      app.workflows<string, string>("unkeyed").source(g.stream).map((s, ctx) => `${s}#${ctx.key}`).logger().sink().freeze();
    });
    expect(lines.filter((l) => l.includes("@"))).toEqual(["a@1", "bb@2", "c@1"]);
    expect(lines.filter((l) => l.includes("#"))).toEqual(["a#0", "bb#0", "c#0"]);
  });

  test("per-key state is isolated per task; per-task state is shared by keys and never collides with a user key", () => {
    const lines = run((app) => {
      const g = app.generators.fromArray([-2, -2, 5]);
      app
        .workflows<number, string>("w")
        .source(g.stream)
        .key((x) => x)
        .processor<number>((x, ctx) => {
          const mine = ctx.perKey("n", 0);
          mine.set(mine.get() + 1);
          const all = ctx.perTask("n", 0);
          all.set(all.get() + 10);
          ctx.emit(x);
        })
        .processor<string>((x, ctx) => {
          // Same entry name in another task: its own state.
          ctx.emit(`key ${ctx.key}: other task ${ctx.perKey("n", 0).get()} raw ${String(ctx.state.get("n"))}`);
        })
        .logger()
        .sink()
        .freeze();
      app
        .workflows<number, string>("probe")
        .source(g.stream)
        .key((x) => x)
        .processor<string>((_, ctx) => {
          const mine = ctx.perKey("n", 0);
          mine.set(mine.get() + 1);
          ctx.emit(`probe key ${ctx.key} per-key ${mine.get()} per-task ${ctx.perTask("n", 0).get()}`);
        })
        .logger()
        .sink()
        .freeze();
    });
    expect(lines.filter((l) => l.startsWith("key"))).toEqual([
      "key -2: other task 0 raw undefined",
      "key -2: other task 0 raw undefined",
      "key 5: other task 0 raw undefined",
    ]);
    expect(lines.filter((l) => l.startsWith("probe"))).toEqual([
      "probe key -2 per-key 1 per-task 0",
      "probe key -2 per-key 2 per-task 0",
      "probe key 5 per-key 1 per-task 0",
    ]);
  });

  test("ctx.state and perKey share one namespace per key, and del restores the initial value", () => {
    const lines = run((app) => {
      const g = app.generators.fromArray([1, 1, 1]);
      app
        .workflows<number, string>("w")
        .source(g.stream)
        .processor<string>((_, ctx) => {
          const n = ctx.perKey("n", 100);
          ctx.state.set("n", (ctx.state.get<number>("n") ?? 0) + 1);
          ctx.emit(`state ${ctx.state.get("n")} perKey ${n.get()}`);
          if (n.get() === 2) n.del();
        })
        .logger()
        .sink()
        .freeze();
    });
    expect(lines).toEqual(["state 1 perKey 1", "state 2 perKey 2", "state 1 perKey 1"]);
  });
});

describe("rule 4: union merges branches into one atom with one boundary", () => {
  test("two filtered branches unioned: this flow's events first, one onAtomComplete per atom", () => {
    const lines = run((app) => {
      const g = app.generators.fromArrayOfArrays([[1, 2, 3, 4], [5]]);
      const src = app.workflows<number, number>("w").source(g.stream);
      const odd = src.filter((x) => x % 2 === 1);
      const even = src.filter((x) => x % 2 === 0).map((x) => x * 100);
      odd
        .union(even)
        .logger()
        .withOnAtomComplete((ctx) => ctx.log.info("|"))
        .sink()
        .freeze();
    });
    expect(lines).toEqual(["1", "3", "200", "400", "|", "5", "|"]);
  });
});

describe("rule 5: sequencers forward whole atoms in input order and drop empty atoms", () => {
  test("feedback loop: fromArray([10]) and the workflow's own output, emitting x-1 while x > 0, logs 9..0 and stops", () => {
    const { lines, log } = collecting();
    const system = Systems.test({ seed: 3, log });
    system.launch(
      PortalsApp("loop", (app) => {
        const g = app.generators.fromArray([10]);
        const seq = app.sequencers.random<number>();
        const wf = app
          .workflows<number, number>("loop")
          .source(seq.stream)
          .processor<number>((x, ctx) => {
            if (x > 0) ctx.emit(x - 1);
          })
          .logger()
          .sink()
          .freeze();
        app.connections.connect(g.stream, seq);
        app.connections.connect(wf.stream, seq);
      }),
    );
    const steps = system.stepUntilComplete(10_000);
    expect(lines).toEqual(["9", "8", "7", "6", "5", "4", "3", "2", "1", "0"]);
    expect(system.canStep()).toBe(false);
    expect(steps).toBeLessThan(10_000);
  });

  test("atoms of two inputs are neither split nor fused, and each input keeps its order", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const lines = run((app) => {
        const a = app.generators.fromArrayOfArrays([["a1", "a2"], ["a3"], []]);
        const b = app.generators.fromArrayOfArrays([["b1"], ["b2", "b3"]]);
        const seq = app.sequencers.random<string>();
        app.connections.connect(a.stream, seq);
        app.connections.connect(b.stream, seq);
        app
          .workflows<string, string>("w")
          .source(seq.stream)
          .logger()
          .withOnAtomComplete((ctx) => ctx.log.info("|"))
          .sink()
          .freeze();
      }, seed);
      const atoms = lines.join(" ").split(" | ").map((s) => s.replace(/ ?\|$/, ""));
      expect(atoms.sort()).toEqual(["a1 a2", "a3", "b1", "b2 b3"]);
      const order = lines.filter((l) => l !== "|");
      expect(order.filter((l) => l.startsWith("a"))).toEqual(["a1", "a2", "a3"]);
      expect(order.filter((l) => l.startsWith("b"))).toEqual(["b1", "b2", "b3"]);
    }
  });
});

describe("rule 6: a splitter sends each event to the first matching split; an output with no events gets no atom", () => {
  test("first match wins, unmatched events are dropped, empty outputs see no atom boundary", () => {
    const lines = run((app) => {
      const g = app.generators.fromArrayOfArrays([[1, 2, 3, 15], [5, 7]]);
      const splitter = app.splitters.empty<number>(g.stream);
      const byThree = app.splits.split(splitter, (x) => x % 3 === 0);
      const byFive = app.splits.split(splitter, (x) => x % 5 === 0);
      const small = app.splits.split(splitter, (x) => x < 3);
      for (const [name, stream] of [["three", byThree], ["five", byFive], ["small", small]] as const) {
        app
          .workflows<number, number>(name)
          .source(stream)
          .logger(`${name} `)
          .withOnAtomComplete((ctx) => ctx.log.info(`${name} |`))
          .sink()
          .freeze();
      }
    });
    expect([...lines].sort()).toEqual(
      ["three 3", "three 15", "three |", "five 5", "five |", "small 1", "small 2", "small |"].sort(),
    );
    expect(lines.indexOf("three 3")).toBeLessThan(lines.indexOf("three 15"));
  });
});

describe("rule 7: a consumer launched later sees only atoms appended after its launch", () => {
  test("the second application misses the atoms produced before it was launched", () => {
    const { lines, log } = collecting();
    const system = Systems.test({ seed: 1, log });
    system.launch(
      PortalsApp("producer", (app) => {
        const g = app.generators.fromArrayOfArrays([[1], [2], [3], [4]], { name: "numbers" });
        app.workflows<number, number>("pass").source(g.stream).identity().sink().freeze();
      }),
    );
    system.step(); // generator: atom [1]
    system.step(); // workflow: atom [1]
    system.launch(
      PortalsApp("consumer", (app) => {
        const s = app.registry.streams.get<number>("/producer/workflows/pass/stream");
        app.workflows<number, number>("late").source(s).logger("late ").sink().freeze();
      }),
    );
    system.stepUntilComplete();
    expect(lines).toEqual(["late 2", "late 3", "late 4"]);
  });
});

describe("rule 11: with a fixed seed a run is deterministic", () => {
  const racing = (app: ApplicationBuilder): void => {
    const seq = app.sequencers.random<string>();
    for (const name of ["a", "b", "c"]) {
      const g = app.generators.fromArrayOfArrays(Array.from({ length: 20 }, (_, i) => [`${name}${i}`]));
      app.connections.connect(g.stream, seq);
    }
    app.workflows<string, string>("w").source(seq.stream).logger().sink().freeze();
  };

  test("same seed, same output, byte for byte; another seed, another interleaving", () => {
    const once = run(racing, 42).join("\n");
    expect(run(racing, 42).join("\n")).toBe(once);
    expect(once.split("\n")).toHaveLength(60);
    const others = [1, 2, 3].map((seed) => run(racing, seed).join("\n"));
    expect(others.some((o) => o !== once)).toBe(true);
  });
});
