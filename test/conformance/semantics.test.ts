/**
 * docs/semantics.md, rule by rule: each `describe` is one numbered rule, with its exact cases.
 * Operators that await requests are hand-written machines (support/machines.ts), so every step of
 * a continuation is under the test's control.
 */
import * as ts from "typescript";
import { describe, expect, test } from "vitest";
import { OperatorError, PortalsApp, Systems, Tasks, type ApplicationBuilder, type LogMeta } from "portals-ts";
import { ask, collecting, returns, script, valueOf } from "../support/machines.js";

/** Runs the apps to completion with a collecting log; returns the lines. */
function run(define: (app: ApplicationBuilder) => void, seed = 1): string[] {
  const { lines, log } = collecting();
  const system = Systems.test({ seed, log });
  system.launch(PortalsApp("app", define));
  system.stepUntilComplete();
  return lines;
}

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

describe("rule 8: portal traffic first; requests keep their order; replier and continuation keys", () => {
  test("a constant-keyed replier answering with the previous request: {x:n,future:max(n-1,0)} for n = 0..127", () => {
    const lines = run((app) => {
      const portal = app.portal<number, number>("previous", { key: () => 0 });
      const g = app.generators.fromRange(0, 128, 8);
      app
        .workflows<number, never>("replier")
        .source(app.generators.empty<number>().stream)
        .replier(
          portal,
          () => {},
          (x, ctx) => {
            const last = ctx.perKey("last", 0);
            ctx.reply(last.get());
            last.set(x);
          },
        )
        .sink()
        .freeze();
      app
        .workflows<number, never>("asker")
        .source(g.stream)
        .asker(
          portal,
          script("test#previous-asker", [
            (l, ctx) => ask(ctx, portal, l.args[0] as number),
            (l, ctx, input) => ctx.log.info(JSON.stringify({ x: l.args[0], future: valueOf(input) })),
          ]) as never,
        )
        .sink()
        .freeze();
    });
    expect(lines).toEqual(Array.from({ length: 128 }, (_, n) => JSON.stringify({ x: n, future: Math.max(n - 1, 0) })));
  });

  test("without a key function the replier runs under the asker's key; the continuation resumes under it with its state", () => {
    const lines = run((app) => {
      const portal = app.portal<string, string>("echo");
      const g = app.generators.fromArray(["a", "b", "a"]);
      app
        .workflows<string, never>("server")
        .source(app.generators.empty<string>().stream)
        .replier(
          portal,
          () => {},
          (req, ctx) => {
            const seen = ctx.perKey("seen", 0);
            seen.set(seen.get() + 1);
            ctx.reply(`${req} served under ${ctx.key} (${seen.get()})`);
          },
        )
        .sink()
        .freeze();
      app
        .workflows<string, string>("client")
        .source(g.stream)
        .key((s) => `user-${s}`)
        .asker(
          portal,
          script("test#echo", [
            (l, ctx) => ask(ctx, portal, l.args[0] as string),
            (_, ctx, input) => {
              const calls = ctx.perKey("calls", 0);
              calls.set(calls.get() + 1);
              ctx.emit(`${valueOf(input)}; resumed under ${ctx.key} call ${calls.get()}`);
            },
          ]) as never,
        )
        .logger()
        .sink()
        .freeze();
    });
    expect(lines).toEqual([
      "a served under user-a (1); resumed under user-a call 1",
      "b served under user-b (1); resumed under user-b call 1",
      "a served under user-a (2); resumed under user-a call 2",
    ]);
  });

  test("with a key function the replier runs under key(request)", () => {
    const lines = run((app) => {
      const portal = app.portal<{ item: string }, string>("inventory", { key: (r) => r.item });
      const g = app.generators.fromArray(["u1", "u2"]);
      app
        .workflows<never, never>("inventory")
        .source(app.generators.empty<never>().stream)
        .replier(
          portal,
          () => {},
          (req, ctx) => ctx.reply(`${req.item} under ${ctx.key}`),
        )
        .sink()
        .freeze();
      app
        .workflows<string, string>("cart")
        .source(g.stream)
        .key((u) => u)
        .asker(
          portal,
          script("test#inventory", [
            (_, ctx) => ask(ctx, portal, { item: "apple" }),
            (_, ctx, input) => ctx.emit(`${valueOf(input)} for ${ctx.key}`),
          ]) as never,
        )
        .logger()
        .sink()
        .freeze();
    });
    expect(lines).toEqual(["apple under apple for u1", "apple under apple for u2"]);
  });

  test("a chain of requests started by one step completes before unrelated work", () => {
    const lines = run((app) => {
      const portal = app.portal<number, number>("double");
      app
        .workflows<never, never>("server")
        .source(app.generators.empty<never>().stream)
        .replier(
          portal,
          () => {},
          (x, ctx) => {
            ctx.log.info(`serve ${x}`);
            ctx.reply(x * 2);
          },
        )
        .sink()
        .freeze();
      const asks = app.generators.fromArrayOfArrays([[1, 2], [3]]);
      app
        .workflows<number, never>("asker")
        .source(asks.stream)
        .asker(
          portal,
          script("test#chain", [
            (l, ctx) => ask(ctx, portal, l.args[0] as number),
            (_, ctx, input) => ctx.log.info(`reply ${valueOf(input)}`),
          ]) as never,
        )
        .sink()
        .freeze();
      const other = app.generators.fromArrayOfArrays([["x"], ["y"]]);
      app.workflows<string, string>("unrelated").source(other.stream).logger("other ").sink().freeze();
    });
    // Both requests of atom [1, 2] are served in order and both continuations resume in order
    // before anything else happens in between.
    const i = lines.indexOf("serve 1");
    expect(lines.slice(i, i + 4)).toEqual(["serve 1", "serve 2", "reply 2", "reply 4"]);
    const j = lines.indexOf("serve 3");
    expect(lines.slice(j, j + 2)).toEqual(["serve 3", "reply 6"]);
    expect(lines.filter((l) => l.startsWith("other"))).toEqual(["other x", "other y"]);
  });
});

describe("rule 9: an asker-replier may await while serving and reply later; the reply answers the original request", () => {
  test("signal(8): serving x > 0 logs x and asks x-1; the top-level asker logs Done!: 8 7 6 5 4 3 2 1 Done!", () => {
    const lines = run((app) => {
      const portal = app.portal<number, number>("countdown");
      const g = app.generators.signal(8);
      app
        .workflows<number, never>("w")
        .source(g.stream)
        .askerReplier(
          portal,
          portal,
          script("test#countdown-next", [
            (l, ctx) => ask(ctx, portal, l.args[0] as number),
            (_, ctx, input) => {
              valueOf(input);
              ctx.log.info("Done!");
            },
          ]) as never,
          script("test#countdown-ask", [
            (l, ctx) => {
              const x = l.args[0] as number;
              if (x === 0) return void ctx.reply(0);
              ctx.log.info(String(x));
              return ask(ctx, portal, x - 1);
            },
            (_, ctx, input) => ctx.reply(valueOf(input) + 1),
          ]) as never,
        )
        .sink()
        .freeze();
    });
    expect(lines.join(" ")).toBe("8 7 6 5 4 3 2 1 Done!");
  });

  test("the answer travels back through every level: the top-level reply counts the levels", () => {
    const lines = run((app) => {
      const portal = app.portal<number, number>("depth");
      app
        .workflows<number, never>("w")
        .source(app.generators.signal(5).stream)
        .askerReplier(
          portal,
          portal,
          script("test#depth-next", [
            (l, ctx) => ask(ctx, portal, l.args[0] as number),
            (_, ctx, input) => ctx.log.info(`levels ${valueOf(input)}`),
          ]) as never,
          script("test#depth-ask", [
            (l, ctx) => ((l.args[0] as number) === 0 ? void ctx.reply(0) : ask(ctx, portal, (l.args[0] as number) - 1)),
            (_, ctx, input) => ctx.reply(valueOf(input) + 1),
          ]) as never,
        )
        .sink()
        .freeze();
    });
    expect(lines).toEqual(["levels 5"]);
  });
});

describe("rule 10: an exception fails the atom's remaining events for that task, travels downstream and is reported", () => {
  test("the failed atom carries an OperatorError downstream; later atoms still run", () => {
    const logs: { line: string; meta: LogMeta }[] = [];
    const seen: OperatorError[] = [];
    const system = Systems.test({ seed: 1, log: (line, meta) => logs.push({ line, meta }) });
    system.launch(
      PortalsApp("err", (app) => {
        const g = app.generators.fromArrayOfArrays([[1, 2, 3], [4, 5]]);
        const first = app
          .workflows<number, number>("first")
          .source(g.stream)
          .key((x) => x * 10)
          .map((x) => {
            if (x === 2) throw new Error("two is bad");
            return x;
          })
          .withName("picky")
          .logger("first ")
          .sink()
          .freeze();
        app
          .workflows<number, number>("second")
          .source(first.stream)
          .logger("second ")
          .withOnError((e) => {
            seen.push(e);
          })
          .withOnAtomComplete((ctx) => ctx.log.info("second |"))
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    const info = logs.filter((l) => l.meta.level === "info").map((l) => l.line);
    expect(info.filter((l) => l.startsWith("first"))).toEqual(["first 1", "first 4", "first 5"]);
    expect(info.filter((l) => l.startsWith("second"))).toEqual(["second 1", "second |", "second 4", "second 5", "second |"]);
    const errors = logs.filter((l) => l.meta.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.meta).toEqual({ level: "error", workflow: "/err/workflows/first", task: "picky", key: 20 });
    expect(errors[0]!.line).toBe("workflow /err/workflows/first, task picky, key 20: two is bad");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(OperatorError);
    expect(seen[0]!.cause).toBeInstanceOf(Error);
    expect([seen[0]!.workflow, seen[0]!.task, seen[0]!.key]).toEqual(["/err/workflows/first", "picky", 20]);
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

describe("portals beyond the numbered items", () => {
  test("Promise.all over two portals suspends once and resumes with both replies in request order", () => {
    const lines = run((app) => {
      const left = app.portal<number, string>("left");
      const right = app.portal<number, string>("right");
      const server = app.workflows<never, never>("server").source(app.generators.empty<never>().stream);
      server.replier(left, () => {}, (x, ctx) => ctx.reply(`L${x}`)).sink();
      server.replier(right, () => {}, (x, ctx) => ctx.reply(`R${x}`)).sink();
      app
        .workflows<number, string>("client")
        .source(app.generators.fromArray([1, 2]).stream)
        .asker(
          [left, right],
          script("test#all", [
            (l, ctx) => [ask(ctx, left, l.args[0] as number), ask(ctx, right, l.args[0] as number)],
            (_, ctx, input) => ctx.emit((valueOf(input) as string[]).join("+")),
          ]) as never,
        )
        .logger()
        .sink()
        .freeze();
    });
    expect(lines).toEqual(["L1+R1", "L2+R2"]);
  });

  test("a replier that throws fails the request; the asker's continuation receives the error and may catch it", () => {
    const { lines, log } = collecting();
    const warnings: string[] = [];
    const errors: string[] = [];
    const system = Systems.test({
      log: (line, meta) => (meta.level === "warn" ? warnings.push(line) : meta.level === "error" ? errors.push(line) : log(line, meta)),
    });
    system.launch(
      PortalsApp("fail", (app) => {
        const portal = app.portal<number, number>("picky");
        app
          .workflows<never, never>("server")
          .source(app.generators.empty<never>().stream)
          .replier(
            portal,
            () => {},
            (x, ctx) => {
              if (x < 0) throw new Error(`negative ${x}`);
              ctx.reply(x);
            },
          )
          .sink()
          .freeze();
        app
          .workflows<number, string>("client")
          .source(app.generators.fromArray([1, -1]).stream)
          .asker(
            portal,
            script("test#catch", [
              (l, ctx) => ask(ctx, portal, l.args[0] as number),
              (_, ctx, input) => {
                try {
                  ctx.emit(`ok ${valueOf(input)}`);
                } catch (e) {
                  ctx.emit(`caught ${(e as Error).name}: ${(e as Error).message}`);
                }
              },
            ]) as never,
          )
          .logger()
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    expect(lines).toEqual([
      "ok 1",
      "caught PortalRequestError: request to portal /fail/portals/picky failed: negative -1 (workflow /fail/workflows/server, task $1, key 0)",
    ]);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      "request 2 to portal /fail/portals/picky from /fail/workflows/client failed in workflow /fail/workflows/server, task $1, key 0: negative -1",
    ]);
  });

  test("a replier that finishes without replying fails the request with that reason", () => {
    const lines = run((app) => {
      const portal = app.portal<number, number>("silent");
      app.workflows<never, never>("server").source(app.generators.empty<never>().stream).replier(portal, () => {}, () => {}).sink().freeze();
      app
        .workflows<number, string>("client")
        .source(app.generators.signal(1).stream)
        .asker(
          portal,
          script("test#silent", [
            (l, ctx) => ask(ctx, portal, l.args[0] as number),
            (_, ctx, input) => {
              try {
                valueOf(input);
              } catch (e) {
                ctx.log.info((e as Error).message);
              }
            },
          ]) as never,
        )
        .sink()
        .freeze();
    });
    expect(lines).toEqual([
      "request to portal /app/portals/silent failed: the replier finished serving it without calling ctx.reply (workflow /app/workflows/server, task $1, key 0)",
    ]);
  });

  test("an uncaught error in a continuation is reported as an operator error of the asker", () => {
    const errors: string[] = [];
    const system = Systems.test({ log: (line, meta) => meta.level === "error" && errors.push(line) });
    system.launch(
      PortalsApp("boom", (app) => {
        const portal = app.portal<number, number>("p");
        app.workflows<never, never>("server").source(app.generators.empty<never>().stream).replier(portal, () => {}, (x, ctx) => ctx.reply(x)).sink().freeze();
        app
          .workflows<number, never>("client")
          .source(app.generators.signal(7).stream)
          .key(() => "k")
          .asker(
            portal,
            script("test#boom", [
              (_, ctx) => ask(ctx, portal, 7),
              (_, __, input) => {
                throw new Error(`got ${valueOf(input)}`);
              },
            ]) as never,
          )
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    expect(errors).toEqual(['workflow /boom/workflows/client, task $2, key "k": got 7']);
  });

  test("the end of the stream waits for parked continuations: onComplete runs after the last reply", () => {
    const lines = run((app) => {
      const portal = app.portal<number, number>("p");
      app.workflows<never, never>("server").source(app.generators.empty<never>().stream).replier(portal, () => {}, (x, ctx) => ctx.reply(x + 1)).sink().freeze();
      app
        .workflows<number, number>("client")
        .source(app.generators.fromArray([1, 2]).stream)
        .asker(
          portal,
          script("test#end", [(l, ctx) => ask(ctx, portal, l.args[0] as number), (_, ctx, input) => ctx.emit(valueOf(input))]) as never,
        )
        .withOnComplete((ctx) => ctx.log.info("complete"))
        .logger()
        .sink()
        .freeze();
    });
    expect(lines).toEqual(["2", "3", "complete"]);
  });

  test("a request to a portal the task did not declare fails with the task and the fix", () => {
    const errors: string[] = [];
    const system = Systems.test({ log: (line, meta) => meta.level === "error" && errors.push(line) });
    system.launch(
      PortalsApp("undeclared", (app) => {
        const a = app.portal<number, number>("a");
        const b = app.portal<number, number>("b");
        const server = app.workflows<never, never>("server").source(app.generators.empty<never>().stream);
        server.replier(a, () => {}, (x, ctx) => ctx.reply(x)).sink();
        server.replier(b, () => {}, (x, ctx) => ctx.reply(x)).sink();
        app
          .workflows<number, never>("client")
          .source(app.generators.signal(1).stream)
          .asker(a, script("test#undeclared", [(_, ctx) => ask(ctx, b, 1), () => undefined]) as never)
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    expect(errors).toEqual([
      "workflow /undeclared/workflows/client, task $1, key 0: workflow /undeclared/workflows/client, task $1: request to portal /undeclared/portals/b, which this task did not declare; list it in the portals of asker(portals, fn) or askerReplier(asks, ...)",
    ]);
  });

  test("two applications: an asker in a later application reaches a portal through the registry", () => {
    const { lines, log } = collecting();
    const system = Systems.test({ log });
    system.launch(
      PortalsApp("kv", (app) => {
        const portal = app.portal<string, number>("length", { key: (s) => s });
        app.workflows<never, never>("server").source(app.generators.empty<never>().stream).replier(portal, () => {}, (s, ctx) => ctx.reply(s.length)).sink().freeze();
      }),
    );
    system.launch(
      PortalsApp("client", (app) => {
        const portal = app.registry.portals.get<string, number>("/kv/portals/length");
        app
          .workflows<string, string>("ask")
          .source(app.generators.fromArray(["one", "three"]).stream)
          .asker(portal, script("test#registry", [(l, ctx) => ask(ctx, portal, l.args[0] as string), (l, ctx, input) => ctx.emit(`${l.args[0]}=${valueOf(input)}`)]) as never)
          .logger()
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    expect(lines).toEqual(["one=3", "three=5"]);
  });

  test("a sync task may use Tasks.* standalone tasks, steps and loops (reference testSteppers: 1,2,3,0,0,1,2,3,0,0)", () => {
    const lines = run((app) => {
      const g = app.generators.fromArrayOfArrays(Array.from({ length: 10 }, () => [0]));
      app
        .workflows<number, number>("w")
        .source(g.stream)
        .map((x) => x + 1)
        .withStep(Tasks.map((x: number) => x + 2))
        .withStep(Tasks.map((x: number) => x + 3))
        .withLoop(2, Tasks.map((x: number) => x + 0))
        .logger()
        .sink()
        .freeze();
    });
    expect(lines.map(Number)).toEqual([1, 2, 3, 0, 0, 1, 2, 3, 0, 0]);
  });
});

test("an async operator that was not compiled is rejected at launch, naming the workflow and task and the fix", () => {
  const app = PortalsApp("raw", (app) => {
    const portal = app.portal<number, number>("p");
    app.workflows<never, never>("server").source(app.generators.empty<never>().stream).replier(portal, () => {}, (x, ctx) => ctx.reply(x)).sink().freeze();
    // Passed by a local name, the callback is not an inline operator, so the compiler leaves it.
    const raw = async (x: number): Promise<void> => {
      await portal.request(x);
    };
    app
      .workflows<number, never>("client")
      .source(app.generators.signal(1).stream)
      .asker(portal, raw)
      .withName("asks")
      .sink()
      .freeze();
  });
  const system = Systems.test();
  expect(() => system.launch(app)).toThrow(
    /workflow \/raw\/workflows\/client, task asks: an operator callback is an async function that was not compiled.*tspc.*portals-ts\/vite.*portals-ts\/register/s,
  );
  expect(system.applications).toEqual([]);
  expect(system.canStep()).toBe(false);
});

describe("an async operator a transpiler down-levelled is rejected at launch too", () => {
  /** `async (x) => { await portal.request(x); }` as TypeScript emits it for `target`, evaluated. */
  const downlevelled = (target: ts.ScriptTarget) => {
    const js = ts.transpileModule("export const raw = async (x: number) => { await portal.request(x); };", {
      compilerOptions: { target, module: ts.ModuleKind.CommonJS },
    }).outputText;
    const exports: { raw?: unknown } = {};
    new Function("exports", "portal", js)(exports, undefined);
    return exports.raw as (x: number) => void;
  };
  /** The wrapper Babel's async-to-generator transform returns for an async arrow (its shape). */
  const babel = new Function(
    "_asyncToGenerator",
    "return function () { var _ref = _asyncToGenerator(function* (x) { yield x; }); return function (_x) { return _ref.apply(this, arguments); }; }();",
  )((f: unknown) => f) as (x: number) => void;

  test.each([
    ["TypeScript, target ES2015 (__awaiter)", downlevelled(ts.ScriptTarget.ES2015)],
    ["TypeScript, target ES5 (__awaiter, __generator)", downlevelled(ts.ScriptTarget.ES5)],
    ["Babel (_asyncToGenerator)", babel],
  ])("%s", (_, raw) => {
    expect(Object.prototype.toString.call(raw)).toBe("[object Function]");
    const app = PortalsApp("lowered", (app) => {
      app.workflows<number, number>("client").source(app.generators.signal(1).stream).map(raw as (x: number) => number).withName("lowered").sink().freeze();
    });
    const system = Systems.test();
    expect(() => system.launch(app)).toThrow(/workflow \/lowered\/workflows\/client, task lowered: an operator callback is an async function that was not compiled/);
    expect(system.applications).toEqual([]);
  });

  test("a plain callback is not taken for one", () => {
    const lines = run((app) => {
      app.workflows<number, number>("w").source(app.generators.fromArray([1, 2]).stream).map((x) => x * 3).logger().sink().freeze();
    });
    expect(lines).toEqual(["3", "6"]);
  });
});

test("a compiled map callback emits the value its machine returns", () => {
  const lines = run((app) => {
    app
      .workflows<number, number>("w")
      .source(app.generators.fromArray([1, 2]).stream)
      .map<number>(script("test#map", [(l) => returns((l.args[0] as number) * 3)]) as never)
      .logger()
      .sink()
      .freeze();
  });
  expect(lines).toEqual(["3", "6"]);
});

test("a serving workflow's output ends with its input; events it emits while serving later requests are dropped with one warning", () => {
  const lines: string[] = [];
  const warnings: string[] = [];
  const system = Systems.test({ log: (line, meta) => void (meta.level === "warn" ? warnings.push(line) : lines.push(line)) });
  system.launch(
    PortalsApp("svc", (app) => {
      const portal = app.portal<number, number>("double");
      const served = app
        .workflows<number, number>("server")
        .source(app.generators.fromArray([1]).stream)
        .replier(
          portal,
          (x, ctx) => ctx.emit(x),
          (x, ctx) => {
            ctx.emit(x * 100);
            ctx.reply(x * 2);
          },
        )
        .sink()
        .freeze();
      app.workflows<number, number>("downstream").source(served.stream).logger("down ").withOnComplete((ctx) => ctx.log.info("down ended")).sink().freeze();
    }),
  );
  system.stepUntilComplete();
  system.launch(
    PortalsApp("late", (app) => {
      const portal = app.registry.portals.get<number, number>("/svc/portals/double");
      app
        .workflows<number, never>("ask")
        .source(app.generators.fromArray([3, 4]).stream)
        .asker(portal, script("test#late", [(l, ctx) => ask(ctx, portal, l.args[0] as number), (l, ctx, input) => ctx.log.info(`reply ${valueOf(input)}`)]) as never)
        .sink()
        .freeze();
    }),
  );
  system.stepUntilComplete();
  expect(lines).toEqual(["down 1", "down ended", "reply 6", "reply 8"]);
  expect(warnings).toEqual([
    "workflow /svc/workflows/server emitted 2 event(s) while serving a portal after its output stream ended; they are dropped (and so are later ones). To keep emitting after the input ends, feed the workflow through a sequencer, whose stream does not end",
  ]);
});
