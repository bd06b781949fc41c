/**
 * docs/semantics.md, rules 8 and 9 (portals), rule by rule, and the portal cases beyond the
 * numbered items. Operators that await requests are hand-written machines
 * (support/machines.ts), so every step of a continuation is under the test's control.
 */
import * as ts from "typescript";
import { describe, expect, test } from "vitest";
import { PortalsApp, Systems, Tasks } from "portals-ts";
import { ask, collecting, returns, script, valueOf } from "../support/machines.js";
import { run } from "./run.js";

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
      "caught PortalRequestError: request to portal /fail/portals/picky failed: negative -1 (workflow /fail/workflows/server, task replier#1, key 0)",
    ]);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      "request 2 to portal /fail/portals/picky from /fail/workflows/client failed in workflow /fail/workflows/server, task replier#1, key 0: negative -1",
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
      "request to portal /app/portals/silent failed: the replier finished serving it without calling ctx.reply (workflow /app/workflows/server, task replier#1, key 0)",
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
    expect(errors).toEqual(['workflow /boom/workflows/client, task asker#2, key "k": got 7']);
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
      // The location is said once, though the error thrown at the request names it too.
      "workflow /undeclared/workflows/client, task asker#1, key 0: request to portal /undeclared/portals/b, which this task did not declare; list it in the portals of asker(portals, fn) or askerReplier(asks, ...)",
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
    // Read from an array, the callback is not one the compiler can see (docs/compiler.md, "Finding targets"): it stays native.
    const raw = [
      async (x: number): Promise<void> => {
        await portal.request(x);
      },
    ][0]!;
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
