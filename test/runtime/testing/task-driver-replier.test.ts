/**
 * The task driver of `portals-ts/testing` over a replier and an asker-replier: requests in,
 * replies and failed requests out.
 */
import { describe, expect, test } from "vitest";
import { Tasks } from "portals-ts";
import { TaskDriver, testPortal } from "portals-ts/testing";
import { ask, script, valueOf } from "../../support/machines.js";
import { cartAsker, inventory, prices, type InvReq, type InvRep } from "./driver-fixtures.js";

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
      failed: [],
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
        { portal: "/app/portals/picky", requestId: 1, key: 0, ok: false, reason: "negative -1 (workflow /app/workflows/server, task replier#1, key 0)" },
      ],
      reply: { portal: "/app/portals/picky", requestId: 1, key: 0, ok: false, reason: "negative -1 (workflow /app/workflows/server, task replier#1, key 0)" },
      error: undefined,
      failed: [],
      logs: [
        {
          level: "warn",
          line: "request 1 to portal /app/portals/picky from /app/workflows/client failed in workflow /app/workflows/server, task replier#1, key 0: negative -1",
          key: 0,
        },
      ],
    });
    expect(d.request(picky, 0).reply).toEqual({
      portal: "/app/portals/picky",
      requestId: 2,
      key: 0,
      ok: false,
      reason: "the replier finished serving it without calling ctx.reply (workflow /app/workflows/server, task replier#1, key 0)",
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
      failed: [],
      logs: [
        {
          level: "error",
          line: 'workflow /app/workflows/server, task replier#1, key "k": the request handler threw after replying to request 1 to portal /app/portals/p: after the reply',
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
          // The location is said once, though the error ctx.reply() threw names it too.
          "workflow /app/workflows/server, task replier#1, key 0: the request handler threw after replying to request 2 to portal /app/portals/p: " +
          "ctx.reply() was called twice for request 2 to portal /app/portals/p; a request gets exactly one reply",
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
      failed: [],
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
      failed: [],
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
        reason: "request to portal /shop/portals/prices failed: unknown item (workflow /shop/workflows/billing, task askerReplier#1, key 0)",
      },
    ]);
  });

  test("request() refuses a portal the task does not serve", () => {
    const d = new TaskDriver(cartAsker());
    expect(() => d.request("/shop/portals/inventory", { item: "x" })).toThrow(
      new Error(
        'TaskDriver(workflow /test/workflows/driver, task asker#1): request("/shop/portals/inventory"): this task does not serve that portal (it serves no portal)',
      ),
    );
    const r = new TaskDriver(replier());
    expect(() => r.request(inventory, { item: "x" })).toThrow(
      'request("/shop/portals/inventory"): this task does not serve that portal (it serves /shop/portals/stock)',
    );
  });
});
