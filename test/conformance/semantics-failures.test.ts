/**
 * docs/semantics.md, rule 10 (a failing event, hooks that throw, dead letters) and the end of a
 * workflow (rule 1's `onComplete` after every continuation, the output after the end).
 */
import { describe, expect, test } from "vitest";
import { OperatorError, PortalsApp, Systems, type ApplicationBuilder, type DeadLetter, type LogMeta, type StreamRef, type TestSystem } from "portals-ts";
import { ask, script, valueOf } from "../support/machines.js";
import { run } from "./run.js";

/** A test system whose log lines (with their meta) are kept in `logs`; `info()` are the info lines, `errors()` the error lines. */
function logged(seed = 1): { system: TestSystem; logs: { line: string; meta: LogMeta }[]; info: () => string[]; errors: () => { line: string; meta: LogMeta }[] } {
  const logs: { line: string; meta: LogMeta }[] = [];
  const system = Systems.test({ seed, log: (line, meta) => void logs.push({ line, meta }) });
  return {
    system,
    logs,
    info: () => logs.filter((l) => l.meta.level === "info").map((l) => l.line),
    errors: () => logs.filter((l) => l.meta.level === "error"),
  };
}

describe("rule 10: a failing event fails alone: dropped, reported with its key, handed to onError and the dead letters; the rest of the atom goes on", () => {
  test("a sync map throwing on event 2 of [0..4]: 0, 1, 3, 4 go on, the atom carries the error downstream once, the next atom runs", () => {
    const seen: OperatorError[] = [];
    const { system, info, errors } = logged();
    system.launch(
      PortalsApp("err", (app) => {
        const g = app.generators.fromArrayOfArrays([[0, 1, 2, 3, 4], [5]]);
        const first = app
          .workflows<number, number>("first")
          .source(g.stream)
          .key((x) => `k${x}`)
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
          .withOnError((e) => void seen.push(e))
          .withOnAtomComplete((ctx) => ctx.log.info("second |"))
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    expect(info().filter((l) => l.startsWith("first"))).toEqual(["first 0", "first 1", "first 3", "first 4", "first 5"]);
    expect(info().filter((l) => l.startsWith("second"))).toEqual(["second 0", "second 1", "second 3", "second 4", "second |", "second 5", "second |"]);
    const [error, ...more] = errors();
    expect(more).toEqual([]);
    expect(error!.line).toBe('workflow /err/workflows/first, task picky, key "k2": two is bad');
    expect(error!.meta).toMatchObject({ level: "error", workflow: "/err/workflows/first", task: "picky", key: "k2" });
    // The CLI prints the user's stack frame from meta.error.cause.
    expect(error!.meta.error).toBeInstanceOf(OperatorError);
    expect((error!.meta.error!.cause as Error).stack).toMatch(/two is bad\n\s+at .*semantics-failures\.test\.ts/);
    expect(seen).toEqual([error!.meta.error]);
    expect([seen[0]!.workflow, seen[0]!.task, seen[0]!.key]).toEqual(["/err/workflows/first", "picky", "k2"]);
  });

  test("an async asker behaves as the sync map: a throw before the first await and one after it each drop only their event", () => {
    const { system, info, errors } = logged();
    system.launch(
      PortalsApp("async", (app) => {
        const double = app.portal<number, number>("double");
        app.workflows<never, never>("server").source(app.generators.empty<never>().stream).replier(double, () => {}, (x, ctx) => ctx.reply(2 * x)).sink().freeze();
        app
          .workflows<number, number>("client")
          .source(app.generators.fromArray([0, 1, 2, 3, 4]).stream)
          .key((x) => `k${x}`)
          .asker<number>(double, async (x, ctx) => {
            if (x === 1) throw new Error("before the await");
            const doubled = await double.request(x);
            if (x === 3) throw new Error("after the await");
            ctx.emit(doubled);
          })
          .logger()
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    expect(info()).toEqual(["0", "4", "8"]);
    expect(errors().map((e) => e.line)).toEqual([
      'workflow /async/workflows/client, task asker#2, key "k1": before the await',
      'workflow /async/workflows/client, task asker#2, key "k3": after the await',
    ]);
  });

  test("what the failing call emitted before it threw is dropped; the state it wrote stays", () => {
    const lines = run((app) => {
      app
        .workflows<number, string>("w")
        .source(app.generators.fromArray([1, 2, 3]).stream)
        .processor<string>((x, ctx) => {
          const seen = ctx.perKey("seen", 0);
          seen.set(seen.get() + 1);
          ctx.emit(`start ${x}`);
          if (x === 2) throw new Error("no");
          ctx.emit(`end ${x} after ${seen.get()}`);
        })
        .logger()
        .sink()
        .freeze();
    });
    expect(lines).toEqual(["start 1", "end 1 after 1", "start 3", "end 3 after 3"]);
  });

  test("the failing task's own withOnError gets the failure under the event's key, and what it emits takes the event's place", () => {
    const lines = run((app) => {
      app
        .workflows<number, string>("w")
        .source(app.generators.fromArrayOfArrays([[1, 2, 3]]).stream)
        .key((x) => `k${x}`)
        .map((x) => {
          if (x === 2) throw new Error(`bad ${x}`);
          return `ok ${x}`;
        })
        .withOnError((e, ctx) => ctx.emit(`fallback for ${ctx.key} (${(e.cause as Error).message})`))
        .logger()
        .sink()
        .freeze();
    });
    expect(lines).toEqual(["ok 1", "fallback for k2 (bad 2)", "ok 3"]);
  });

  test("a key function returning NaN fails that event alone, reported with the key the event had, not the previous event's", () => {
    const { system, info, errors } = logged();
    system.launch(
      PortalsApp("keys", (app) => {
        app
          .workflows<string, string>("w")
          .source(app.generators.fromArray(["seven", "x", "eight"]).stream)
          .key((s) => `in-${s}`)
          .key((s) => (s === "x" ? Number.NaN : s))
          .processor<string>((s, ctx) => ctx.emit(`${s} under ${ctx.key}`))
          .logger()
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    expect(info()).toEqual(["seven under seven", "eight under eight"]);
    expect(errors().map((e) => e.line)).toEqual(['workflow /keys/workflows/w, task key#2, key "in-x": the key function returned NaN; keys must be strings or finite numbers']);
  });

  test("a hook that throws fails the hook alone: the atom's events go on, onError gets it, later atoms run", () => {
    const { system, info, errors } = logged();
    const handled: string[] = [];
    system.launch(
      PortalsApp("hooks", (app) => {
        app
          .workflows<number, number>("w")
          .source(app.generators.fromArrayOfArrays([[1, 2], [3]]).stream)
          .identity()
          .withOnAtomComplete((ctx) => {
            const atoms = ctx.perTask("atoms", 0);
            atoms.set(atoms.get() + 1);
            ctx.emit(100 * atoms.get());
            if (atoms.get() === 1) throw new Error("hook failed");
          })
          .withOnError((e) => void handled.push(`${e.hook}: ${(e.cause as Error).message}`))
          .logger()
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    // The hook's own emission before it threw (100) is dropped, as an event's would be.
    expect(info()).toEqual(["1", "2", "3", "200"]);
    expect(errors().map((e) => e.line)).toEqual(["workflow /hooks/workflows/w, task identity#1 (onAtomComplete), key 0: hook failed"]);
    expect(handled).toEqual(["onAtomComplete: hook failed"]);
  });

  test("an onError handler that throws is reported, and not handed its own failure", () => {
    const { system, info, errors } = logged();
    system.launch(
      PortalsApp("handler", (app) => {
        app
          .workflows<number, number>("w")
          .source(app.generators.fromArray([1, 2]).stream)
          .map((x) => {
            if (x === 1) throw new Error("event failed");
            return x;
          })
          .withOnError(() => {
            throw new Error("handler failed");
          })
          .logger()
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    expect(info()).toEqual(["2"]);
    expect(errors().map((e) => e.line)).toEqual([
      "workflow /handler/workflows/w, task map#1, key 0: event failed",
      "workflow /handler/workflows/w, task map#1 (onError), key 0: handler failed",
    ]);
  });
});

describe("rule 10: dead letters", () => {
  const failing = (app: ApplicationBuilder): StreamRef<DeadLetter> => {
    const double = app.portal<number, number>("double");
    app.workflows<never, never>("server").source(app.generators.empty<never>().stream).replier(double, () => {}, (x, ctx) => ctx.reply(2 * x)).sink().freeze();
    const w = app.workflows<number, number>("w");
    const failed = w.deadLetters();
    w.source(app.generators.fromArrayOfArrays([[1, 2, 3], [4]]).stream)
      .key((x) => `k${x}`)
      .map((x) => {
        if (x === 2) throw new Error("sync failure");
        return x;
      })
      .asker<number>(double, async (x, ctx) => {
        const doubled = await double.request(x);
        if (doubled === 8) throw new Error("async failure");
        ctx.emit(doubled);
      })
      .logger()
      .sink()
      .freeze();
    return failed;
  };
  const show = (d: DeadLetter, key: unknown): string => `${String(key)}: ${JSON.stringify(d.event)} failed in ${d.error.task}: ${(d.error.cause as Error).message}`;

  test("every failed event, sync or after an await, goes to /<app>/workflows/<w>/failed/stream with its error, under its key", () => {
    const { system, info } = logged();
    system.launch(
      PortalsApp("dl", (app) => {
        const failed = failing(app);
        expect(failed.path).toBe("/dl/workflows/w/failed/stream");
        app
          .workflows<DeadLetter, string>("alerts")
          .source(failed)
          .processor<string>((d, ctx) => ctx.emit(show(d, ctx.key)))
          .logger("alert ")
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    expect(info().filter((l) => l.startsWith("alert"))).toEqual(["alert k2: 2 failed in map#2: sync failure", "alert k4: 4 failed in asker#3: async failure"]);
    expect(info().filter((l) => !l.startsWith("alert"))).toEqual(["2", "6"]);
  });

  test("another application consumes the dead letters through the registry, and they end with the workflow", () => {
    const { system, info } = logged();
    system.launch(PortalsApp("dl", (app) => void failing(app)));
    system.launch(
      PortalsApp("ops", (app) => {
        app
          .workflows<DeadLetter, string>("alerts")
          .source(app.registry.streams.get<DeadLetter>("/dl/workflows/w/failed/stream"))
          .processor<string>((d, ctx) => ctx.emit(show(d, ctx.key)))
          .logger("alert ")
          .withOnComplete((ctx) => ctx.log.info("alerts ended"))
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    expect(info().filter((l) => l.startsWith("alert"))).toEqual(["alert k2: 2 failed in map#2: sync failure", "alert k4: 4 failed in asker#3: async failure", "alerts ended"]);
  });

  test("a dead-letter stream has a name of its own: reserved names and a second name are refused", () => {
    PortalsApp("names", (app) => {
      const w = app.workflows<number, number>("w");
      expect(w.deadLetters("errors")).toEqual({ kind: "stream", path: "/names/workflows/w/errors/stream" });
      expect(w.deadLetters("errors").path).toBe("/names/workflows/w/errors/stream");
      expect(() => w.deadLetters("other")).toThrow(
        new TypeError('workflow /names/workflows/w: deadLetters("other"): the workflow\'s dead letters already go to /names/workflows/w/errors/stream; a workflow has one dead-letter stream'),
      );
      const v = app.workflows<number, number>("v");
      expect(() => v.deadLetters("portal-in")).toThrow(
        new TypeError('workflow /names/workflows/v: deadLetters("portal-in"): the name must be letters, digits, "_", "-", "." or "$", not "." or ".." alone, and not one of portal-in, portal-out, portal-router, replies'),
      );
      expect(() => v.deadLetters("a/b")).toThrow('deadLetters("a/b"): the name must be letters');
      w.source(app.generators.empty<number>().stream).sink().freeze();
      expect(() => w.deadLetters("errors")).toThrow("call deadLetters() before freeze()");
      v.source(app.generators.empty<number>().stream).sink().freeze();
    });
  });
});

describe("the end of a workflow waits for the continuations its last atom started (rule 1)", () => {
  test("an event emitted by onComplete reaches an asker: its reply is output before the seal, then the asker's onComplete runs", () => {
    const { system, info, logs } = logged();
    system.launch(
      PortalsApp("end", (app) => {
        const double = app.portal<number, number>("double");
        app.workflows<never, never>("server").source(app.generators.empty<never>().stream).replier(double, () => {}, (x, ctx) => ctx.reply(2 * x)).sink().freeze();
        const asking = app
          .workflows<number, number>("asking")
          .source(app.generators.fromArray([1]).stream)
          .identity()
          .withOnComplete((ctx) => ctx.emit(5))
          .asker<number>(double, async (x, ctx) => {
            ctx.emit(await double.request(x));
          })
          .withOnComplete((ctx) => ctx.emit(-1))
          .map((x) => x + 1000)
          .withOnComplete((ctx) => ctx.emit(0))
          .sink()
          .freeze();
        app.workflows<number, number>("after").source(asking.stream).logger("after ").withOnComplete((ctx) => ctx.log.info("after ended")).sink().freeze();
      }),
    );
    system.stepUntilComplete();
    // 1002: the first atom's reply; 1010: the reply to onComplete's 5; 999 (-1 + 1000): the
    // asker's onComplete, after that reply; 0: the map's onComplete; then the end.
    expect(info()).toEqual(["after 1002", "after 1010", "after 999", "after 0", "after ended"]);
    expect(logs.filter((l) => l.meta.level !== "info")).toEqual([]);
    expect(system.parkedContinuations).toBe(0);
  });

  test("a snapshot taken while the end waits at a task restores into the same end", () => {
    const define = (app: ApplicationBuilder): void => {
      const echo = app.portal<number, number>("echo");
      app.workflows<never, never>("server").source(app.generators.empty<never>().stream).replier(echo, () => {}, (x, ctx) => ctx.reply(x)).sink().freeze();
      app
        .workflows<number, string>("w")
        .source(app.generators.fromArray([1]).stream)
        .identity()
        .withOnComplete((ctx) => ctx.emit(7))
        .asker<string>(echo, async (x, ctx) => {
          ctx.emit(`reply ${await echo.request(x)}`);
        })
        .withOnComplete((ctx) => ctx.emit("asker complete"))
        .logger()
        .sink()
        .freeze();
    };
    const whole = run(define);
    expect(whole).toEqual(["reply 1", "reply 7", "asker complete"]);
    // Snapshot after every step, restore each into a fresh system, and finish from there: the
    // lines before the snapshot and those of the restored run are the whole run's.
    const original = logged();
    original.system.launch(PortalsApp("app", define));
    let waitedAtTheEnd = false;
    while (original.system.canStep()) {
      original.system.step();
      const before = original.info();
      // The end waits at the asker: the seal's event was asked, its reply is not in.
      if (before.includes("reply 1") && original.system.parkedContinuations > 0) waitedAtTheEnd = true;
      const restored = logged();
      restored.system.restore(original.system.snapshot(), [PortalsApp("app", define)]);
      restored.system.stepUntilComplete();
      expect([...before, ...restored.info()], `restored after ${before.length} lines`).toEqual(whole);
      expect(restored.logs.filter((l) => l.meta.level !== "info")).toEqual([]);
    }
    expect(waitedAtTheEnd).toBe(true);
  });
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

test("a serving workflow's dead letters end with its output too; events that fail while it serves later requests are dropped with one warning", () => {
  const warnings: string[] = [];
  const dead: string[] = [];
  const system = Systems.test({ log: (line, meta) => void (meta.level === "warn" && warnings.push(line)) });
  system.launch(
    PortalsApp("svc", (app) => {
      const portal = app.portal<number, number>("double");
      const w = app.workflows<number, number>("server");
      const failed = w.deadLetters();
      w.source(app.generators.fromArray([1]).stream)
        .replier(
          portal,
          (x, ctx) => ctx.emit(x),
          (x, ctx) => {
            ctx.emit(x);
            ctx.reply(x * 2);
          },
        )
        .map((x) => {
          if (x > 0) throw new Error(`no ${x}`);
          return x;
        })
        .sink()
        .freeze();
      app
        .workflows<DeadLetter, never>("dead")
        .source(failed)
        .processor((d) => void dead.push(`${String(d.event)}: ${(d.error.cause as Error).message}`))
        .withOnComplete(() => void dead.push("ended"))
        .sink()
        .freeze();
    }),
  );
  system.stepUntilComplete();
  expect(dead).toEqual(["1: no 1", "ended"]);
  system.launch(
    PortalsApp("late", (app) => {
      const portal = app.registry.portals.get<number, number>("/svc/portals/double");
      app
        .workflows<number, never>("ask")
        .source(app.generators.fromArray([3]).stream)
        .asker(portal, script("test#late-dead", [(l, ctx) => ask(ctx, portal, l.args[0] as number), () => undefined]) as never)
        .sink()
        .freeze();
    }),
  );
  system.stepUntilComplete();
  expect(dead).toEqual(["1: no 1", "ended"]);
  expect(warnings).toEqual([
    "workflow /svc/workflows/server failed 1 event(s) while serving a portal after its output stream ended; they are dropped (and so are later ones). To keep emitting after the input ends, feed the workflow through a sequencer, whose stream does not end",
  ]);
});
