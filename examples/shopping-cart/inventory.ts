/**
 * Inventory: the stock of every item, served through the `inventory` portal (keyed by item, so
 * each item's requests are served under its key) and fed by restocking events. Every change of
 * a stock is emitted as `{ item, stock }` on the workflow's output stream. Restocks arrive
 * through the `supplies` sequencer, so other applications can connect more suppliers, and
 * because a sequencer's stream does not end, the stock levels keep flowing while the
 * inventory serves requests after the recorded restocks are over.
 */
import { PortalsApp, type Application } from "portals-ts";
import { INITIAL_STOCK, type InventoryReply, type InventoryRequest, type Restock, type TraceSource } from "./model.js";

/** A stock level after a change. */
export interface StockLevel {
  readonly item: number;
  readonly stock: number;
}

/** The inventory application, restocked by `restocks`. */
export function inventoryApp(restocks: TraceSource<Restock>): Application {
  return PortalsApp("inventory", (app) => {
    const inventory = app.portal<InventoryRequest, InventoryReply>("inventory", { key: (r) => r.item });
    const recorded = restocks(app, { name: "restocks", atomSize: 100 });
    const supplies = app.sequencers.random<Restock>({ name: "supplies" });
    app.connections.connect(recorded.stream, supplies);
    app
      .workflows<Restock, StockLevel>("inventory")
      .source(supplies.stream)
      .key((r) => r.item)
      .replier(
        inventory,
        (r, ctx) => {
          const stock = ctx.perKey("stock", INITIAL_STOCK);
          stock.set(stock.get() + r.qty);
          ctx.emit({ item: r.item, stock: stock.get() });
        },
        (request, ctx) => {
          const stock = ctx.perKey("stock", INITIAL_STOCK);
          const before = stock.get();
          if (request.kind === "take" && before > 0) stock.set(before - 1);
          if (request.kind === "put") stock.set(before + 1);
          if (stock.get() !== before) ctx.emit({ item: request.item, stock: stock.get() });
          ctx.reply({ ok: request.kind !== "take" || before > 0, stock: stock.get() });
        },
      )
      .sink()
      .freeze();
  });
}
