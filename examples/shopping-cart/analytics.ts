/**
 * Analytics: purchase counts per item from the orders, served as a top-n list through the
 * `top` portal (other applications can query it), and a summary logged when the orders end:
 * orders, items sold and the ten most purchased items.
 */
import { PortalsApp, type StateContext } from "portals-ts";
import type { NumberedOrder, TopReply, TopRequest } from "./model.js";

/** The `n` most purchased items of `counts`, most first, ties by lower item id. */
export function topItems(counts: ReadonlyMap<number, number>, n: number): TopReply {
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, n);
}

function purchases(ctx: StateContext): Map<number, number> {
  return ctx.perTask<Map<number, number> | undefined>("purchases", undefined).get() ?? new Map();
}

export default PortalsApp("analytics", (app) => {
  const orders = app.registry.streams.get<NumberedOrder>("/orders/workflows/orders/stream");
  const top = app.portal<TopRequest, TopReply>("top");
  app
    .workflows<NumberedOrder, never>("analytics")
    .source(orders)
    .replier(
      top,
      (order, ctx) => {
        const counts = purchases(ctx);
        for (const item of order.items) counts.set(item, (counts.get(item) ?? 0) + 1);
        ctx.perTask<Map<number, number> | undefined>("purchases", undefined).set(counts);
        const totals = ctx.perTask("totals", { orders: 0, items: 0 });
        totals.set({ orders: totals.get().orders + 1, items: totals.get().items + order.items.length });
      },
      (request, ctx) => ctx.reply(topItems(purchases(ctx), request.n)),
    )
    .withOnComplete((ctx) => {
      const totals = ctx.perTask("totals", { orders: 0, items: 0 }).get();
      ctx.log.info(`orders: ${totals.orders}`);
      ctx.log.info(`items sold: ${totals.items}`);
      ctx.log.info(`top 10 items: ${topItems(purchases(ctx), 10).map(([item, n]) => `${item} (${n})`).join(", ")}`);
    })
    .sink()
    .freeze();
});
