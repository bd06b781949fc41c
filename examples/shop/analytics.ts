/**
 * Analytics: how often each item was ordered, and the `top` portal: the 100 (or `n`) most
 * ordered items with their counts, most first, ties by lower item id (the reference keeps 99,
 * unordered and without counts).
 */
import { PortalsApp } from "portals-ts";
import type { NumberedOrder, TopReply, TopRequest } from "./model.js";

/** The `n` most ordered items of `counts`, most first, ties by lower item id. */
export function topItems(counts: ReadonlyMap<number, number>, n: number): TopReply {
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, n)
    .map(([item, count]) => ({ item, count }));
}

export default PortalsApp("analytics", (app) => {
  const top = app.portal<TopRequest, TopReply>("top");
  app
    .workflows<NumberedOrder, never>("analytics")
    .source(app.registry.streams.get<NumberedOrder>("/orders/workflows/orders/stream"))
    .replier(
      top,
      (order, ctx) => {
        const counts = ctx.perTask<Map<number, number> | undefined>("counts", undefined);
        const next = new Map(counts.get());
        for (const item of order.items) next.set(item, (next.get(item) ?? 0) + 1);
        counts.set(next);
      },
      (request, ctx) => {
        const n = Math.min(Math.max(Math.trunc(request?.n ?? 100), 0), 100);
        ctx.reply(topItems(ctx.perTask<Map<number, number> | undefined>("counts", undefined).get() ?? new Map(), n));
      },
    )
    .sink();
});
