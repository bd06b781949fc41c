/**
 * Inventory: the stock of every item, a portal keyed by item (`get` takes a unit, `put` returns
 * one, `stock` reads it), fed by restocks through the `supplies` sequencer: from the ingestion
 * stream `restock` (`portals send inventory/restock '[{"item":1,"qty":5}]'`) and from any
 * application that connects its stream to it (the generator).
 */
import { PortalsApp } from "portals-ts";
import { INITIAL_STOCK, type InventoryReply, type InventoryRequest, type Restock } from "./model.js";

export default PortalsApp("inventory", (app) => {
  const inventory = app.portal<InventoryRequest, InventoryReply>("inventory", { key: (r) => r.item });
  const supplies = app.sequencers.random<Restock>({ name: "supplies" });
  app.connections.connect(app.generators.http<Restock>("restock").stream, supplies);
  app
    .workflows<Restock, never>("inventory")
    .source(supplies.stream)
    .key((r) => r.item)
    .replier(
      inventory,
      (r, ctx) => {
        const stock = ctx.perKey("stock", INITIAL_STOCK);
        stock.set(stock.get() + r.qty);
      },
      (request, ctx) => {
        const stock = ctx.perKey("stock", INITIAL_STOCK);
        const before = stock.get();
        if (request.kind === "get" && before > 0) stock.set(before - 1);
        if (request.kind === "put") stock.set(before + 1);
        ctx.reply({ ok: request.kind !== "get" || before > 0, stock: stock.get() });
      },
    )
    .sink();
});
