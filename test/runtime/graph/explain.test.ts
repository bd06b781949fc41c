/**
 * `app.explain()` (runtime/graph/explain.ts): the plan as text. Portals are gone after
 * expansion; their sequencers, splitters, splits and connections are marked `[internal]`.
 */
import { describe, expect, test } from "vitest";
import { PortalsApp, Systems, type Application } from "portals-ts";
import { ask, collecting, script, valueOf } from "../../support/machines.js";

interface InvOp {
  readonly item: string;
  readonly delta: number;
}
interface CartOp {
  readonly user: string;
  readonly item: string;
}
interface InvReq {
  readonly kind: "take";
  readonly item: string;
}
interface InvRep {
  readonly ok: boolean;
}

/** A shopping cart: an inventory keyed by item, fed by a stream, and a cart that asks it. */
function shop(): Application {
  return PortalsApp("shop", (app) => {
    const inventory = app.portal<InvReq, InvRep>("inventory", { key: (req) => req.item });
    const invOps = app.generators.fromArrayOfArrays<InvOp>([[{ item: "apple", delta: 1 }], [{ item: "pear", delta: 2 }]], { name: "invOps" });
    const cartOps = app.generators.fromArrayOfArrays<CartOp>(
      [[{ user: "ann", item: "apple" }], [{ user: "bob", item: "apple" }, { user: "bob", item: "pear" }]],
      { name: "cartOps" },
    );
    app
      .workflows<InvOp, never>("inventory")
      .source(invOps.stream)
      .key((op) => op.item)
      .replier(
        inventory,
        (op, ctx) => {
          const stock = ctx.perKey("stock", 0);
          stock.set(stock.get() + op.delta);
        },
        (req, ctx) => {
          const stock = ctx.perKey("stock", 0);
          const ok = stock.get() > 0;
          if (ok) stock.set(stock.get() - 1);
          ctx.reply({ ok });
        },
      )
      .withName("stock")
      .sink()
      .freeze();
    app
      .workflows<CartOp, string>("cart")
      .source(cartOps.stream)
      .key((op) => op.user)
      .asker(
        inventory,
        // async (op, ctx) => { const rep = await inventory.request({ kind: "take", item: op.item }); ... }
        script("shop#cart", [
          (l, ctx) => ask(ctx, inventory, { kind: "take", item: (l.args[0] as CartOp).item }),
          (l, ctx, input) => {
            const op = l.args[0] as CartOp;
            const rep = valueOf(input) as InvRep;
            const items = ctx.perKey("items", [] as string[]);
            if (rep.ok) items.set([...items.get(), op.item]);
            ctx.emit(`${op.user}: ${op.item} ${rep.ok ? "added" : "sold out"}, cart [${items.get().join(", ")}]`);
          },
        ]) as never,
      )
      .withName("add")
      .logger()
      .sink()
      .freeze();
  });
}

const SHOP = `application /shop
  generator /shop/generators/invOps (atoms) -> /shop/generators/invOps/stream
  generator /shop/generators/cartOps (atoms) -> /shop/generators/cartOps/stream
  sequencer /shop/portals/inventory/requests [internal] <- [/shop/workflows/cart/portal-router/requests/shop/portals/inventory/stream] -> /shop/portals/inventory/requests/stream
  sequencer /shop/workflows/inventory/portal-in [internal] <- [/shop/generators/invOps/stream, /shop/portals/inventory/requests/stream] -> /shop/workflows/inventory/portal-in/stream
  sequencer /shop/workflows/cart/portal-in [internal] <- [/shop/generators/cartOps/stream, /shop/workflows/cart/replies/shop/portals/inventory/stream] -> /shop/workflows/cart/portal-in/stream
  splitter /shop/portals/inventory/replies [internal] <- /shop/workflows/inventory/portal-router/replies/shop/portals/inventory/stream
  splitter /shop/workflows/inventory/portal-router [internal] <- /shop/workflows/inventory/portal-out
  splitter /shop/workflows/cart/portal-router [internal] <- /shop/workflows/cart/portal-out
  split /shop/workflows/inventory/portal-router/replies/shop/portals/inventory [internal] of /shop/workflows/inventory/portal-router -> /shop/workflows/inventory/portal-router/replies/shop/portals/inventory/stream
  split /shop/workflows/cart/portal-router/requests/shop/portals/inventory [internal] of /shop/workflows/cart/portal-router -> /shop/workflows/cart/portal-router/requests/shop/portals/inventory/stream
  split /shop/workflows/cart/replies/shop/portals/inventory [internal] of /shop/portals/inventory/replies -> /shop/workflows/cart/replies/shop/portals/inventory/stream
  workflow /shop/workflows/inventory <- /shop/workflows/inventory/portal-in/stream -> /shop/workflows/inventory/stream (portal messages -> /shop/workflows/inventory/portal-out)
    task key#1 <- source
    task stock replier serves /shop/portals/inventory <- key#1 -> sink
  workflow /shop/workflows/cart <- /shop/workflows/cart/portal-in/stream -> /shop/workflows/cart/stream (portal messages -> /shop/workflows/cart/portal-out)
    task key#1 <- source
    task add asker <- key#1
    task logger#3 <- add -> sink`;

describe("app.explain()", () => {
  test("the shopping cart lowers to sequencers, splitters and splits; there is no portal node", () => {
    const text = shop().explain();
    const lines = text.split("\n");
    expect(lines.filter((l) => l.startsWith("  portal"))).toEqual([]);
    expect(lines.filter((l) => l.startsWith("  sequencer") && l.includes("[internal]")).map((l) => l.split(" ")[3])).toEqual([
      "/shop/portals/inventory/requests",
      "/shop/workflows/inventory/portal-in",
      "/shop/workflows/cart/portal-in",
    ]);
    expect(lines.filter((l) => l.startsWith("  splitter") && l.includes("[internal]")).map((l) => l.split(" ")[3])).toEqual([
      "/shop/portals/inventory/replies",
      "/shop/workflows/inventory/portal-router",
      "/shop/workflows/cart/portal-router",
    ]);
    expect(lines.filter((l) => l.startsWith("  split ") && l.includes("[internal]"))).toHaveLength(3);
    expect(text).toBe(SHOP);
  });

  test("the lowered shopping cart runs: requests are served under the item's key, replies resume under the user's", () => {
    const { lines, log } = collecting();
    const system = Systems.test({ seed: 1, log });
    system.launch(shop());
    system.stepUntilComplete();
    // Stock is per item (bob's pear is there although bob has no stock of his own), carts are per
    // user (bob's cart does not hold ann's apple).
    expect(lines).toEqual(["ann: apple added, cart [apple]", "bob: apple sold out, cart []", "bob: pear added, cart [pear]"]);
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const run = collecting();
      const s = Systems.test({ seed, log: run.log });
      s.launch(shop());
      s.stepUntilComplete();
      const sold = run.lines.filter((l) => l.includes("apple added")).length;
      expect(sold).toBeLessThanOrEqual(1); // one apple in stock: never sold twice
    }
  });

  test("an application that asks a portal of another application: a connection into that application's request sequencer", () => {
    const client = PortalsApp("client", (app) => {
      const inventory = app.registry.portals.get<InvReq, InvRep>("/shop/portals/inventory");
      app
        .workflows<string, string>("ask")
        .source(app.generators.fromArray(["apple"], { name: "items" }).stream)
        .asker(
          inventory,
          script("client#ask", [
            (l, ctx) => ask(ctx, inventory, { kind: "take", item: l.args[0] as string }),
            (_, ctx, input) => ctx.emit(`client got ${JSON.stringify(valueOf(input))}`),
          ]) as never,
        )
        .logger()
        .sink()
        .freeze();
    });
    expect(client.explain()).toBe(`application /client
  generator /client/generators/items (atoms) -> /client/generators/items/stream
  sequencer /client/workflows/ask/portal-in [internal] <- [/client/generators/items/stream, /client/workflows/ask/replies/shop/portals/inventory/stream] -> /client/workflows/ask/portal-in/stream
  connection /client/workflows/ask/portal-router/requests/shop/portals/inventory/connection [internal]: /client/workflows/ask/portal-router/requests/shop/portals/inventory/stream -> /shop/portals/inventory/requests
  splitter /client/workflows/ask/portal-router [internal] <- /client/workflows/ask/portal-out
  split /client/workflows/ask/portal-router/requests/shop/portals/inventory [internal] of /client/workflows/ask/portal-router -> /client/workflows/ask/portal-router/requests/shop/portals/inventory/stream
  split /client/workflows/ask/replies/shop/portals/inventory [internal] of /shop/portals/inventory/replies -> /client/workflows/ask/replies/shop/portals/inventory/stream
  workflow /client/workflows/ask <- /client/workflows/ask/portal-in/stream -> /client/workflows/ask/stream (portal messages -> /client/workflows/ask/portal-out)
    task asker#1 <- source
    task logger#2 <- asker#1 -> sink`);
    const { lines, log } = collecting();
    const system = Systems.test({ log });
    system.launch(shop());
    system.launch(client);
    system.stepUntilComplete();
    expect(lines.filter((l) => l.startsWith("client"))).toEqual(["client got {\"ok\":false}"]);
  });

  test("an application without portals has no internal component; user sequencers, splitters, unions and dead letters are listed", () => {
    const app = PortalsApp("plain", (app) => {
      const a = app.generators.fromArray([1], { name: "a" });
      const seq = app.sequencers.random<number>({ name: "merge" });
      app.connections.connect(a.stream, seq, { name: "a-in" });
      const sp = app.splitters.empty(seq.stream, { name: "parity" });
      const even = app.splits.split(sp, (x) => x % 2 === 0, { name: "even" });
      const w = app.workflows<number, number>("w");
      w.deadLetters("failed");
      const src = w.source(even);
      const doubled = src.map((x) => x * 2).withName("double");
      src.identity().union(doubled).sink().freeze();
      app.workflows<number, number>("direct").source(a.stream).sink().freeze();
    });
    expect(app.explain()).toBe(`application /plain
  generator /plain/generators/a (atoms) -> /plain/generators/a/stream
  sequencer /plain/sequencers/merge <- [/plain/generators/a/stream] -> /plain/sequencers/merge/stream
  splitter /plain/splitters/parity <- /plain/sequencers/merge/stream
  split /plain/splits/even of /plain/splitters/parity -> /plain/splits/even/stream
  workflow /plain/workflows/w <- /plain/splits/even/stream -> /plain/workflows/w/stream (dead letters -> /plain/workflows/w/failed/stream)
    task double map <- source
    task identity#2 <- source
    task union#3 identity <- identity#2, double -> sink
  workflow /plain/workflows/direct <- /plain/generators/a/stream -> /plain/workflows/direct/stream
    task sink#1 identity <- source -> sink`);
  });
});
