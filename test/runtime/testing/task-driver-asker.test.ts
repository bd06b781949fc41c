/**
 * The task driver of `portals-ts/testing` over an asker: scripted inputs in, exact messages
 * out. Operators that await portal requests are hand-written machines (test/support/machines.ts).
 */
import { describe, expect, test } from "vitest";
import { OperatorError, Tasks } from "portals-ts";
import { TaskDriver } from "portals-ts/testing";
import { ask, script, valueOf } from "../../support/machines.js";
import { cartAsker, inventory, prices, type InvRep } from "./driver-fixtures.js";

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
      failed: [],
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
      failed: [],
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
      failed: [],
      logs: [],
    });
  });

  test("an uncaught error in a continuation fails its event: what it emitted since it resumed is dropped, the event comes out in failed", () => {
    const task = Tasks.asker<number, string>(
      prices,
      script("test#boom", [
        (_, ctx) => {
          ctx.emit("before the await");
          return ask(ctx, prices, "x");
        },
        (_, ctx, input) => {
          ctx.emit("after the await");
          throw new Error(`cannot use ${valueOf(input)}`);
        },
      ]) as never,
    ).withName("pricer");
    const d = new TaskDriver(task, { workflow: "/shop/workflows/cart" });
    expect(d.atom([{ key: "k", value: 1 }]).events).toEqual([{ key: "k", value: "before the await" }]);
    const out = d.reply(1, 42);
    expect(out.events).toEqual([]);
    expect(out.failed).toEqual([{ key: "k", event: 1, error: out.error }]);
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
        "TaskDriver(workflow /test/workflows/driver, task asker#1): end(): 1 continuation is parked (invocation 1 awaits request 1); " +
          "answer with reply() or fail() first: a workflow runs onComplete only after every reply is in",
      ),
    );
    d.reply(1, { ok: true, stock: 2 });
    // Hook events carry the key of the task's last callback (here the continuation's), as in the reference.
    expect(d.end()).toEqual({ events: [{ key: "ann", value: "closed" }], requests: [], replies: [], error: undefined, failed: [], logs: [] });
    expect(() => d.atom([{ value: "pear" }])).toThrow("TaskDriver(workflow /test/workflows/driver, task asker#1): atom(): the input already ended with end()");
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
    expect(d.reply(1, 1)).toEqual({ events: [], requests: [], replies: [], error: undefined, failed: [], logs: [] });
    expect(d.parked().map((p) => p.awaiting)).toEqual([[2]]);
    expect(d.reply(2, 2).events).toEqual([{ key: 0, value: "a=1 b=2" }]);
  });
});
