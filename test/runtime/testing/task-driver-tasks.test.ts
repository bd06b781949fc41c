/**
 * The task driver of `portals-ts/testing` over plain tasks (maps, hooks, keys, vsm, steps, init),
 * failing events (docs/semantics.md, rule 10), and what it refuses as a system would.
 */
import { describe, expect, test } from "vitest";
import { OperatorError, Tasks, VSM, type LogMeta, type VsmBehavior } from "portals-ts";
import { TaskDriver, testPortal } from "portals-ts/testing";
import { ask, returns, script } from "../../support/machines.js";
import { prices } from "./driver-fixtures.js";

describe("TaskDriver over plain tasks", () => {
  test("map keeps keys; a throw fails that event alone, which comes out in failed with its error; the others go on", () => {
    const d = new TaskDriver(
      Tasks.map((x: number) => {
        if (x === 2) throw new Error("two is bad");
        return x * 10;
      }).withName("times10"),
      { workflow: "/app/workflows/w" },
    );
    const out = d.atom([
      { key: "a", value: 1 },
      { key: "b", value: 2 },
      { key: "c", value: 3 },
    ]);
    expect(out.events).toEqual([
      { key: "a", value: 10 },
      { key: "c", value: 30 },
    ]);
    expect(out.error!.message).toBe('workflow /app/workflows/w, task times10, key "b": two is bad');
    expect(out.failed).toEqual([{ key: "b", event: 2, error: out.error }]);
    expect((out.failed[0]!.error.cause as Error).message).toBe("two is bad");
    expect(out.logs).toEqual([{ level: "error", line: 'workflow /app/workflows/w, task times10, key "b": two is bad', key: "b" }]);
    expect(d.atom([{ key: "d", value: 4 }])).toEqual({ events: [{ key: "d", value: 40 }], requests: [], replies: [], error: undefined, failed: [], logs: [] });
  });

  test("hooks: events, then onError for an atom failed upstream, then onAtomComplete; onComplete at end()", () => {
    const upstream = new OperatorError("/app/workflows/w", "map#1", 0, new Error("upstream"));
    const d = new TaskDriver(
      Tasks.identity<string>()
        .withOnError((e, ctx) => ctx.emit(`error: ${e.message}`))
        .withOnAtomComplete((ctx) => ctx.emit("|"))
        .withOnComplete((ctx) => ctx.emit("end")),
    );
    expect(d.atom([{ value: "a" }, { key: 3, value: "b" }]).events).toEqual([
      { key: 0, value: "a" },
      { key: 3, value: "b" },
      { key: 3, value: "|" },
    ]);
    const failed = d.atom([{ value: "c" }], { error: upstream });
    expect(failed.events).toEqual([
      { key: 0, value: "c" },
      { key: 0, value: "error: workflow /app/workflows/w, task map#1, key 0: upstream" },
      { key: 0, value: "|" },
    ]);
    expect(failed.error).toBe(upstream);
    expect(d.end().events).toEqual([{ key: 0, value: "end" }]);
  });

  test("key, logger, per-task state, vsm and steps run exactly as in a workflow", () => {
    const lines: string[] = [];
    const log = (line: string, meta: LogMeta): void => void lines.push(`${meta.level} ${meta.task} ${line}`);
    const logger = new TaskDriver(Tasks.logger<{ n: number }>("seen "), { log, name: "log" });
    expect(logger.atom([{ value: { n: 1 } }])).toEqual({
      events: [{ key: 0, value: { n: 1 } }],
      requests: [],
      replies: [],
      error: undefined,
      failed: [],
      logs: [{ level: "info", line: 'seen {"n":1}', key: 0 }],
    });
    expect(lines).toEqual(['info log seen {"n":1}']);

    const keyed = new TaskDriver(Tasks.key((s: string) => s.length));
    expect(keyed.atom([{ key: "old", value: "abc" }]).events).toEqual([{ key: 3, value: "abc" }]);
    expect(keyed.atom([{ value: {} as string }]).error!.message).toBe(
      "workflow /test/workflows/driver, task key#1, key 0: the key function returned undefined; keys must be strings or finite numbers",
    );

    const counter = new TaskDriver(
      Tasks.processor<string, number>((_, ctx) => {
        const all = ctx.perTask("all", 0);
        all.set(all.get() + 1);
        ctx.emit(all.get());
      }),
    );
    counter.atom([{ key: "a", value: "x" }, { key: "b", value: "y" }]);
    expect(counter.taskState()).toEqual({ all: 2 });
    expect(counter.state("a")).toEqual({});

    const toggle: VsmBehavior<string, string> = VSM.processor<string, string>((x, ctx) => {
      ctx.emit(`on ${x}`);
      return off;
    });
    const off: VsmBehavior<string, string> = VSM.processor<string, string>((x, ctx) => {
      ctx.emit(`off ${x}`);
      return toggle;
    });
    const vsm = new TaskDriver(Tasks.vsm(toggle));
    expect(vsm.atom(["1", "2", "3"].map((value) => ({ key: "k", value }))).events.map((e) => e.value)).toEqual(["on 1", "off 2", "on 3"]);

    const stepper = new TaskDriver(Tasks.map((x: number) => x + 1).withStep(Tasks.map((x: number) => x + 2)));
    expect([0, 0, 0].map(() => stepper.atom([{ value: 0 }]).events[0]!.value)).toEqual([1, 2, 1]);
  });

  test("a compiled map callback emits the value its machine returns", () => {
    const d = new TaskDriver(Tasks.map<number, number>(script("test#triple", [(l) => returns((l.args[0] as number) * 3)]) as never));
    expect(d.atom([{ value: 2 }, { key: "x", value: 5 }]).events).toEqual([
      { key: 0, value: 6 },
      { key: "x", value: 15 },
    ]);
  });

  test("init builds the task when the driver is made; a factory that throws fails the constructor with the task", () => {
    const d = new TaskDriver(
      Tasks.init<number, string>((ctx) => {
        const made = ctx.perTask("made", 0);
        made.set(made.get() + 1);
        return Tasks.map((x: number) => `x${x}`);
      }),
    );
    expect(d.taskState()).toEqual({ made: 1 });
    expect(d.atom([{ value: 1 }]).events).toEqual([{ key: 0, value: "x1" }]);
    expect(
      () =>
        new TaskDriver(
          Tasks.init(() => {
            throw new Error("no config");
          }),
          { workflow: "/app/workflows/w", name: "setup" },
        ),
    ).toThrow(new Error("workflow /app/workflows/w, task setup: no config"));
  });
});

describe("TaskDriver refuses what a system would refuse", () => {
  test("an uncompiled async callback, with the fix", () => {
    // Read from an array, the callback is not one the compiler can see (docs/compiler.md, "Finding targets"): it stays native.
    const raw = [
      async (): Promise<void> => {
        await prices.request("a");
      },
    ][0]!;
    expect(() => new TaskDriver(Tasks.asker(prices, raw), { workflow: "/app/workflows/w" })).toThrow(/^workflow \/app\/workflows\/w, task asker#1: an operator callback is an async function that was not compiled.*tspc/s);
  });

  test("a callback that is not a function, and something that is not a task", () => {
    expect(() => new TaskDriver(Tasks.map(42 as never))).toThrow(
      new TypeError("workflow /test/workflows/driver, task map#1 (map): the callback must be a function, got number"),
    );
    expect(() => new TaskDriver(Tasks.identity().withOnAtomComplete(null as never))).toThrow(
      new TypeError("workflow /test/workflows/driver, task identity#1 (identity): onAtomComplete must be a function, got null"),
    );
    expect(() => new TaskDriver({ spec: { kind: "identity" } } as never)).toThrow(new TypeError("TaskDriver(task): expected a task built with Tasks.*"));
  });

  test("keys that are not strings or finite numbers", () => {
    const d = new TaskDriver(Tasks.identity<number>());
    expect(() => d.atom([{ value: 1 }, { key: NaN, value: 2 }])).toThrow(
      new TypeError("atom(): event 1: the key NaN is not a string or finite number"),
    );
    expect(() => d.atom([{ key: {} as never, value: 1 }])).toThrow("atom(): event 0: the key object is not a string or finite number");
  });

  test("testPortal checks the path and the key option", () => {
    expect(() => testPortal("/shop/inventory")).toThrow(
      new TypeError('testPortal("/shop/inventory"): a portal path has the shape /<app>/portals/<name>'),
    );
    expect(() => testPortal("/shop/portals/p", { key: "item" as never })).toThrow(
      new TypeError('testPortal("/shop/portals/p"): the key option must be a function (request) => key'),
    );
    expect(testPortal<{ id: number }, string>("/a/portals/p", { key: (r) => r.id }).key!({ id: 4 })).toBe(4);
  });

  test("parked() reports a frame local that is not plain data", () => {
    const task = Tasks.asker<number, never>(
      prices,
      script("test#bad-local", [
        (l, ctx) => {
          l.callback = () => 1;
          return ask(ctx, prices, "a");
        },
        () => undefined,
      ]) as never,
    );
    const d = new TaskDriver(task);
    d.atom([{ value: 1 }]);
    expect(() => d.parked()).toThrow(
      /^TaskDriver\(workflow \/test\/workflows\/driver, task asker#1\): a frame of invocation 1 holds a local that is not plain data, so it cannot be snapshotted: /,
    );
  });
});
