/**
 * Types of portals (runtime/api/refs.ts, tasks.ts, workflow.ts): request and reply types flow
 * from `app.portal<Req, Rep>` into `request()` and `ctx.reply()`, and askers take one portal or
 * an array. Checked by `tsc --noEmit` over test/ (`npm test`).
 */
import { describe, expect, expectTypeOf, test } from "vitest";
import { ApplicationBuilder, Tasks, type Key, type PortalRef, type ReplierContext, type RequestHandle, type Task } from "portals-ts";
import { TaskDriver, testPortal, type DriverEvent, type DriverOutput } from "portals-ts/testing";

interface InvReq {
  readonly kind: "take" | "put";
  readonly item: string;
}
interface InvRep {
  readonly ok: boolean;
}
interface CartOp {
  readonly user: string;
  readonly item: string;
}

function setup() {
  const app = new ApplicationBuilder("shop");
  const inventory = app.portal<InvReq, InvRep>("inventory", { key: (req) => req.item });
  const prices = app.portal<string, number>("prices");
  const ops = app.generators.fromArray<CartOp>([]);
  return { app, inventory, prices, ops };
}

describe("request and reply types", () => {
  test("a portal ref's request() takes the request type and gives a request handle that awaits to the reply type", () => {
    const { inventory, prices } = setup();
    expectTypeOf(inventory).toEqualTypeOf<PortalRef<InvReq, InvRep>>();
    expectTypeOf(inventory.request).parameter(0).toEqualTypeOf<InvReq>();
    expectTypeOf(inventory.request).returns.toEqualTypeOf<RequestHandle<InvRep>>();
    expectTypeOf(prices.request).returns.toEqualTypeOf<RequestHandle<number>>();
    expectTypeOf<Awaited<ReturnType<typeof inventory.request>>>().toEqualTypeOf<InvRep>();
    type Both = Awaited<ReturnType<typeof Promise.all<[RequestHandle<InvRep>, RequestHandle<number>]>>>;
    expectTypeOf<Both>().toEqualTypeOf<[InvRep, number]>();
    const misuse = (): void => {
      // @ts-expect-error "drop" is not a request kind
      void inventory.request({ kind: "drop", item: "apple" });
      // @ts-expect-error prices are asked by item name
      void prices.request(42);
    };
    void misuse;
  });

  test("the portal's key option gets the request type and must return a Key", () => {
    const app = new ApplicationBuilder("keys");
    app.portal<InvReq, InvRep>("a", {
      key: (req) => {
        expectTypeOf(req).toEqualTypeOf<InvReq>();
        return req.item;
      },
    });
    // @ts-expect-error a key is a string or a number
    app.portal<InvReq, InvRep>("b", { key: (req) => [req.item] });
    expectTypeOf(app.registry.portals.get<InvReq, InvRep>("/other/portals/p")).toEqualTypeOf<PortalRef<InvReq, InvRep>>();
  });

  test("a replier's request handler gets the request type, and ctx.reply takes the reply type", () => {
    const { app, inventory, ops } = setup();
    app
      .workflows<CartOp, never>("inventory")
      .source(ops.stream)
      .replier(
        inventory,
        (op, ctx) => {
          expectTypeOf(op).toEqualTypeOf<CartOp>();
          // @ts-expect-error the event handler cannot reply: no request is being served
          ctx.reply({ ok: true });
        },
        (req, ctx) => {
          expectTypeOf(req).toEqualTypeOf<InvReq>();
          expectTypeOf(ctx).toEqualTypeOf<ReplierContext<never, InvRep>>();
          expectTypeOf(ctx.reply).parameter(0).toEqualTypeOf<InvRep>();
          ctx.reply({ ok: req.kind === "take" });
          // @ts-expect-error the reply type is InvRep
          ctx.reply("ok");
        },
      )
      .sink();
    const standalone = Tasks.replier(
      inventory,
      (_op: CartOp) => {},
      (req, ctx) => {
        expectTypeOf(req).toEqualTypeOf<InvReq>();
        ctx.reply({ ok: true });
        // @ts-expect-error the reply type is InvRep
        ctx.reply({ ok: "yes" });
      },
    );
    expectTypeOf(standalone).toEqualTypeOf<Task<CartOp, unknown>>();
  });

  test("an asker-replier serves one portal's types and awaits others", () => {
    const { app, inventory, prices, ops } = setup();
    const total = app.portal<string[], number>("total");
    app
      .workflows<CartOp, never>("billing")
      .source(ops.stream)
      .askerReplier(
        [inventory, prices],
        total,
        async () => {},
        async (items, ctx) => {
          expectTypeOf(items).toEqualTypeOf<string[]>();
          const each = await Promise.all(items.map((i) => prices.request(i)));
          expectTypeOf(each).toEqualTypeOf<number[]>();
          ctx.reply(each.reduce((a, b) => a + b, 0));
          // @ts-expect-error the total is a number
          ctx.reply(`${each.length}`);
        },
      )
      .sink();
  });
});

describe("askers take one portal or an array", () => {
  test("asker with one portal, with an array, awaiting one request or all of several", () => {
    const { app, inventory, prices, ops } = setup();
    const src = app.workflows<CartOp, string>("cart").source(ops.stream);
    src
      .asker(inventory, async (op, ctx) => {
        expectTypeOf(op).toEqualTypeOf<CartOp>();
        const rep = await inventory.request({ kind: "take", item: op.item });
        expectTypeOf(rep).toEqualTypeOf<InvRep>();
        ctx.emit(`${op.user}: ${rep.ok}`);
        // @ts-expect-error the asker emits the workflow's output type by default
        ctx.emit(rep);
      })
      .sink();
    src
      .asker([inventory, prices], async (op, ctx) => {
        const [rep, price] = await Promise.all([inventory.request({ kind: "take", item: op.item }), prices.request(op.item)]);
        expectTypeOf(rep).toEqualTypeOf<InvRep>();
        expectTypeOf(price).toEqualTypeOf<number>();
        ctx.emit(`${rep.ok} at ${price}`);
      })
      .sink();
    const counted = src.asker<number>(prices, async (op, ctx) => ctx.emit(await prices.request(op.item)));
    // @ts-expect-error this asker emits numbers
    counted.sink();
    // @ts-expect-error a portal ref, not its path
    src.asker("/shop/portals/inventory", () => {});
    // @ts-expect-error every element must be a portal ref
    src.asker([inventory, 5], () => {});
  });

  test("Tasks.asker and Tasks.askerReplier take one portal or an array too", () => {
    const { inventory, prices } = setup();
    const total = testPortal<string[], number>("/shop/portals/total");
    expectTypeOf(Tasks.asker<CartOp, string>(inventory, () => {})).toEqualTypeOf<Task<CartOp, string>>();
    expectTypeOf(Tasks.asker<CartOp, string>([inventory, prices], () => {})).toEqualTypeOf<Task<CartOp, string>>();
    Tasks.askerReplier(prices, total, () => {}, (_items, ctx) => ctx.reply(1));
    Tasks.askerReplier([prices, inventory], total, () => {}, (_items, ctx) => ctx.reply(1));
    // @ts-expect-error the reply portal is one portal, not an array
    Tasks.askerReplier(prices, [total], () => {}, () => {});
  });
});

describe("the test driver keeps the task's types", () => {
  test("atom() takes the task's input type and returns its output type", () => {
    const d = new TaskDriver(Tasks.map((x: number) => `${x}`));
    const out = d.atom([{ value: 1 }, { key: "k", value: 2 }]);
    expectTypeOf(out).toEqualTypeOf<DriverOutput<string>>();
    expectTypeOf(out.events).toEqualTypeOf<DriverEvent<string>[]>();
    expectTypeOf(out.events[0]!.key).toEqualTypeOf<Key>();
    // @ts-expect-error the task takes numbers
    d.atom([{ value: "one" }]);
    expect(() =>
      // @ts-expect-error keys are strings or numbers (the driver also checks at run time)
      d.atom([{ key: true, value: 1 }]),
    ).toThrow("atom(): event 0: the key boolean is not a string or finite number");
    expectTypeOf(testPortal<InvReq, InvRep>("/shop/portals/inventory")).toEqualTypeOf<PortalRef<InvReq, InvRep>>();
  });
});
