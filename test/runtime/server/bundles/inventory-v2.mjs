// Version 2 of inventory.mjs: the same graph, replies with the version.
import { PortalsApp } from "portals-ts";

export default PortalsApp("inventory", (app) => {
  const stock = app.portal("stock", { key: (r) => r.item });
  const restock = app.generators.http("restock");
  app
    .workflows("stock")
    .source(restock.stream)
    .key((e) => e.item)
    .replier(
      stock,
      (e, ctx) => {
        const count = ctx.perKey("count", 0);
        count.set(count.get() + e.n);
      },
      (r, ctx) => {
        const count = ctx.perKey("count", 0);
        if (r.op === "add") {
          if (typeof r.n !== "number" || r.n < 0) throw new Error(`cannot add ${r.n} of ${r.item}`);
          count.set(count.get() + r.n);
        }
        ctx.reply({ count: count.get(), version: 2 });
      },
    )
    .sink();
});
