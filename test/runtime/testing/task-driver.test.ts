/**
 * The task driver of `portals-ts/testing`: scripted inputs in, exact messages out. Operators
 * that await portal requests are hand-written machines (test/support/machines.ts).
 */
import { describe, expect, test } from "vitest";
import { OperatorError, Tasks, VSM, type LogMeta, type VsmBehavior } from "portals-ts";
import { TaskDriver, testPortal } from "portals-ts/testing";
import { ask, returns, script, valueOf } from "../../support/machines.js";

interface InvReq {
  readonly item: string;
}
type InvRep = { readonly ok: boolean; readonly stock: number };

const inventory = testPortal<InvReq, InvRep>("/shop/portals/inventory");
const prices = testPortal<string, number>("/shop/portals/prices");

/** An asker that asks the inventory for the event's item and emits what it learned. */
function cartAsker() {
  return Tasks.asker<string, string>(
    inventory,
    script("test#cart", [
      (l, ctx) => {
        l.item = l.args[0];
        return ask(ctx, inventory, { item: l.item });
      },
      (l, ctx, input) => {
        const rep = valueOf(input) as InvRep;
        const items = ctx.perKey("items", [] as string[]);
        if (rep.ok) items.set([...items.get(), l.item]);
        ctx.emit(`${l.item}: ${rep.ok ? `added (${rep.stock} left)` : "sold out"}`);
      },
    ]) as never,
  );
}

describe("TaskDriver over an asker", () => {
  test("an atom sends one request per event, under each event's key, and parks one continuation per event", () => {
    const d = new TaskDriver(cartAsker(), { workflow: "/shop/workflows/cart" });
    const out = d.atom([
      { key: "ann", value: "apple" },
      { key: "bob", value: "pear" },
    ]);
    expect(out).toEqual({
      events: [],
      requests: [
        { portal: "/shop/portals/inventory", requestId: 1, key: "ann", payload: { item: "apple" } },
        { portal: "/shop/portals/inventory", requestId: 2, key: "bob", payload: { item: "pear" } },
      ],
      replies: [],
      error: undefined,
      logs: [],
    });
    expect(d.parked()).toEqual([
      {
        invocation: 1,
        key: "ann",
        awaiting: [1],
        all: false,
        frames: [{ machine: "test#cart", version: "1", pc: 1, locals: { args: ["apple"], item: "apple" } }],
      },
      {
        invocation: 2,
        key: "bob",
        awaiting: [2],
        all: false,
        frames: [{ machine: "test#cart", version: "1", pc: 1, locals: { args: ["pear"], item: "pear" } }],
      },
    ]);
    expect(d.openRequests().map((r) => r.requestId)).toEqual([1, 2]);
  });

  test("replies resume each continuation under the key it asked with, in the order they are delivered", () => {
    const d = new TaskDriver(cartAsker());
    d.atom([
      { key: "ann", value: "apple" },
      { key: "bob", value: "pear" },
    ]);
    expect(d.reply(2, { ok: false, stock: 0 })).toEqual({
      events: [{ key: "bob", value: "pear: sold out" }],
      requests: [],
      replies: [],
      error: undefined,
      logs: [],
    });
    expect(d.parked().map((p) => p.invocation)).toEqual([1]);
    expect(d.reply(1, { ok: true, stock: 4 }).events).toEqual([{ key: "ann", value: "apple: added (4 left)" }]);
    expect(d.parked()).toEqual([]);
    expect(d.openRequests()).toEqual([]);
    expect(d.state("ann")).toEqual({ items: ["apple"] });
    expect(d.state("bob")).toEqual({});
    expect(d.taskState()).toEqual({});
  });

  test("state() returns copies: changing them does not change the task's state", () => {
    const d = new TaskDriver(cartAsker());
    d.atom([{ key: "ann", value: "apple" }]);
    d.reply(1, { ok: true, stock: 1 });
    (d.state("ann").items as string[]).push("forged");
    expect(d.state("ann")).toEqual({ items: ["apple"] });
  });

  test("fail() rejects the await with a PortalRequestError the continuation can catch", () => {
    const task = Tasks.asker<number, string>(
      prices,
      script("test#price", [
        (_, ctx) => ask(ctx, prices, "apple"),
        (_, ctx, input) => {
          try {
            ctx.emit(`price ${valueOf(input)}`);
          } catch (e) {
            ctx.emit(`${(e as Error).name}: ${(e as Error).message}`);
          }
        },
      ]) as never,
    );
    const d = new TaskDriver(task);
    expect(d.atom([{ value: 1 }]).requests).toEqual([{ portal: "/shop/portals/prices", requestId: 1, key: 0, payload: "apple" }]);
    expect(d.fail(1, "price list offline")).toEqual({
      events: [{ key: 0, value: "PortalRequestError: request to portal /shop/portals/prices failed: price list offline" }],
      requests: [],
      replies: [],
      error: undefined,
      logs: [],
    });
  });

  test("an uncaught error in a continuation fails the output with an OperatorError and is reported", () => {
    const task = Tasks.asker<number, string>(
      prices,
      script("test#boom", [
        (_, ctx) => ask(ctx, prices, "x"),
        (_, __, input) => {
          throw new Error(`cannot use ${valueOf(input)}`);
        },
      ]) as never,
    ).withName("pricer");
    const d = new TaskDriver(task, { workflow: "/shop/workflows/cart" });
    d.atom([{ key: "k", value: 1 }]);
    const out = d.reply(1, 42);
    expect(out.events).toEqual([]);
    expect(out.error).toBeInstanceOf(OperatorError);
    expect(out.error!.message).toBe('workflow /shop/workflows/cart, task pricer, key "k": cannot use 42');
    expect([out.error!.workflow, out.error!.task, out.error!.key]).toEqual(["/shop/workflows/cart", "pricer", "k"]);
    expect(out.logs).toEqual([{ level: "error", line: 'workflow /shop/workflows/cart, task pricer, key "k": cannot use 42', key: "k" }]);
    expect(d.parked()).toEqual([]);
  });

  test("Promise.all over two portals: one continuation awaits both; it resumes once with the replies in request order", () => {
    const task = Tasks.asker<string, string>(
      [inventory, prices],
      script("test#both", [
        (l, ctx) => [ask(ctx, inventory, { item: l.args[0] as string }), ask(ctx, prices, l.args[0] as string)],
        (l, ctx, input) => {
          const [stock, price] = valueOf(input) as [InvRep, number];
          ctx.emit(`${l.args[0]}: ${stock.stock} at ${price}`);
        },
      ]) as never,
    );
    const d = new TaskDriver(task);
    expect(d.atom([{ key: 7, value: "fig" }]).requests).toEqual([
      { portal: "/shop/portals/inventory", requestId: 1, key: 7, payload: { item: "fig" } },
      { portal: "/shop/portals/prices", requestId: 2, key: 7, payload: "fig" },
    ]);
    expect(d.parked()).toEqual([
      { invocation: 1, key: 7, awaiting: [1, 2], all: true, frames: [{ machine: "test#both", version: "1", pc: 1, locals: { args: ["fig"] } }] },
    ]);
    expect(d.reply(2, 3).events).toEqual([]);
    expect(d.parked().map((p) => p.awaiting)).toEqual([[1, 2]]);
    expect(d.reply(1, { ok: true, stock: 5 }).events).toEqual([{ key: 7, value: "fig: 5 at 3" }]);
  });

  test("reply() and fail() refuse requests the task did not send or that were already answered", () => {
    const d = new TaskDriver(cartAsker(), { workflow: "/shop/workflows/cart", name: "asks" });
    d.atom([{ value: "apple" }]);
    expect(() => d.reply(9, null)).toThrow(
      new Error("TaskDriver(workflow /shop/workflows/cart, task asks): reply(9): the task sent no request 9 (open requests: 1)"),
    );
    d.reply(1, { ok: true, stock: 0 });
    expect(() => d.fail(1, "late")).toThrow(
      new Error("TaskDriver(workflow /shop/workflows/cart, task asks): fail(1): request 1 was already answered (open requests: none)"),
    );
  });

  test("end() waits for parked continuations, as a workflow's seal does; then onComplete runs once", () => {
    const d = new TaskDriver(cartAsker().withOnComplete((ctx) => ctx.emit("closed")));
    d.atom([{ key: "ann", value: "apple" }]);
    expect(() => d.end()).toThrow(
      new Error(
        "TaskDriver(workflow /test/workflows/driver, task $1): end(): 1 continuation is parked (invocation 1 awaits request 1); " +
          "answer with reply() or fail() first: a workflow runs onComplete only after every reply is in",
      ),
    );
    d.reply(1, { ok: true, stock: 2 });
    // Hook events carry the key of the task's last callback (here the continuation's), as in the reference.
    expect(d.end()).toEqual({ events: [{ key: "ann", value: "closed" }], requests: [], replies: [], error: undefined, logs: [] });
    expect(() => d.atom([{ value: "pear" }])).toThrow("TaskDriver(workflow /test/workflows/driver, task $1): atom(): the input already ended with end()");
    expect(() => d.end()).toThrow("end(): the input already ended");
  });

  test("a reply delivered before the await is used when the continuation gets there", () => {
    const task = Tasks.asker<number, string>(
      prices,
      script("test#early", [
        (l, ctx) => {
          l.first = ask(ctx, prices, "a");
          return ask(ctx, prices, "b");
        },
        (l, _, input) => {
          l.b = valueOf(input);
          return l.first;
        },
        (l, ctx, input) => ctx.emit(`a=${valueOf(input)} b=${l.b}`),
      ]) as never,
    );
    const d = new TaskDriver(task);
    expect(d.atom([{ value: 0 }]).requests.map((r) => r.payload)).toEqual(["a", "b"]);
    expect(d.reply(1, 1)).toEqual({ events: [], requests: [], replies: [], error: undefined, logs: [] });
    expect(d.parked().map((p) => p.awaiting)).toEqual([[2]]);
    expect(d.reply(2, 2).events).toEqual([{ key: 0, value: "a=1 b=2" }]);
  });
});

describe("TaskDriver over a replier", () => {
  const stock = testPortal<InvReq, InvRep>("/shop/portals/stock", { key: (r) => r.item });
  const replier = () =>
    Tasks.replier<{ item: string; delta: number }, string, InvReq, InvRep>(
      stock,
      (op, ctx) => {
        const n = ctx.perKey("stock", 0);
        n.set(n.get() + op.delta);
        ctx.emit(`${op.item} now ${n.get()}`);
      },
      (req, ctx) => {
        const n = ctx.perKey("stock", 0);
        const asked = ctx.perTask("asked", 0);
        asked.set(asked.get() + 1);
        ctx.log.info(`ask ${req.item} under ${ctx.key}`);
        if (n.get() > 0) n.set(n.get() - 1);
        ctx.reply({ ok: n.get() >= 0 && n.get() < 100, stock: n.get() });
      },
    );

  test("events from the stream and requests from the portal share the per-key state; the portal key routes requests", () => {
    const d = new TaskDriver(replier(), { workflow: "/shop/workflows/inventory" });
    expect(d.atom([{ key: "apple", value: { item: "apple", delta: 2 } }]).events).toEqual([{ key: "apple", value: "apple now 2" }]);
    expect(d.request("/shop/portals/stock", { item: "apple" }, { key: "ann" })).toEqual({
      events: [],
      requests: [],
      replies: [{ portal: "/shop/portals/stock", requestId: 1, key: "ann", ok: true, value: { ok: true, stock: 1 } }],
      reply: { portal: "/shop/portals/stock", requestId: 1, key: "ann", ok: true, value: { ok: true, stock: 1 } },
      error: undefined,
      logs: [{ level: "info", line: "ask apple under apple", key: "apple" }],
    });
    expect(d.request(stock, { item: "pear" }).reply).toEqual({
      portal: "/shop/portals/stock",
      requestId: 2,
      key: 0,
      ok: true,
      value: { ok: true, stock: 0 },
    });
    expect(d.state("apple")).toEqual({ stock: 1 });
    expect(d.state("pear")).toEqual({});
    expect(d.state("ann")).toEqual({});
    expect(d.taskState()).toEqual({ asked: 2 });
  });

  test("without a portal key function the request is served under the asker's key", () => {
    const echo = testPortal<string, string>("/app/portals/echo");
    const d = new TaskDriver(Tasks.replier(echo, () => {}, (s: string, ctx) => ctx.reply(`${s} under ${String(ctx.key)}`)));
    expect(d.request(echo, "hi", { key: "u1" }).reply).toEqual({ portal: "/app/portals/echo", requestId: 1, key: "u1", ok: true, value: "hi under u1" });
  });

  test("a replier that throws or does not reply fails the request with the reason, and a warning names it", () => {
    const picky = testPortal<number, number>("/app/portals/picky");
    const d = new TaskDriver(
      Tasks.replier(picky, () => {}, (x: number, ctx) => {
        if (x < 0) throw new Error(`negative ${x}`);
        if (x > 0) ctx.reply(x);
      }),
      { workflow: "/app/workflows/server" },
    );
    expect(d.request(picky, -1, { asker: "/app/workflows/client" })).toEqual({
      events: [],
      requests: [],
      replies: [
        { portal: "/app/portals/picky", requestId: 1, key: 0, ok: false, reason: "negative -1 (workflow /app/workflows/server, task $1, key 0)" },
      ],
      reply: { portal: "/app/portals/picky", requestId: 1, key: 0, ok: false, reason: "negative -1 (workflow /app/workflows/server, task $1, key 0)" },
      error: undefined,
      logs: [
        {
          level: "warn",
          line: "request 1 to portal /app/portals/picky from /app/workflows/client failed in workflow /app/workflows/server, task $1, key 0: negative -1",
          key: 0,
        },
      ],
    });
    expect(d.request(picky, 0).reply).toEqual({
      portal: "/app/portals/picky",
      requestId: 2,
      key: 0,
      ok: false,
      reason: "the replier finished serving it without calling ctx.reply (workflow /app/workflows/server, task $1, key 0)",
    });
    expect(d.request(picky, 5).reply).toEqual({ portal: "/app/portals/picky", requestId: 3, key: 0, ok: true, value: 5 });
  });

  test("a handler that throws after replying: the reply stands, and the throw is reported as an error, not as a failed request", () => {
    const p = testPortal<number, number>("/app/portals/p");
    const d = new TaskDriver(
      Tasks.replier(p, () => {}, (x: number, ctx) => {
        ctx.reply(x);
        if (x === 1) throw new Error("after the reply");
        ctx.reply(x + 1);
      }),
      { workflow: "/app/workflows/server" },
    );
    expect(d.request(p, 1, { key: "k" })).toEqual({
      events: [],
      requests: [],
      replies: [{ portal: "/app/portals/p", requestId: 1, key: "k", ok: true, value: 1 }],
      reply: { portal: "/app/portals/p", requestId: 1, key: "k", ok: true, value: 1 },
      error: undefined,
      logs: [
        {
          level: "error",
          line: 'workflow /app/workflows/server, task $1, key "k": the request handler threw after replying to request 1 to portal /app/portals/p: after the reply',
          key: "k",
        },
      ],
    });
    const twice = d.request(p, 2);
    expect(twice.replies).toEqual([{ portal: "/app/portals/p", requestId: 2, key: 0, ok: true, value: 2 }]);
    expect(twice.logs).toEqual([
      {
        level: "error",
        line:
          "workflow /app/workflows/server, task $1, key 0: the request handler threw after replying to request 2 to portal /app/portals/p: " +
          "workflow /app/workflows/server, task $1: ctx.reply() was called twice for request 2 to portal /app/portals/p; a request gets exactly one reply",
        key: 0,
      },
    ]);
  });

  test("an asker-replier parks while serving, and its reply in a later call answers the original request", () => {
    const total = testPortal<string[], number>("/shop/portals/total");
    const task = Tasks.askerReplier<never, never, string[], number>(
      prices,
      total,
      () => {},
      script("test#total", [
        (l, ctx) => (l.args[0] as string[]).map((item) => ask(ctx, prices, item)),
        (_, ctx, input) => ctx.reply((valueOf(input) as number[]).reduce((a, b) => a + b, 0)),
      ]) as never,
    );
    const d = new TaskDriver(task, { workflow: "/shop/workflows/billing" });
    const served = d.request(total, ["apple", "fig"], { key: "ann" });
    expect(served).toEqual({
      events: [],
      requests: [
        { portal: "/shop/portals/prices", requestId: 1, key: "ann", payload: "apple" },
        { portal: "/shop/portals/prices", requestId: 2, key: "ann", payload: "fig" },
      ],
      replies: [],
      reply: undefined,
      error: undefined,
      logs: [],
    });
    expect(d.parked()).toEqual([
      {
        invocation: 1,
        key: "ann",
        awaiting: [1, 2],
        all: true,
        serving: { portal: "/shop/portals/total", requestId: 1 },
        frames: [{ machine: "test#total", version: "1", pc: 1, locals: { args: [["apple", "fig"]] } }],
      },
    ]);
    expect(d.reply(1, 3).replies).toEqual([]);
    expect(d.reply(2, 4)).toEqual({
      events: [],
      requests: [],
      replies: [{ portal: "/shop/portals/total", requestId: 1, key: "ann", ok: true, value: 7 }],
      error: undefined,
      logs: [],
    });
  });

  test("a recursive asker-replier: the test plays the portal, serving each request the task sends to itself", () => {
    const countdown = testPortal<number, number>("/app/portals/countdown");
    const task = Tasks.askerReplier<never, never, number, number>(
      countdown,
      countdown,
      () => {},
      script("test#countdown", [
        (l, ctx) => ((l.args[0] as number) === 0 ? void ctx.reply(0) : ask(ctx, countdown, (l.args[0] as number) - 1)),
        (_, ctx, input) => ctx.reply((valueOf(input) as number) + 1),
      ]) as never,
    );
    const d = new TaskDriver(task);
    // Serve 2: it asks for 1 (outgoing request 1); serving that asks for 0 (outgoing request 2).
    const top = d.request(countdown, 2);
    expect([top.reply, top.requests]).toEqual([undefined, [{ portal: "/app/portals/countdown", requestId: 1, key: 0, payload: 1 }]]);
    const middle = d.request(countdown, 1);
    expect(middle.requests).toEqual([{ portal: "/app/portals/countdown", requestId: 2, key: 0, payload: 0 }]);
    const bottom = d.request(countdown, 0);
    expect(bottom.reply).toEqual({ portal: "/app/portals/countdown", requestId: 3, key: 0, ok: true, value: 0 });
    expect(d.parked().map((p) => [p.invocation, p.awaiting, p.serving])).toEqual([
      [1, [1], { portal: "/app/portals/countdown", requestId: 1 }],
      [2, [2], { portal: "/app/portals/countdown", requestId: 2 }],
    ]);
    // Hand each reply back to the request that asked for it: the answers travel up.
    expect(d.reply(2, 0).replies).toEqual([{ portal: "/app/portals/countdown", requestId: 2, key: 0, ok: true, value: 1 }]);
    expect(d.reply(1, 1).replies).toEqual([{ portal: "/app/portals/countdown", requestId: 1, key: 0, ok: true, value: 2 }]);
    expect(d.parked()).toEqual([]);
  });

  test("a failed await inside an asker-replier fails the request it serves, not the output atom", () => {
    const total = testPortal<string, number>("/shop/portals/total");
    const task = Tasks.askerReplier<never, never, string, number>(
      prices,
      total,
      () => {},
      script("test#total-fail", [(l, ctx) => ask(ctx, prices, l.args[0] as string), (_, ctx, input) => ctx.reply(valueOf(input))]) as never,
    );
    const d = new TaskDriver(task, { workflow: "/shop/workflows/billing" });
    d.request(total, "kiwi");
    const out = d.fail(1, "unknown item");
    expect(out.error).toBeUndefined();
    expect(out.replies).toEqual([
      {
        portal: "/shop/portals/total",
        requestId: 1,
        key: 0,
        ok: false,
        reason: "request to portal /shop/portals/prices failed: unknown item (workflow /shop/workflows/billing, task $1, key 0)",
      },
    ]);
  });

  test("request() refuses a portal the task does not serve", () => {
    const d = new TaskDriver(cartAsker());
    expect(() => d.request("/shop/portals/inventory", { item: "x" })).toThrow(
      new Error(
        'TaskDriver(workflow /test/workflows/driver, task $1): request("/shop/portals/inventory"): this task does not serve that portal (it serves no portal)',
      ),
    );
    const r = new TaskDriver(replier());
    expect(() => r.request(inventory, { item: "x" })).toThrow(
      'request("/shop/portals/inventory"): this task does not serve that portal (it serves /shop/portals/stock)',
    );
  });
});

describe("TaskDriver over plain tasks", () => {
  test("map keeps keys; a throw fails the rest of the atom with an OperatorError; the next atom runs", () => {
    const d = new TaskDriver(
      Tasks.map((x: number) => {
        if (x === 2) throw new Error("two is bad");
        return x * 10;
      }).withName("times10"),
      { workflow: "/app/workflows/w" },
    );
    const failed = d.atom([
      { key: "a", value: 1 },
      { key: "b", value: 2 },
      { key: "c", value: 3 },
    ]);
    expect(failed.events).toEqual([{ key: "a", value: 10 }]);
    expect(failed.error!.message).toBe('workflow /app/workflows/w, task times10, key "b": two is bad');
    expect(failed.logs).toEqual([{ level: "error", line: 'workflow /app/workflows/w, task times10, key "b": two is bad', key: "b" }]);
    expect(d.atom([{ key: "d", value: 4 }])).toEqual({ events: [{ key: "d", value: 40 }], requests: [], replies: [], error: undefined, logs: [] });
  });

  test("hooks: events, then onError for an atom failed upstream, then onAtomComplete; onComplete at end()", () => {
    const upstream = new OperatorError("/app/workflows/w", "$1", 0, new Error("upstream"));
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
      { key: 0, value: "error: workflow /app/workflows/w, task $1, key 0: upstream" },
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
      logs: [{ level: "info", line: 'seen {"n":1}', key: 0 }],
    });
    expect(lines).toEqual(['info log seen {"n":1}']);

    const keyed = new TaskDriver(Tasks.key((s: string) => s.length));
    expect(keyed.atom([{ key: "old", value: "abc" }]).events).toEqual([{ key: 3, value: "abc" }]);
    expect(keyed.atom([{ value: {} as string }]).error!.message).toBe(
      "workflow /test/workflows/driver, task $1, key 0: the key function returned undefined; keys must be strings or finite numbers",
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
    // Passed by a local name, the callback is not an inline operator, so the compiler leaves it.
    const raw = async (): Promise<void> => {
      await prices.request("a");
    };
    expect(() => new TaskDriver(Tasks.asker(prices, raw), { workflow: "/app/workflows/w" })).toThrow(/^workflow \/app\/workflows\/w, task \$1: an operator callback is an async function that was not compiled.*tspc/s);
  });

  test("a callback that is not a function, and something that is not a task", () => {
    expect(() => new TaskDriver(Tasks.map(42 as never))).toThrow(
      new TypeError("workflow /test/workflows/driver, task $1 (map): the callback must be a function, got number"),
    );
    expect(() => new TaskDriver(Tasks.identity().withOnAtomComplete(null as never))).toThrow(
      new TypeError("workflow /test/workflows/driver, task $1 (identity): onAtomComplete must be a function, got null"),
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
      /^TaskDriver\(workflow \/test\/workflows\/driver, task \$1\): a frame of invocation 1 holds a local that is not plain data, so it cannot be snapshotted: /,
    );
  });
});
